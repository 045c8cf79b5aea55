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
// works:
//
//	listen_native.go    Listen on Linux, darwin, FreeBSD: native, or portable if asked
//	receiver_linux.go   recvmmsg + epoll (eventfd wake-up)
//	receiver_bsd.go     recvmsg drain + kqueue (EVFILT_USER wake-up)
//	listen_other.go     Listen elsewhere: the portable backend only
//	portable.go         the portable backend, built everywhere
//	unixpath_unix.go    unixgram paths: lock, stale-file check, bind, cleanup
//	adopt_native.go     Adopt: receive on a socket the caller opened
//	activation_unix.go  ListenFDs: systemd socket activation
//	intake_linux.go     CloseIntake: stop queueing, for an exact drain
//	cmsg.go             control messages (GRO size, drops, pktinfo, timestamps): pure parsers
//	drops_linux.go      KernelDrops (SO_RXQ_OVFL) and QueueInfo (SO_MEMINFO)
//
// Per-datagram information is asked for in Options (GRO, PktInfo,
// Timestamps) and reported in Info as granted; an option the system or
// kernel lacks is off, never an error. Optional interfaces, asserted on a
// Receiver, offer what only some backends have: IntakeCloser,
// DropCounter, QueueReporter.
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
