package errpolicy

// Linux errno numbers (asm-generic/errno-base.h, asm-generic/errno.h; the
// same on every Linux architecture Go supports except mips and sparc, which
// this library does not target). table_check_linux.go proves them equal to
// golang.org/x/sys/unix when building for Linux.
const (
	linuxEPERM        = 1
	linuxEINTR        = 4
	linuxEBADF        = 9
	linuxEAGAIN       = 11
	linuxENOMEM       = 12
	linuxEACCES       = 13
	linuxEFAULT       = 14
	linuxEINVAL       = 22
	linuxENFILE       = 23
	linuxEMFILE       = 24
	linuxENONET       = 64
	linuxEPROTO       = 71
	linuxENOTSOCK     = 88
	linuxEMSGSIZE     = 90
	linuxENOPROTOOPT  = 92
	linuxEOPNOTSUPP   = 95
	linuxENETDOWN     = 100
	linuxENETUNREACH  = 101
	linuxECONNRESET   = 104
	linuxENOBUFS      = 105
	linuxENOTCONN     = 107
	linuxECONNREFUSED = 111
	linuxEHOSTDOWN    = 112
	linuxEHOSTUNREACH = 113
)

// Linux kernel-internal codes (include/linux/errno.h: "These should never be
// seen by user programs"). x/sys/unix does not define them, so they are not
// checked at compile time. The whole range from linuxKernelInternalMin to
// MAX_ERRNO (include/linux/err.h: no errno is larger) classifies as Retry even
// without a row; numbers above it cannot come from the kernel.
const (
	linuxKernelInternalMin     = 512
	linuxKernelInternalMax     = 4095
	linuxERESTARTSYS           = 512
	linuxERESTARTNOINTR        = 513
	linuxERESTARTNOHAND        = 514
	linuxENOIOCTLCMD           = 515
	linuxERESTART_RESTARTBLOCK = 516
)

