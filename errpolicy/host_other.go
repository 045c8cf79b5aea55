//go:build !darwin && !freebsd && !windows && (!linux || mips || mipsle || mips64 || mips64le)

package errpolicy

import (
	"runtime"
	"syscall"
)

// host is the table of the OS being built for. On systems without a table of
// their own (the other BSDs, illumos, Solaris, AIX, js, wasip1, and Linux on
// the mips family, whose errno numbers differ) it is a conservative generic
// table named "generic", built from the host's own syscall constants, so its
// numbers are right by construction: only the errors whose meaning is the same
// everywhere get a row, and everything else backs off as unknown. On Linux
// (mips) the kernel-internal range from 512 to 4095 is still retried.
var host = genericTable()

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
	// The send rows follow the same policy as the platform tables, for the
	// errors whose meaning on a datagram send is the same everywhere and
	// whose constant every such system defines (wasip1 has no EHOSTDOWN).
	send := []SendRow{
		{uintptr(syscall.EINTR), "EINTR", Retry, "", "a signal interrupted the call before anything was sent: send again"},
		{uintptr(syscall.EAGAIN), "EAGAIN", Wait, "full", "the send buffer is full: keep the messages, wait for writability with a bound, then drop and count"},
		{uintptr(syscall.ENOMEM), "ENOMEM", Backoff, "no_buffer", "the kernel could not allocate the datagram: drop, count and pause"},
		{uintptr(syscall.ENOBUFS), "ENOBUFS", Backoff, "no_buffer", "the kernel or an interface queue is short of buffers: drop, count and pause; never wait for writability (on the BSDs the socket stays writable)"},
		{uintptr(syscall.EMSGSIZE), "EMSGSIZE", Drop, "too_big", "the datagram is larger than the socket or path allows: drop this one"},
		{uintptr(syscall.ECONNREFUSED), "ECONNREFUSED", Drop, "refused", "a stale ICMP port unreachable, or a unix path nobody is bound to: the message was not sent"},
		{uintptr(syscall.ECONNRESET), "ECONNRESET", Drop, "refused", "a stale ICMP port unreachable reported as a reset: about an earlier destination"},
		{uintptr(syscall.EHOSTUNREACH), "EHOSTUNREACH", Drop, "unreachable", "no route to the host, or a stale ICMP host unreachable: about this destination"},
		{uintptr(syscall.ENETUNREACH), "ENETUNREACH", Drop, "unreachable", "no route to the network, or a stale ICMP net unreachable: about this destination"},
		{uintptr(syscall.ENETDOWN), "ENETDOWN", Drop, "unreachable", "the interface toward the destination is down: this message cannot leave; others may"},
		{uintptr(syscall.EPERM), "EPERM", Drop, "denied", "a policy or packet filter refused this send: about this message, not the socket"},
		{uintptr(syscall.EACCES), "EACCES", Drop, "denied", "a broadcast destination without SO_BROADCAST, or a packet filter: about this destination"},
		{uintptr(syscall.EDESTADDRREQ), "EDESTADDRREQ", Drop, "bad_address", "no destination address: a reply to a sender that has none"},
		{uintptr(syscall.EAFNOSUPPORT), "EAFNOSUPPORT", Drop, "bad_address", "a destination of the wrong address family: about this destination"},
		{uintptr(syscall.EADDRNOTAVAIL), "EADDRNOTAVAIL", Drop, "bad_address", "the source or destination address is unusable: about this message"},
		{uintptr(syscall.EINVAL), "EINVAL", Drop, "bad_address", "the kernel rejected this message's address or control data: drop it, send the rest"},
		{uintptr(syscall.EBADF), "EBADF", Fatal, "gone", "the descriptor was closed under the loop: end the loop and re-open"},
		{uintptr(syscall.ENOTSOCK), "ENOTSOCK", Fatal, "gone", "the descriptor is no longer a socket: end the loop and re-open"},
		{uintptr(syscall.EFAULT), "EFAULT", Fatal, "gone", "a buffer address the loop passed is invalid: end the loop"},
		{uintptr(syscall.EPIPE), "EPIPE", Fatal, "gone", "the socket was shut down for writing; every later send fails so: end the loop and re-open"},
	}
	var internalFrom, internalTo uintptr
	if runtime.GOOS == "linux" {
		internalFrom, internalTo = linuxKernelInternalMin, linuxKernelInternalMax
	}
	return newTable("generic", internalFrom, internalTo, rows, send)
}
