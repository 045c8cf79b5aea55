//go:build unix && !(darwin || dragonfly || freebsd || netbsd || openbsd)

package main

import "golang.org/x/sys/unix"

// ioctlReadTermios is tcgetattr's ioctl on Linux (and Android), Solaris,
// illumos and AIX.
const ioctlReadTermios = unix.TCGETS
