//go:build unix

package errpolicy

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// hostErrnoName returns the host's name for errno ("EIO"), or "" where the
// host has none. unix.ErrnoName looks it up in x/sys's static table of the
// running platform's errnos, so the string is static and the lookup
// allocates nothing.
func hostErrnoName(errno uintptr) string { return unix.ErrnoName(syscall.Errno(errno)) }
