//go:build linux && amd64

package seccomptest

import "golang.org/x/sys/unix"

// EpollWaitCalls are the system calls that wait on an epoll descriptor
// here: x/sys/unix's EpollWait is epoll_wait on amd64, and the runtime and
// a raw wait use epoll_pwait.
var EpollWaitCalls = []uintptr{unix.SYS_EPOLL_WAIT, unix.SYS_EPOLL_PWAIT}
