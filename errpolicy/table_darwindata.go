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
// errors there (docs/kernel.md); the ICMP mappings are those of inetctlerrmap
// (bsd/netinet/ip_input.c).
var Darwin = newTable("darwin", 0, 0, []Row{
	{darwinEPERM, "EPERM", Backoff,
		"not ICMP-derived on receive: a sandbox or MAC policy refusing the call, which may be lifted; back off, a Streak escalates if it lasts"},
	{darwinEINTR, "EINTR", Retry,
		"a signal interrupted the call before anything was read; nothing was lost: call again"},
	{darwinEBADF, "EBADF", Fatal,
		"a defunct socket as kqueue reports it (EV_EOF with EBADF in fflags: docs/kernel.md), or a descriptor closed under the loop: re-open"},
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
		"a defunct socket (pid_shutdown_sockets, app suspension, sleep/wake) fails every recv with ENOTCONN forever: end the loop and re-create it (docs/kernel.md)"},
	{darwinECONNREFUSED, "ECONNREFUSED", Count,
		"ICMP port unreachable for an earlier send on a connected socket (inetctlerrmap); one-shot, pre-empts queued data: backing off only drops more"},
	{darwinEHOSTDOWN, "EHOSTDOWN", Count,
		"ICMP host dead on a connected socket (inetctlerrmap PRC_HOSTDEAD); one-shot, pre-empts queued data: count and read on"},
	{darwinEHOSTUNREACH, "EHOSTUNREACH", Count,
		"ICMP net or host unreachable on a connected socket (inetctlerrmap); one-shot, pre-empts queued data: count and read on"},
}, darwinSend)

// darwin send errno numbers not in the receive table.
const (
	darwinENOENT        = 2
	darwinEPIPE         = 32
	darwinEDESTADDRREQ  = 39
	darwinEAFNOSUPPORT  = 47
	darwinEADDRNOTAVAIL = 49
)

// darwinSend is the darwin send table: what sendmsg(2) on a UDP or unix
// datagram socket returns, from sosend and sosendcheck
// (bsd/kern/uipc_socket.c), udp_output (bsd/netinet/udp_usrreq.c),
// ip_output (bsd/netinet/ip_output.c) and uipc_send
// (bsd/kern/uipc_usrreq.c). Only connected sockets see ICMP errors, so
// the "stale ICMP" rows concern connected sockets.
var darwinSend = []SendRow{
	{darwinEPERM, "EPERM", Drop, "denied",
		"a sandbox, MAC or content-filter policy refused this send: about this message or destination, not the socket"},
	{darwinENOENT, "ENOENT", Drop, "refused",
		"a unix datagram destination path that does not exist (uipc_send via unp_connect): nobody to answer; the socket is fine"},
	{darwinEINTR, "EINTR", Retry, "",
		"a signal interrupted the call before anything was sent (sosendcheck sblock): send again"},
	{darwinEBADF, "EBADF", Fatal, "gone",
		"the descriptor was closed under the loop: the socket is gone, end the loop and re-open"},
	{darwinENOMEM, "ENOMEM", Backoff, "no_buffer",
		"the kernel could not allocate the datagram: drop it, count it and pause; a new socket would not help"},
	{darwinEACCES, "EACCES", Drop, "denied",
		"a broadcast destination without SO_BROADCAST (ip_output), or a packet filter refusing it: about this destination"},
	{darwinEFAULT, "EFAULT", Fatal, "gone",
		"a buffer address the loop passed is invalid: its memory is corrupt; end the loop"},
	{darwinEINVAL, "EINVAL", Drop, "bad_address",
		"the kernel rejected this message (a bad destination or source address, a malformed control message in udp_output): drop it, send the rest"},
	{darwinEPIPE, "EPIPE", Fatal, "gone",
		"the socket was shut down for writing or made defunct (pid_shutdown_sockets, app suspension: sosendcheck returns EPIPE for SOF_DEFUNCT); every later send fails so: end the loop and re-create the socket"},
	{darwinEAGAIN, "EAGAIN", Wait, "full",
		"the socket's send buffer is full (sosendcheck, EWOULDBLOCK is the same number): keep the messages, wait for writability with a bound, then drop and count"},
	{darwinENOTSOCK, "ENOTSOCK", Fatal, "gone",
		"the descriptor is no longer a socket (replaced with dup2): end the loop and re-open"},
	{darwinEDESTADDRREQ, "EDESTADDRREQ", Drop, "bad_address",
		"no destination address on an unconnected socket (sosendcheck): a reply to a sender that has none"},
	{darwinEMSGSIZE, "EMSGSIZE", Drop, "too_big",
		"the datagram is larger than the send buffer or IP_MAXPACKET allows (sosendcheck, udp_output), or a stale ICMP needs-fragmentation: drop this one"},
	{darwinENOPROTOOPT, "ENOPROTOOPT", Drop, "unreachable",
		"a stale ICMP parameter problem on a connected socket (inetctlerrmap PRC_PARAMPROB): about a destination"},
	{darwinEAFNOSUPPORT, "EAFNOSUPPORT", Drop, "bad_address",
		"a destination of the wrong address family for the socket: about this destination"},
	{darwinEADDRNOTAVAIL, "EADDRNOTAVAIL", Drop, "bad_address",
		"the source address is not usable: not this host's, or an IP_PKTINFO source on a socket bound to a specific address, which darwin rebinds to *:port (miekg/dns #724, #941; the platform sends a source only on wildcard sockets); or an unusable destination: about this message"},
	{darwinENETDOWN, "ENETDOWN", Drop, "unreachable",
		"the interface toward the destination is down (ip_output): this message cannot leave; others may"},
	{darwinENETUNREACH, "ENETUNREACH", Drop, "unreachable",
		"no route to the destination's network (ip_output), or a stale ICMP net unreachable: about this destination"},
	{darwinECONNRESET, "ECONNRESET", Drop, "refused",
		"a reset reported on a datagram socket: a stale ICMP port unreachable (as on Windows) or a unix peer that went away: about an earlier destination, not the socket"},
	{darwinENOBUFS, "ENOBUFS", Backoff, "no_buffer",
		"the interface output queue or the mbuf pool is full (if_output, ifclassq); the socket stays writable through it, so waiting for writability would spin (libuv#5194): drop, count and pause"},
	{darwinENOTCONN, "ENOTCONN", Drop, "bad_address",
		"no destination and no peer: a unix datagram socket whose peer is gone (uipc_send); about this message (a defunct socket fails sends with EPIPE, not this)"},
	{darwinECONNREFUSED, "ECONNREFUSED", Drop, "refused",
		"a stale ICMP port unreachable on a connected socket (inetctlerrmap, reported once through so_error), or a unix path nobody is bound to: the message was not sent"},
	{darwinEHOSTDOWN, "EHOSTDOWN", Drop, "unreachable",
		"the next hop did not answer ARP or neighbour discovery, or a stale ICMP host dead: about this destination"},
	{darwinEHOSTUNREACH, "EHOSTUNREACH", Drop, "unreachable",
		"no route to the host (ip_output, ARP failure), or a stale ICMP host unreachable: about this destination"},
}
