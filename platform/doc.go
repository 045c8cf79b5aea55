// Package platform is udprx's seam with the operating system: it opens
// datagram sockets with the options a receive loop needs, waits on them
// (epoll on Linux, kqueue on darwin and FreeBSD, a blocking read elsewhere),
// and reads them in batches (recvmmsg on Linux, a recvmsg drain on the
// BSDs, net.UDPConn.ReadMsgUDPAddrPort on every other system).
//
// It reports facts and decides nothing: errors come back as
// *os.SyscallError wrapping the platform's own errno, hang-ups come back as
// flags on an Event, and what any of it means is for the caller (udprx's
// engine asks package errpolicy).
//
// Only package engine imports platform (TestImportGraph keeps it so):
// engine is the API, and none of platform's types appear in it. Programs
// use engine; platform may change with the engine that uses it.
//
// Each backend is one Receiver implementation compiled only where it
// works. The files, by role (TestDocFileMap keeps this map whole:
// go test ./platform -run TestDocFileMap -update adds a new file):
//
//	platform.go             Receiver, Events, Options, Info, the errors: the contract
//	optional.go             the optional interfaces some backends implement
//	send.go                 Sender, the send half of a Receiver
//	listen_native.go        Listen on Linux, darwin, FreeBSD: native, or portable if asked
//	listen_other.go         Listen elsewhere: the portable backend only
//	listen_otherunix.go     other unix systems: a unixgram or adopted socket, portable backend
//	socket_linux.go         Linux: socket, SO_REUSEPORT, buffer and receive options
//	socket_bsd.go           darwin and FreeBSD: buffer size; no receive options yet
//	socket_darwin.go        darwin: socket, SO_REUSEPORT (not balanced), recvmsg/sendmsg via libc
//	socket_freebsd.go       FreeBSD: socket, SO_REUSEPORT_LB, recvmsg/sendmsg
//	socket_native.go        the portable backend's options where a native backend exists
//	socket_other.go         the portable backend's options elsewhere
//	reuseport_linux.go      the SO_REUSEPORT group program (Options.ReusePortGroup)
//	reuseport_other.go      no group program: only Linux has one
//	rcvbuf.go               the largest receive buffer the kernel grants: a search
//
//	receiver_linux.go       recvmmsg + epoll (eventfd wake-up)
//	park_linux.go           waiting on epoll in the Go runtime's poller
//	receiver_bsd.go         recvmsg drain + kqueue (EVFILT_USER wake-up)
//	kevent.go               what one kevent(2) reports, folded into an Event: pure
//	identity_unix.go        fileID: is a descriptor or path still the file opened
//	sockaddr_native.go      source addresses as the kernel writes them, decoded
//	portable.go             the portable backend, built everywhere
//	portable_unix.go        the portable backend's truncation flag on unix
//	portable_windows.go     the portable backend's truncation error on Windows
//	portable_other.go       no truncation report (js, wasip1, plan9)
//	portablefd_unix.go      the portable backend on a descriptor (Adopt, unixgram)
//	send_linux.go           sendmmsg with UDP GSO and pinned sources
//	send_bsd.go             one sendmsg per message
//	send_portable.go        the portable backend's Send
//
//	cmsg.go                 control messages (GRO size, drops, pktinfo, timestamps): pure parsers
//	cmsg_linux.go           the host's struct cmsghdr layout
//	drops_linux.go          KernelDrops (SO_RXQ_OVFL) and QueueInfo (SO_MEMINFO)
//	errqueue.go             ErrQueueReader: the socket's error queue (ICMP errors)
//	errqueue_linux.go       reading MSG_ERRQUEUE
//	intake_linux.go         CloseIntake: stop queueing, for an exact drain
//	isolate_linux.go        Isolate: no more datagrams, final counters
//	cpu_linux.go            SO_INCOMING_CPU (CPUSteerer)
//	pin_linux.go            PinThread: a loop's thread on one CPU
//	pin_other.go            PinThread elsewhere: not supported
//
//	unixpath_unix.go        unixgram paths: lock, stale-file check, bind, cleanup
//	unixpath_other.go       no unixgram (Windows, AIX and others)
//	unixabstract_linux.go   Linux abstract names (@name)
//	unixabstract_other.go   no abstract names elsewhere
//	unixgramread_unix.go    the portable backend's unixgram read (recvmsg)
//	unixgramread_solaris.go the same on Solaris
//	adopt_native.go         Adopt: receive on a socket the caller opened
//	adopt_linux.go          Adopt: the options found, put back by Close
//	adopt_bsd.go            Adopt on darwin and FreeBSD: nothing to put back
//	adopt_other.go          Adopt elsewhere: the portable backend
//	activation_unix.go      ListenFDs: systemd socket activation
//	activation_other.go     ListenFDs elsewhere: none
//	probe.go                ProbeUnshared: is an address free for one socket
//	waitlocked_linux.go     waitLocked is Wait for a loop with a thread of its own
//	nap_linux.go            Nap sleeps the calling thread for d, precisely, and reports true: a raw
//	nap_other.go            Nap reports false and does not sleep: a precise short nap is
//	control_linux.go        Control (Controller): the descriptor lent for socket options
//
// Package platformtest holds the contract every backend passes.
//
// Per-datagram information is asked for in Options (GRO, PktInfo,
// Timestamps) and reported in Info as granted; an option the system or
// kernel lacks is off, never an error. Optional interfaces, asserted on a
// Receiver, offer what only some backends have (optional.go).
//
// Example:
//
//	r, err := platform.Listen("udp4", "127.0.0.1:0", platform.Options{})
//	if err != nil { ... }
//	defer r.Close()
//	b, _ := batch.New(batch.DefaultSlots, batch.DefaultSlotSize)
//	for {
//		ev, err := r.Wait()
//		...
//		n, err := r.Read(b) // 0, nil: nothing queued
//	}
package platform
