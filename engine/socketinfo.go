package engine

import "github.com/udprx/udprx/platform"

// SocketInfo is what the engine learned about a loop's socket when it was
// opened: the read path, the receive buffer, and which options the system
// granted. An option the system lacks is reported off, never an error.
type SocketInfo struct {
	// Backend names the read path: "recvmmsg" (Linux), "recvmsg"
	// (darwin, FreeBSD) or "portable" (package net; Config.Portable).
	Backend string
	// RecvBufferRequested is Config.RecvBuffer.
	RecvBufferRequested int
	// RecvBufferGranted is the receive buffer the kernel reports, in the
	// same units as the request (Linux doubles the value it stores for its
	// own bookkeeping: this is halved back); 0 where it cannot be read.
	RecvBufferGranted int
	// ReusePort reports whether SO_REUSEPORT (or _LB) is set.
	ReusePort bool
	// ReusePortGroup is the number of loops the SO_REUSEPORT group's
	// selection program hands datagrams to (see Config.SharePort), 0 when
	// none was attached (not asked for, or refused).
	ReusePortGroup int
	// Path is the unix socket file the engine created and removes at
	// shutdown (absolute); "" for everything else: UDP, abstract names,
	// adopted sockets.
	Path string
	// GRO reports whether UDP GRO is on (Config.GRO, granted).
	GRO bool
	// PktInfo reports whether datagrams carry their destination address
	// and interface (Config.DstAddr, or a wildcard socket that replies).
	PktInfo bool
	// Timestamps reports whether datagrams carry the kernel's receive
	// time (Config.Timestamps, granted).
	Timestamps bool
	// Parks reports whether the loop waits parked in the Go runtime's
	// poller between events (Linux, unless Config.PinCPU) rather than
	// blocking its thread.
	Parks bool
	// GSO reports whether sends coalesce runs of datagrams to one
	// destination into segmented sends (Linux UDP_SEGMENT, probed when
	// the socket is opened, off after the kernel refused one).
	GSO bool
	// PinsSource reports whether each reply leaves from the address its
	// request was sent to: on a UDP socket bound to a wildcard address, on
	// Linux. Elsewhere the socket's address is the source.
	PinsSource bool
}

// socketInfo copies the platform's report into the engine's type.
func socketInfo(i platform.Info) SocketInfo {
	return SocketInfo{
		Backend:             i.Backend,
		RecvBufferRequested: i.RecvBufferRequested,
		RecvBufferGranted:   i.RecvBufferGranted,
		ReusePort:           i.ReusePort,
		ReusePortGroup:      i.ReusePortGroup,
		Path:                i.Path,
		GRO:                 i.GRO,
		PktInfo:             i.PktInfo,
		Timestamps:          i.Timestamps,
		Parks:               i.Parks,
		GSO:                 i.GSO,
		PinsSource:          i.PinsSource,
	}
}
