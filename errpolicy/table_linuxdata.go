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
		"the descriptor was closed under the loop (a close from another thread does not wake recvmmsg, and the number is reused at once: FACTS.md): re-open"},
	{linuxEAGAIN, "EAGAIN", Wait,
		"the receive queue is empty (EWOULDBLOCK is the same number): back to the poller"},
	{linuxENOMEM, "ENOMEM", Backoff,
		"the kernel could not allocate memory for the call; pressure passes with time, an immediate retry adds to it"},
	{linuxEACCES, "EACCES", Count,
		"ICMPv6 administratively prohibited, policy failure or reject route (icmpv6_err_convert); one-shot, pre-empts queued data: count and read on (FACTS.md)"},
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
		"the descriptor is no longer a socket (dup2 over it makes every socket call fail so: FACTS.md): re-open"},
	{linuxEMSGSIZE, "EMSGSIZE", Count,
		"ICMP fragmentation needed or ICMPv6 packet too big for an earlier send; one-shot, the socket stays usable"},
	{linuxENOPROTOOPT, "ENOPROTOOPT", Count,
		"ICMP protocol unreachable (icmp_err_convert); one-shot, pre-empts queued data: count and read on (FACTS.md)"},
	{linuxEOPNOTSUPP, "EOPNOTSUPP", Count,
		"ICMP source route failed (icmp_err_convert); one-shot. If it repeats (an unsupported flag), a Streak turns it into backoff"},
	{linuxENETDOWN, "ENETDOWN", Backoff,
		"no ICMP type maps to it: a local interface is down, which lasts; wait, and a Streak escalates if it lasts"},
	{linuxENETUNREACH, "ENETUNREACH", Count,
		"ICMP network unreachable for an earlier send; one-shot, pre-empts queued data: backing off only drops more (FACTS.md)"},
	{linuxECONNRESET, "ECONNRESET", Count,
		"not produced by UDP receive on Linux; where a layer reports it, it stands for an ICMP port unreachable, as on Windows: one-shot"},
	{linuxENOBUFS, "ENOBUFS", Backoff,
		"the kernel is short of buffer memory; it clears as memory is freed, an immediate retry adds to the pressure"},
	{linuxENOTCONN, "ENOTCONN", Fatal,
		"the socket is not connected or was shut down; every later call fails the same way: end the loop and re-open"},
	{linuxECONNREFUSED, "ECONNREFUSED", Count,
		"ICMP port unreachable for an earlier send (connected socket or IP_RECVERR); one-shot, pre-empts queued data: backing off only drops more (FACTS.md)"},
	{linuxEHOSTDOWN, "EHOSTDOWN", Count,
		"ICMP host unknown (icmp_err_convert); one-shot, pre-empts queued data: count and read on"},
	{linuxEHOSTUNREACH, "EHOSTUNREACH", Count,
		"ICMP host unreachable, filtered or time exceeded for an earlier send; one-shot, pre-empts queued data: count and read on (FACTS.md)"},
	{linuxERESTARTSYS, "ERESTARTSYS", Retry,
		"kernel-internal restart code leaked by a blocking recvmmsg interrupted after a partial batch (FACTS.md); the call can simply be made again"},
	{linuxERESTARTNOINTR, "ERESTARTNOINTR", Retry,
		"kernel-internal restart code (include/linux/errno.h) that should never reach user space; if it leaks, the call can be made again"},
	{linuxERESTARTNOHAND, "ERESTARTNOHAND", Retry,
		"kernel-internal restart code (include/linux/errno.h) that should never reach user space; if it leaks, the call can be made again"},
	{linuxENOIOCTLCMD, "ENOIOCTLCMD", Retry,
		"kernel-internal code (include/linux/errno.h) that should never reach user space; never fatal at once, a Streak bounds the retries"},
	{linuxERESTART_RESTARTBLOCK, "ERESTART_RESTARTBLOCK", Retry,
		"kernel-internal restart code (include/linux/errno.h) that should never reach user space; if it leaks, the call can be made again"},
})
