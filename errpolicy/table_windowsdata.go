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
		"the datagram was longer than its buffer and was truncated (docs/kernel.md); its tail is lost, the socket is fine"},
	{windowsWSAEOPNOTSUPP, "WSAEOPNOTSUPP", Backoff,
		"MSG_OOB or another flag a datagram socket does not support; it repeats: back off, a Streak ends the loop"},
	{windowsWSAENETDOWN, "WSAENETDOWN", Backoff,
		"the network subsystem has failed (recvfrom documentation); give it time, a Streak escalates if it lasts"},
	{windowsWSAENETUNREACH, "WSAENETUNREACH", Count,
		"not documented for receive; where a provider reports it, it is ICMP-derived as on the other platforms: one-shot, count and read on"},
	{windowsWSAENETRESET, "WSAENETRESET", Count,
		"ICMP time exceeded for an earlier send, when SIO_UDP_NETRESET is not disabled on the socket (docs/kernel.md); one-shot: count and read on"},
	{windowsWSAECONNRESET, "WSAECONNRESET", Count,
		"ICMP port unreachable for an earlier send, when SIO_UDP_CONNRESET is not disabled on the socket as Go's net does (docs/kernel.md); one-shot: count and read on"},
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
}, windowsSend)

// Windows send error numbers not in the receive table.
const (
	windowsWSAEACCES        = 10013
	windowsWSAEDESTADDRREQ  = 10039
	windowsWSAEAFNOSUPPORT  = 10047
	windowsWSAEADDRNOTAVAIL = 10049
)

// windowsSend is the Windows send table: the Winsock codes that the
// sendto, WSASendTo and WSASendMsg documentation lists for a datagram
// socket (Go's WriteMsgUDPAddrPort calls WSASendMsg).
var windowsSend = []SendRow{
	{windowsWSAEINTR, "WSAEINTR", Retry, "",
		"a blocking call was cancelled (WSACancelBlockingCall) before anything was sent: send again"},
	{windowsWSAEBADF, "WSAEBADF", Fatal, "gone",
		"the socket handle is not valid (closed under the loop): end the loop and re-open"},
	{windowsWSAEACCES, "WSAEACCES", Drop, "denied",
		"a broadcast destination without SO_BROADCAST (sendto documentation), or a firewall refusing it: about this destination"},
	{windowsWSAEFAULT, "WSAEFAULT", Fatal, "gone",
		"a buffer or destination address the loop passed is not in the user address space: its memory is corrupt; end the loop"},
	{windowsWSAEINVAL, "WSAEINVAL", Drop, "bad_address",
		"an unknown flag or a malformed control message for this send (sendto, WSASendMsg documentation): drop it, send the rest"},
	{windowsWSAEWOULDBLOCK, "WSAEWOULDBLOCK", Wait, "full",
		"the send buffer of a non-blocking socket is full: keep the messages, wait for writability with a bound, then drop and count"},
	{windowsWSAENOTSOCK, "WSAENOTSOCK", Fatal, "gone",
		"the handle is not a socket: end the loop and re-open"},
	{windowsWSAEDESTADDRREQ, "WSAEDESTADDRREQ", Drop, "bad_address",
		"no destination address (sendto documentation): a reply to a sender that has none"},
	{windowsWSAEMSGSIZE, "WSAEMSGSIZE", Drop, "too_big",
		"the datagram is larger than the transport allows (sendto documentation): drop this one"},
	{windowsWSAEOPNOTSUPP, "WSAEOPNOTSUPP", Drop, "bad_address",
		"a flag the datagram socket does not support for this send (MSG_OOB): about this message"},
	{windowsWSAEAFNOSUPPORT, "WSAEAFNOSUPPORT", Drop, "bad_address",
		"a destination of an address family the socket cannot use (sendto documentation): about this destination"},
	{windowsWSAEADDRNOTAVAIL, "WSAEADDRNOTAVAIL", Drop, "bad_address",
		"the destination is not a valid address (ADDR_ANY, port 0: sendto documentation): about this message"},
	{windowsWSAENETDOWN, "WSAENETDOWN", Drop, "unreachable",
		"the network subsystem has failed (sendto documentation): this message cannot leave; the receive side backs off if it lasts"},
	{windowsWSAENETUNREACH, "WSAENETUNREACH", Drop, "unreachable",
		"the destination's network cannot be reached from this host (sendto documentation): about this destination"},
	{windowsWSAENETRESET, "WSAENETRESET", Drop, "unreachable",
		"a stale ICMP time exceeded for an earlier send (\"the time to live has expired\": sendto documentation): about an earlier destination, not the socket"},
	{windowsWSAECONNRESET, "WSAECONNRESET", Drop, "refused",
		"a stale ICMP port unreachable for an earlier send (sendto documentation), when SIO_UDP_CONNRESET is not disabled: about an earlier destination, not the socket"},
	{windowsWSAENOBUFS, "WSAENOBUFS", Backoff, "no_buffer",
		"Winsock is short of buffer space (sendto documentation): drop, count and pause; never wait for writability"},
	{windowsWSAENOTCONN, "WSAENOTCONN", Drop, "bad_address",
		"no destination on an unconnected socket: about this message"},
	{windowsWSAESHUTDOWN, "WSAESHUTDOWN", Fatal, "gone",
		"the socket was shut down for sending (SD_SEND or SD_BOTH: sendto documentation); every later send fails so: end the loop and re-open"},
	{windowsWSAEHOSTUNREACH, "WSAEHOSTUNREACH", Drop, "unreachable",
		"the destination host cannot be reached (sendto documentation): about this destination"},
	{windowsWSANOTINITIALISED, "WSANOTINITIALISED", Fatal, "gone",
		"Winsock is not initialised (someone called WSACleanup); no socket call works until WSAStartup: end the loop"},
}
