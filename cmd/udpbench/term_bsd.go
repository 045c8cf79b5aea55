//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package main

import "golang.org/x/sys/unix"

// ioctlReadTermios is tcgetattr's ioctl on the BSDs (and iOS).
const ioctlReadTermios = unix.TIOCGETA