// Linux is the table for Linux and Android. The ICMP mappings are those of
// icmp_err_convert (net/ipv4/icmp.c) and icmpv6_err_convert (net/ipv6/icmp.c).
var Linux = newTable("linux", linuxKernelInternalMin, linuxKernelInternalMax, []Row{
	{linuxEPERM, "EPERM", Backoff,
		"not ICMP-derived on receive: a seccomp or LSM policy refusing the call, which may be lifted; back off, a Streak escalates if it lasts"},
	{linuxEINTR, "EINTR", Retry,
		"a signal interrupted the call before anything was read; nothing was lost: call again"},
	{linuxEBADF, "EBADF", Fatal,
		"the descriptor was closed under the loop (a close from another thread does not wake recvmmsg, and the number is reused at once: docs/kernel.md): re-open"},
	{linuxEAGAIN, "EAGAIN", Wait,
		"the receive queue is empty (EWOULDBLOCK is the same number): back to the poller"},
	{linuxENOMEM, "ENOMEM", Backoff,
		"the kernel could not allocate memory for the call; pressure passes with time, an immediate retry adds to it"},
	{linuxEACCES, "EACCES", Count,
		"ICMPv6 administratively prohibited, policy failure or reject route (icmpv6_err_convert); one-shot, pre-empts queued data: count and read on (docs/kernel.md)"},
	{linuxEFAULT, "EFAULT", Fatal,
		"a buffer or msghdr address the loop passed is invalid: its memory is corrupt or released; never touch it again"},
	{linuxEINVAL, "EINVAL", Fatal,
		"the kernel rejected the call's arguments or the socket's state; the same call fails the same way forever: re-open"},
	{linuxENFILE, "ENFILE", Backoff,
		"the system-wide file table is full (descriptors passed over unixgram need slots); it frees as others close files"},
	{linuxEMFILE, "EMFILE", Backoff,
		"the process's descriptor limit is reached (descriptors passed over unixgram need slots); it frees as the process closes files"},
	{linuxENONET, "ENONET", Count,
		"ICMP host isolated (icmp_err_convert); one-shot, pre-empts queued data: count and read on"},
	{linuxEPROTO, "EPROTO", Count,
		"ICMP parameter problem (icmp_err_convert, icmpv6_err_convert); one-shot, pre-empts queued data: count and read on"},
	{linuxENOTSOCK, "ENOTSOCK", Fatal,
		"the descriptor is no longer a socket (dup2 over it makes every socket call fail so: docs/kernel.md): re-open"},
	{linuxEMSGSIZE, "EMSGSIZE", Count,
		"ICMP fragmentation needed or ICMPv6 packet too big for an earlier send; one-shot, the socket stays usable"},
	{linuxENOPROTOOPT, "ENOPROTOOPT", Count,
		"ICMP protocol unreachable (icmp_err_convert); one-shot, pre-empts queued data: count and read on (docs/kernel.md)"},
	{linuxEOPNOTSUPP, "EOPNOTSUPP", Count,
		"ICMP source route failed (icmp_err_convert); one-shot. If it repeats (an unsupported flag), a Streak turns it into backoff"},
	{linuxENETDOWN, "ENETDOWN", Backoff,
		"no ICMP type maps to it: a local interface is down, which lasts; wait, and a Streak escalates if it lasts"},
	{linuxENETUNREACH, "ENETUNREACH", Count,
		"ICMP network unreachable for an earlier send; one-shot, pre-empts queued data: backing off only drops more (docs/kernel.md)"},
	{linuxECONNRESET, "ECONNRESET", Count,
		"not produced by UDP receive on Linux; where a layer reports it, it stands for an ICMP port unreachable, as on Windows: one-shot"},
	{linuxENOBUFS, "ENOBUFS", Backoff,
		"the kernel is short of buffer memory; it clears as memory is freed, an immediate retry adds to the pressure"},
	{linuxENOTCONN, "ENOTCONN", Fatal,
		"the socket is not connected or was shut down; every later call fails the same way: end the loop and re-open"},
	{linuxECONNREFUSED, "ECONNREFUSED", Count,
		"ICMP port unreachable for an earlier send (connected socket or IP_RECVERR); one-shot, pre-empts queued data: backing off only drops more (docs/kernel.md)"},
	{linuxEHOSTDOWN, "EHOSTDOWN", Count,
		"ICMP host unknown (icmp_err_convert); one-shot, pre-empts queued data: count and read on"},
	{linuxEHOSTUNREACH, "EHOSTUNREACH", Count,
		"ICMP host unreachable, filtered or time exceeded for an earlier send; one-shot, pre-empts queued data: count and read on (docs/kernel.md)"},
	{linuxERESTARTSYS, "ERESTARTSYS", Retry,
		"kernel-internal restart code leaked by a blocking recvmmsg interrupted after a partial batch (docs/kernel.md); the call can simply be made again"},
	{linuxERESTARTNOINTR, "ERESTARTNOINTR", Retry,
		"kernel-internal restart code (include/linux/errno.h) that should never reach user space; if it leaks, the call can be made again"},
	{linuxERESTARTNOHAND, "ERESTARTNOHAND", Retry,
		"kernel-internal restart code (include/linux/errno.h) that should never reach user space; if it leaks, the call can be made again"},
	{linuxENOIOCTLCMD, "ENOIOCTLCMD", Retry,
		"kernel-internal code (include/linux/errno.h) that should never reach user space; never fatal at once, a Streak bounds the retries"},
	{linuxERESTART_RESTARTBLOCK, "ERESTART_RESTARTBLOCK", Retry,
		"kernel-internal restart code (include/linux/errno.h) that should never reach user space; if it leaks, the call can be made again"},
}, linuxSend)

// Linux send errno numbers not in the receive table.
const (
	linuxENOENT        = 2
	linuxEIO           = 5
	linuxEPIPE         = 32
	linuxEDESTADDRREQ  = 89
	linuxEAFNOSUPPORT  = 97
	linuxEADDRNOTAVAIL = 99
)

