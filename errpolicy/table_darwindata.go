package errpolicy

// darwin errno numbers (bsd/sys/errno.h). table_check_darwin.go proves them
// equal to golang.org/x/sys/unix when building for darwin or iOS.
const (
	darwinEPERM        = 1
	darwinEINTR        = 4
	darwinEBADF        = 9
	darwinENOMEM       = 12
	darwinEACCES       = 13
	darwinEFAULT       = 14
	darwinEINVAL       = 22
	darwinENFILE       = 23
	darwinEMFILE       = 24
	darwinEAGAIN       = 35
	darwinENOTSOCK     = 38
	darwinEMSGSIZE     = 40
	darwinENOPROTOOPT  = 42
	darwinENETDOWN     = 50
	darwinENETUNREACH  = 51
	darwinECONNRESET   = 54
	darwinENOBUFS      = 55
	darwinENOTCONN     = 57
	darwinECONNREFUSED = 61
	darwinEHOSTDOWN    = 64
	darwinEHOSTUNREACH = 65
)

// Darwin is the table for macOS and iOS. Only connected sockets see ICMP
// errors there (FACTS.md); the ICMP mappings are those of inetctlerrmap
// (bsd/netinet/ip_input.c).
var Darwin = newTable("darwin", 0, 0, []Row{
	{darwinEPERM, "EPERM", Backoff,
		"not ICMP-derived on receive: a sandbox or MAC policy refusing the call, which may be lifted; back off, a Streak escalates if it lasts"},
	{darwinEINTR, "EINTR", Retry,
		"a signal interrupted the call before anything was read; nothing was lost: call again"},
	{darwinEBADF, "EBADF", Fatal,
		"a defunct socket as kqueue reports it (EV_EOF with EBADF in fflags: FACTS.md), or a descriptor closed under the loop: re-open"},
	{darwinENOMEM, "ENOMEM", Backoff,
		"the kernel could not allocate memory for the call; pressure passes with time, an immediate retry adds to it"},
	{darwinEACCES, "EACCES", Backoff,
		"not ICMP-derived on darwin: a MAC or sandbox policy refusing the receive, which lasts; back off, a Streak escalates if it lasts"},
	{darwinEFAULT, "EFAULT", Fatal,
		"a buffer or msghdr address the loop passed is invalid: its memory is corrupt or released; never touch it again"},
	{darwinEINVAL, "EINVAL", Fatal,
		"the kernel rejected the call's arguments or the socket's state; the same call fails the same way forever: re-open"},
	{darwinENFILE, "ENFILE", Backoff,
		"the system-wide file table is full (descriptors passed over unixgram need slots); it frees as others close files"},
	{darwinEMFILE, "EMFILE", Backoff,
		"the process's descriptor limit is reached (descriptors passed over unixgram need slots); it frees as the process closes files"},
	{darwinEAGAIN, "EAGAIN", Wait,
		"the receive queue is empty (EWOULDBLOCK is the same number): back to the poller"},
	{darwinENOTSOCK, "ENOTSOCK", Fatal,
		"the descriptor is no longer a socket (replaced with dup2): every socket call fails so: re-open"},
	{darwinEMSGSIZE, "EMSGSIZE", Count,
		"ICMP needs-fragmentation for an earlier send on a connected socket (inetctlerrmap); one-shot, the socket stays usable"},
	{darwinENOPROTOOPT, "ENOPROTOOPT", Count,
		"ICMP parameter problem on a connected socket (inetctlerrmap PRC_PARAMPROB); one-shot, pre-empts queued data: count and read on"},
	{darwinENETDOWN, "ENETDOWN", Backoff,
		"no ICMP type maps to it: a local interface is down, which lasts; wait, and a Streak escalates if it lasts"},
	{darwinENETUNREACH, "ENETUNREACH", Count,
		"no route for an earlier send on a connected socket, reported once through so_error; the socket stays usable: count and read on"},
	{darwinECONNRESET, "ECONNRESET", Count,
		"not produced by UDP receive on darwin; where a layer reports it, it stands for an ICMP port unreachable, as on Windows: one-shot"},
	{darwinENOBUFS, "ENOBUFS", Backoff,
		"the kernel is short of mbufs; it clears as they are freed, an immediate retry adds to the pressure"},
	{darwinENOTCONN, "ENOTCONN", Fatal,
		"a defunct socket (pid_shutdown_sockets, app suspension, sleep/wake) fails every recv with ENOTCONN forever: end the loop and re-create it (FACTS.md)"},
	{darwinECONNREFUSED, "ECONNREFUSED", Count,
		"ICMP port unreachable for an earlier send on a connected socket (inetctlerrmap); one-shot, pre-empts queued data: backing off only drops more"},
	{darwinEHOSTDOWN, "EHOSTDOWN", Count,
		"ICMP host dead on a connected socket (inetctlerrmap PRC_HOSTDEAD); one-shot, pre-empts queued data: count and read on"},
	{darwinEHOSTUNREACH, "EHOSTUNREACH", Count,
		"ICMP net or host unreachable on a connected socket (inetctlerrmap); one-shot, pre-empts queued data: count and read on"},
})
