package errpolicy

// FreeBSD errno numbers (sys/sys/errno.h; the 4.4BSD numbers, equal to
// darwin's for every row here). table_check_freebsd.go proves them equal to
// golang.org/x/sys/unix when building for FreeBSD.
const (
	freebsdEPERM        = 1
	freebsdEINTR        = 4
	freebsdEBADF        = 9
	freebsdENOMEM       = 12
	freebsdEACCES       = 13
	freebsdEFAULT       = 14
	freebsdEINVAL       = 22
	freebsdENFILE       = 23
	freebsdEMFILE       = 24
	freebsdEAGAIN       = 35
	freebsdENOTSOCK     = 38
	freebsdEMSGSIZE     = 40
	freebsdENOPROTOOPT  = 42
	freebsdENETDOWN     = 50
	freebsdENETUNREACH  = 51
	freebsdECONNRESET   = 54
	freebsdENOBUFS      = 55
	freebsdENOTCONN     = 57
	freebsdECONNREFUSED = 61
	freebsdEHOSTDOWN    = 64
	freebsdEHOSTUNREACH = 65
)

// FreeBSD is the table for FreeBSD. A shutdown there behaves as on Linux
// (readers wake, recv returns 0: reported as [ErrHangUp]), and kqueue reports
// EV_EOF as on darwin (FACTS.md). The ICMP mappings are those of
// sys/netinet/ip_icmp.c and ip_input.c.
var FreeBSD = newTable("freebsd", 0, 0, []Row{
	{freebsdEPERM, "EPERM", Backoff,
		"not ICMP-derived on receive: a MAC policy or capsicum refusing the call, which may be lifted; back off, a Streak escalates if it lasts"},
	{freebsdEINTR, "EINTR", Retry,
		"a signal interrupted the call before anything was read; nothing was lost: call again"},
	{freebsdEBADF, "EBADF", Fatal,
		"the descriptor was closed under the loop, or kqueue reports EV_EOF with EBADF: re-open"},
	{freebsdENOMEM, "ENOMEM", Backoff,
		"the kernel could not allocate memory for the call; pressure passes with time, an immediate retry adds to it"},
	{freebsdEACCES, "EACCES", Backoff,
		"not ICMP-derived on FreeBSD: a MAC policy refusing the receive (mac_socket_check_receive), which lasts; back off, a Streak escalates if it lasts"},
	{freebsdEFAULT, "EFAULT", Fatal,
		"a buffer or msghdr address the loop passed is invalid: its memory is corrupt or released; never touch it again"},
	{freebsdEINVAL, "EINVAL", Fatal,
		"the kernel rejected the call's arguments or the socket's state; the same call fails the same way forever: re-open"},
	{freebsdENFILE, "ENFILE", Backoff,
		"the system-wide file table is full (descriptors passed over unixgram need slots); it frees as others close files"},
	{freebsdEMFILE, "EMFILE", Backoff,
		"the process's descriptor limit is reached (descriptors passed over unixgram need slots); it frees as the process closes files"},
	{freebsdEAGAIN, "EAGAIN", Wait,
		"the receive queue is empty (EWOULDBLOCK is the same number): back to the poller"},
	{freebsdENOTSOCK, "ENOTSOCK", Fatal,
		"the descriptor is no longer a socket (replaced with dup2): every socket call fails so: re-open"},
	{freebsdEMSGSIZE, "EMSGSIZE", Count,
		"ICMP needs-fragmentation for an earlier send on a connected socket; one-shot, the socket stays usable"},
	{freebsdENOPROTOOPT, "ENOPROTOOPT", Count,
		"ICMP parameter problem on a connected socket; one-shot, pre-empts queued data: count and read on"},
	{freebsdENETDOWN, "ENETDOWN", Backoff,
		"no ICMP type maps to it: a local interface is down, which lasts; wait, and a Streak escalates if it lasts"},
	{freebsdENETUNREACH, "ENETUNREACH", Count,
		"no route for an earlier send on a connected socket, reported once through so_error; the socket stays usable: count and read on"},
	{freebsdECONNRESET, "ECONNRESET", Count,
		"not produced by UDP receive on FreeBSD; where a layer reports it, it stands for an ICMP port unreachable, as on Windows: one-shot"},
	{freebsdENOBUFS, "ENOBUFS", Backoff,
		"the kernel is short of mbufs; it clears as they are freed, an immediate retry adds to the pressure"},
	{freebsdENOTCONN, "ENOTCONN", Fatal,
		"the socket is not connected or was shut down; every later call fails the same way: end the loop and re-open"},
	{freebsdECONNREFUSED, "ECONNREFUSED", Count,
		"ICMP port or protocol unreachable for an earlier send on a connected socket; one-shot, pre-empts queued data: backing off only drops more"},
	{freebsdEHOSTDOWN, "EHOSTDOWN", Count,
		"ICMP host dead on a connected socket; one-shot, pre-empts queued data: count and read on"},
	{freebsdEHOSTUNREACH, "EHOSTUNREACH", Count,
		"ICMP net or host unreachable on a connected socket; one-shot, pre-empts queued data: count and read on"},
})
