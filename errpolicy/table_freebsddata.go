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
// EV_EOF as on darwin (docs/kernel.md). The ICMP mappings are those of
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
}, freebsdSend)

// FreeBSD send errno numbers not in the receive table.
const (
	freebsdENOENT        = 2
	freebsdEPIPE         = 32
	freebsdEDESTADDRREQ  = 39
	freebsdEAFNOSUPPORT  = 47
	freebsdEADDRNOTAVAIL = 49
)

// freebsdSend is the FreeBSD send table: what sendmsg(2) on a UDP or unix
// datagram socket returns, from sosend_dgram (sys/kern/uipc_socket.c),
// udp_send and udp_output (sys/netinet/udp_usrreq.c), ip_output
// (sys/netinet/ip_output.c) and the unix datagram send
// (sys/kern/uipc_usrreq.c).
var freebsdSend = []SendRow{
	{freebsdEPERM, "EPERM", Drop, "denied",
		"a MAC policy or packet filter refused this send (mac_socket_check_send, pfil): about this message or destination, not the socket"},
	{freebsdENOENT, "ENOENT", Drop, "refused",
		"a unix datagram destination path that does not exist: nobody to answer; the socket is fine"},
	{freebsdEINTR, "EINTR", Retry, "",
		"a signal interrupted the call before anything was sent: send again"},
	{freebsdEBADF, "EBADF", Fatal, "gone",
		"the descriptor was closed under the loop: the socket is gone, end the loop and re-open"},
	{freebsdENOMEM, "ENOMEM", Backoff, "no_buffer",
		"the kernel could not allocate the datagram: drop it, count it and pause; a new socket would not help"},
	{freebsdEACCES, "EACCES", Drop, "denied",
		"a broadcast destination without SO_BROADCAST (ip_output), or a packet filter dropping it (pfil: pf, ipfw): about this destination"},
	{freebsdEFAULT, "EFAULT", Fatal, "gone",
		"a buffer address the loop passed is invalid: its memory is corrupt; end the loop"},
	{freebsdEINVAL, "EINVAL", Drop, "bad_address",
		"the kernel rejected this message (a bad destination or source address, a malformed control message in udp_output): drop it, send the rest"},
	{freebsdEPIPE, "EPIPE", Fatal, "gone",
		"the socket was shut down for writing (SBS_CANTSENDMORE in sosend_dgram), possibly from another process; every later send fails so: end the loop and re-open"},
	{freebsdEAGAIN, "EAGAIN", Wait, "full",
		"the socket's send buffer is full (sosend_dgram, EWOULDBLOCK is the same number): keep the messages, wait for writability with a bound, then drop and count"},
	{freebsdENOTSOCK, "ENOTSOCK", Fatal, "gone",
		"the descriptor is no longer a socket (replaced with dup2): end the loop and re-open"},
	{freebsdEDESTADDRREQ, "EDESTADDRREQ", Drop, "bad_address",
		"no destination address on an unconnected socket (sosend_dgram): a reply to a sender that has none"},
	{freebsdEMSGSIZE, "EMSGSIZE", Drop, "too_big",
		"the datagram is larger than the send buffer or IP_MAXPACKET allows (sosend_dgram, udp_output), or a stale ICMP needs-fragmentation: drop this one"},
	{freebsdENOPROTOOPT, "ENOPROTOOPT", Drop, "unreachable",
		"a stale ICMP parameter problem on a connected socket: about a destination"},
	{freebsdEAFNOSUPPORT, "EAFNOSUPPORT", Drop, "bad_address",
		"a destination of the wrong address family for the socket: about this destination"},
	{freebsdEADDRNOTAVAIL, "EADDRNOTAVAIL", Drop, "bad_address",
		"the source address (IP_SENDSRCADDR) is not this host's, or the destination is unusable (INADDR_ANY, port 0: udp_output): about this message"},
	{freebsdENETDOWN, "ENETDOWN", Drop, "unreachable",
		"the interface toward the destination is down (ip_output): this message cannot leave; others may"},
	{freebsdENETUNREACH, "ENETUNREACH", Drop, "unreachable",
		"no route to the destination's network (ip_output), or a stale ICMP net unreachable: about this destination"},
	{freebsdECONNRESET, "ECONNRESET", Drop, "refused",
		"a reset reported on a datagram socket: a stale ICMP port unreachable (as on Windows) or a unix peer that went away: about an earlier destination, not the socket"},
	{freebsdENOBUFS, "ENOBUFS", Backoff, "no_buffer",
		"the interface queue is full (if_transmit, IFQ_ENQUEUE) or mbufs ran out; the socket stays writable through it, so waiting for writability would spin (libuv#5194): drop, count and pause"},
	{freebsdENOTCONN, "ENOTCONN", Drop, "bad_address",
		"no destination and no peer: a unix datagram socket whose peer is gone; about this message"},
	{freebsdECONNREFUSED, "ECONNREFUSED", Drop, "refused",
		"a stale ICMP port unreachable on a connected socket (reported once through so_error), or a unix path nobody is bound to: the message was not sent"},
	{freebsdEHOSTDOWN, "EHOSTDOWN", Drop, "unreachable",
		"the next hop did not answer ARP or neighbour discovery (arpresolve, nd6_resolve), or a stale ICMP host dead: about this destination"},
	{freebsdEHOSTUNREACH, "EHOSTUNREACH", Drop, "unreachable",
		"no route to the host (ip_output, ARP failure), or a stale ICMP host unreachable: about this destination"},
}