// linuxSend is the Linux send table: what sendmmsg(2)/sendmsg(2) on a UDP
// or unix datagram socket returns, from net/ipv4/udp.c udp_sendmsg,
// net/ipv6/udp.c udpv6_sendmsg, net/ipv4/ip_output.c, net/unix/af_unix.c
// unix_dgram_sendmsg. The rows that say "measured" were produced by real
// calls on Linux 6.18 (TestLinuxSendErrnosFromTheKernel does it again).
var linuxSend = []SendRow{
	{linuxEPERM, "EPERM", Drop, "denied",
		"a netfilter rule dropped the datagram (NF_DROP in ip_local_out), or a seccomp/LSM policy refused it; about this destination, not the socket"},
	{linuxENOENT, "ENOENT", Drop, "refused",
		"a unix datagram destination path that does not exist (unix_dgram_sendmsg, measured): nobody to answer; the socket is fine"},
	{linuxEINTR, "EINTR", Retry, "",
		"a signal interrupted the call before anything was sent: send again"},
	{linuxEIO, "EIO", Drop, "gso",
		"a segmented (UDP GSO) send the device cannot checksum (udp_send_skb); the engine turns GSO off for the socket and sends the same messages one by one"},
	{linuxEBADF, "EBADF", Fatal, "gone",
		"the descriptor was closed under the loop: the socket is gone, end the loop and re-open"},
	{linuxEAGAIN, "EAGAIN", Wait, "full",
		"the socket's send buffer is full (sock_alloc_send_skb), or a unix datagram receiver's queue is (measured; poll then reports the sender writable at once, so only the time bound ends the wait): keep the messages, wait for writability with a bound, then drop and count"},
	{linuxENOMEM, "ENOMEM", Backoff, "no_buffer",
		"the kernel could not allocate the datagram: drop it, count it and pause; a new socket would not help"},
	{linuxEACCES, "EACCES", Drop, "denied",
		"a broadcast destination without SO_BROADCAST (measured), or a route that prohibits it: about this destination"},
	{linuxEFAULT, "EFAULT", Fatal, "gone",
		"a buffer address the loop passed is invalid: its memory is corrupt; end the loop"},
	{linuxEPIPE, "EPIPE", Fatal, "gone",
		"the socket was shut down for writing (SEND_SHUTDOWN in sock_alloc_send_pskb), possibly from another process; every later send fails so (measured, also after SHUT_RDWR): end the loop and re-open"},
	{linuxEINVAL, "EINVAL", Drop, "bad_address",
		"the kernel rejected this message (destination port 0, measured; a segment size larger than the route's MTU, a bad source address or control message): drop it, send the rest"},
	{linuxENETUNREACH, "ENETUNREACH", Drop, "unreachable",
		"no route to the destination's network (or a stale ICMP net unreachable): about this destination"},
	{linuxEHOSTUNREACH, "EHOSTUNREACH", Drop, "unreachable",
		"no route to the host (or a stale ICMP host unreachable): about this destination"},
	{linuxEHOSTDOWN, "EHOSTDOWN", Drop, "unreachable",
		"a stale ICMP host unknown: about a destination"},
	{linuxENONET, "ENONET", Drop, "unreachable",
		"a stale ICMP host isolated: about a destination"},
	{linuxENETDOWN, "ENETDOWN", Drop, "unreachable",
		"the interface toward the destination is down: this message cannot leave; others may"},
	{linuxENOTSOCK, "ENOTSOCK", Fatal, "gone",
		"the descriptor is no longer a socket (dup2 over it): end the loop and re-open"},
	{linuxEDESTADDRREQ, "EDESTADDRREQ", Drop, "bad_address",
		"no destination address (measured): a reply to a sender that has none"},
	{linuxEMSGSIZE, "EMSGSIZE", Drop, "too_big",
		"the datagram is larger than the socket or path allows (65508 bytes over IPv4, measured; or a stale ICMP fragmentation needed): drop this one"},
	{linuxENOPROTOOPT, "ENOPROTOOPT", Drop, "unreachable",
		"a stale ICMP protocol unreachable: about a destination"},
	{linuxEPROTO, "EPROTO", Drop, "unreachable",
		"a stale ICMP parameter problem: about a destination"},
	{linuxEOPNOTSUPP, "EOPNOTSUPP", Drop, "bad_address",
		"a flag or control message the socket does not support for this message"},
	{linuxEAFNOSUPPORT, "EAFNOSUPPORT", Drop, "bad_address",
		"an IPv6 destination on an IPv4 socket (udp_sendmsg, measured): about this destination"},
	{linuxEADDRNOTAVAIL, "EADDRNOTAVAIL", Drop, "bad_address",
		"the source address (IP_PKTINFO) is not this host's, or the destination cannot be reached from the bound address: about this message"},
	{linuxECONNRESET, "ECONNRESET", Drop, "refused",
		"a stale ICMP port unreachable reported on this send: the message was not sent; about an earlier destination"},
	{linuxENOTCONN, "ENOTCONN", Drop, "bad_address",
		"no destination on an unconnected unix datagram socket (measured), or a unix peer that is gone: about this message"},
	{linuxECONNREFUSED, "ECONNREFUSED", Drop, "refused",
		"a stale ICMP port unreachable from an earlier send (connected socket or IP_RECVERR), or a unix path nobody is bound to (measured): the message was not sent"},
	{linuxENOBUFS, "ENOBUFS", Backoff, "no_buffer",
		"the kernel or a queue discipline is short of buffers: drop, count and pause; never wait for writability (the socket stays writable)"},
}
