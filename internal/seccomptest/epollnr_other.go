//go:build linux && !amd64

package seccomptest

import "golang.org/x/sys/unix"

// EpollWaitCalls are the system calls that wait on an epoll descriptor:
// epoll_pwait, which every architecture has (x/sys/unix's EpollWait is
// made with it on arm64 and riscv64; on 386, arm and others it is
// epoll_wait, not listed here).
var EpollWaitCalls = []uintptr{unix.SYS_EPOLL_PWAIT}
