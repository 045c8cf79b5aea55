package engine

import "github.com/udprx/udprx/platform"

// Stats is a snapshot of an Engine's counters: totals and one entry per
// loop. Counters only grow over an Engine's life.
type Stats struct {
	Datagrams uint64 // datagrams handed to the handler
	Bytes     uint64 // their payload bytes
	Batches   uint64 // HandleBatch calls
	Truncated uint64 // datagrams cut to DatagramSize
	Errors    uint64 // receive errors of every class
	Restarts  uint64 // sockets re-opened after a fatal error
	// KernelDrops are datagrams the kernel dropped before the engine could
	// read them, mostly because a receive buffer was full (Linux: each
	// socket's SO_MEMINFO count, read by Stats; 0 elsewhere).
	KernelDrops uint64
	// SocketErrors are the entries read from the sockets' error queues
	// (Linux, a socket with IP_RECVERR: mostly ICMP errors for datagrams
	// sent on it), counted and otherwise ignored.
	SocketErrors uint64
	Loops        []LoopStats
}

// LoopStats is one loop's share of Stats, with the facts of its socket.
type LoopStats struct {
	Datagrams, Bytes, Batches, Truncated, Errors, Restarts, KernelDrops, SocketErrors uint64
	// Socket is what the platform reported when the socket was opened:
	// the backend and the receive buffer requested and granted.
	Socket platform.Info
	// IncomingCPU is the socket's SO_INCOMING_CPU now (Linux): the CPU
	// Config.IncomingCPU steers to, or on a connected adopted socket the
	// CPU that last received for it; -1 when unset or unknown (a server's
	// unconnected socket records nothing by itself: see
	// platform.CPUSteerer).
	IncomingCPU int
}

// Stats returns the counters now. It may be called at any time, from any
// goroutine; it allocates the Loops slice.
func (e *Engine) Stats() Stats {
	var s Stats
	s.Loops = make([]LoopStats, len(e.loops))
	for i, l := range e.loops {
		ls := LoopStats{
			Datagrams:    l.m.datagrams.Get(),
			Bytes:        l.m.bytes.Get(),
			Batches:      l.m.batches.Get(),
			Truncated:    l.m.truncated.Get(),
			Errors:       l.m.errors.Get(),
			Restarts:     l.m.restarts.Get(),
			Socket:       l.info(),
			KernelDrops:  l.kernelDrops(),
			IncomingCPU:  l.incomingCPU(),
			SocketErrors: l.m.sockErrs.Load(),
		}
		s.Loops[i] = ls
		s.Datagrams += ls.Datagrams
		s.Bytes += ls.Bytes
		s.Batches += ls.Batches
		s.Truncated += ls.Truncated
		s.Errors += ls.Errors
		s.Restarts += ls.Restarts
		s.KernelDrops += ls.KernelDrops
		s.SocketErrors += ls.SocketErrors
	}
	return s
}
