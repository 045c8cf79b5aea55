package errpolicy

// Windows error numbers (winerror.h, winsock2.h). table_check_windows.go
// proves them equal to golang.org/x/sys/windows when building for Windows.
const (
	windowsERROR_OPERATION_ABORTED = 995
	windowsWSAEINTR                = 10004
	windowsWSAEBADF                = 10009
	windowsWSAEFAULT               = 10014
	windowsWSAEINVAL               = 10022
	windowsWSAEMFILE               = 10024
	windowsWSAEWOULDBLOCK          = 10035
	windowsWSAENOTSOCK             = 10038
	windowsWSAEMSGSIZE             = 10040
	windowsWSAEOPNOTSUPP           = 10045
	windowsWSAENETDOWN             = 10050
	windowsWSAENETUNREACH          = 10051
	windowsWSAENETRESET            = 10052
	windowsWSAECONNRESET           = 10054
	windowsWSAENOBUFS              = 10055
	windowsWSAENOTCONN             = 10057
	windowsWSAESHUTDOWN            = 10058
	windowsWSAEHOSTUNREACH         = 10065
	windowsWSANOTINITIALISED       = 10093
)

// Windows is the table for Windows, where Go's syscall.Errno carries the
// Winsock codes of the recvfrom and WSARecvFrom documentation (Go's poller
// fetches them with WSAGetOverlappedResult).
var Windows = newTable("windows", 0, 0, []Row{
	{windowsERROR_OPERATION_ABORTED, "ERROR_OPERATION_ABORTED", Retry,
		"the overlapped receive was cancelled by someone other than Go's poller (our own close arrives as net.ErrClosed); the socket is intact: call again"},
	{windowsWSAEINTR, "WSAEINTR", Retry,
		"a blocking call was cancelled (WSACancelBlockingCall) before anything was read; nothing was lost: call again"},
	{windowsWSAEBADF, "WSAEBADF", Fatal,
		"the socket handle is not valid (closed under the loop): re-open"},
	{windowsWSAEFAULT, "WSAEFAULT", Fatal,
		"a buffer or address the loop passed is invalid: its memory is corrupt or released; never touch it again"},
	{windowsWSAEINVAL, "WSAEINVAL", Fatal,
		"the socket is not bound or a flag is invalid (recvfrom documentation); the same call fails the same way forever: re-open"},
	{windowsWSAEMFILE, "WSAEMFILE", Backoff,
		"no socket descriptors are left; they free as sockets close"},
	{windowsWSAEWOULDBLOCK, "WSAEWOULDBLOCK", Wait,
		"nothing to read on a non-blocking socket: back to the poller"},
	{windowsWSAENOTSOCK, "WSAENOTSOCK", Fatal,
		"the handle is not a socket: re-open"},
	{windowsWSAEMSGSIZE, "WSAEMSGSIZE", Count,
		"the datagram was longer than its buffer and was truncated (FACTS.md); its tail is lost, the socket is fine"},
	{windowsWSAEOPNOTSUPP, "WSAEOPNOTSUPP", Backoff,
		"MSG_OOB or another flag a datagram socket does not support; it repeats: back off, a Streak ends the loop"},
	{windowsWSAENETDOWN, "WSAENETDOWN", Backoff,
		"the network subsystem has failed (recvfrom documentation); give it time, a Streak escalates if it lasts"},
	{windowsWSAENETUNREACH, "WSAENETUNREACH", Count,
		"not documented for receive; where a provider reports it, it is ICMP-derived as on the other platforms: one-shot, count and read on"},
	{windowsWSAENETRESET, "WSAENETRESET", Count,
		"ICMP time exceeded for an earlier send, when SIO_UDP_NETRESET is not disabled on the socket (FACTS.md); one-shot: count and read on"},
	{windowsWSAECONNRESET, "WSAECONNRESET", Count,
		"ICMP port unreachable for an earlier send, when SIO_UDP_CONNRESET is not disabled on the socket as Go's net does (FACTS.md); one-shot: count and read on"},
	{windowsWSAENOBUFS, "WSAENOBUFS", Backoff,
		"Winsock is short of buffer space; it clears as buffers are freed, an immediate retry adds to the pressure"},
	{windowsWSAENOTCONN, "WSAENOTCONN", Fatal,
		"the socket is not connected; every later call fails the same way: end the loop and re-open"},
	{windowsWSAESHUTDOWN, "WSAESHUTDOWN", Fatal,
		"the socket was shut down for receiving; every later receive fails: end the loop and re-open"},
	{windowsWSAEHOSTUNREACH, "WSAEHOSTUNREACH", Count,
		"not documented for receive; where a provider reports it, it is ICMP-derived as on the other platforms: one-shot, count and read on"},
	{windowsWSANOTINITIALISED, "WSANOTINITIALISED", Fatal,
		"Winsock is not initialised (someone called WSACleanup); no socket call works until WSAStartup: end the loop"},
})
