//go:build !darwin && !freebsd && !windows && (!linux || mips || mipsle || mips64 || mips64le)

package errpolicy

import (
	"runtime"
	"syscall"
)

// Host is the table of the OS being built for. On systems without a table of
// their own (the other BSDs, illumos, Solaris, AIX, js, wasip1, and Linux on
// the mips family, whose errno numbers differ) it is a conservative generic
// table named "generic", built from the host's own syscall constants, so its
// numbers are right by construction: only the errors whose meaning is the same
// everywhere get a row, and everything else backs off as unknown. On Linux
// (mips) the kernel-internal range from 512 to 4095 is still retried.
var Host = genericTable()

func genericTable() *Table {
	rows := []Row{
		{uintptr(syscall.EINTR), "EINTR", Retry, "a signal interrupted the call before anything was read: call again"},
		{uintptr(syscall.EAGAIN), "EAGAIN", Wait, "the receive queue is empty: back to the poller"},
		{uintptr(syscall.ENOMEM), "ENOMEM", Backoff, "the kernel is short of memory; it passes with time"},
		{uintptr(syscall.ENOBUFS), "ENOBUFS", Backoff, "the kernel is short of buffers; it passes with time"},
		{uintptr(syscall.EMFILE), "EMFILE", Backoff, "the process's descriptor limit is reached; it frees as files close"},
		{uintptr(syscall.ENFILE), "ENFILE", Backoff, "the system's file table is full; it frees as files close"},
		{uintptr(syscall.EBADF), "EBADF", Fatal, "the descriptor was closed under the loop: re-open"},
		{uintptr(syscall.ENOTSOCK), "ENOTSOCK", Fatal, "the descriptor is no longer a socket: re-open"},
		{uintptr(syscall.ENOTCONN), "ENOTCONN", Fatal, "the socket is not connected or was shut down; it repeats forever: re-open"},
		{uintptr(syscall.EFAULT), "EFAULT", Fatal, "a buffer address the loop passed is invalid: never touch it again"},
		{uintptr(syscall.EINVAL), "EINVAL", Fatal, "the call's arguments or the socket's state were rejected; it repeats forever: re-open"},
		{uintptr(syscall.ECONNREFUSED), "ECONNREFUSED", Count, "ICMP port unreachable for an earlier send; one-shot: count and read on"},
		{uintptr(syscall.EHOSTUNREACH), "EHOSTUNREACH", Count, "ICMP host unreachable for an earlier send; one-shot: count and read on"},
		{uintptr(syscall.ENETUNREACH), "ENETUNREACH", Count, "ICMP network unreachable for an earlier send; one-shot: count and read on"},
		{uintptr(syscall.EMSGSIZE), "EMSGSIZE", Count, "ICMP fragmentation needed for an earlier send; one-shot, the socket stays usable"},
	}
	var internalFrom, internalTo uintptr
	if runtime.GOOS == "linux" {
		internalFrom, internalTo = linuxKernelInternalMin, linuxKernelInternalMax
	}
	return newTable("generic", internalFrom, internalTo, rows, nil)
}
