package engine

// Stats is a snapshot of an Engine's counters: totals and one entry per
// loop. Counters only grow over an Engine's life.
type Stats struct {
	Datagrams uint64 // datagrams handed to the handler
	Bytes     uint64 // their payload bytes
	Batches   uint64 // HandleBatch calls
	Truncated uint64 // datagrams cut to DatagramSize
	Errors    uint64 // receive errors of every class
	Restarts  uint64 // sockets re-opened after a fatal error
	// KernelDrops are what the kernel dropped before the engine could
	// read it, mostly because a receive buffer was full (Linux: each
	// socket's SO_MEMINFO count, read by Stats; 0 elsewhere): datagrams,
	// exactly, on a socket without GRO. With Config.GRO the kernel counts
	// a dropped coalesced read once, however many datagrams it held (up
	// to 64 from a NIC, up to the sender's segments from a local GSO
	// sender): the count is exact in reads, and the datagrams they held
	// are counted nowhere (docs/operations.md).
	KernelDrops uint64
	// Discarded are datagrams the kernel had queued on a socket the engine
	// closed that were read and not handed to the handler: Shutdown's ctx
	// ended before the drain did, or Shutdown came before Run. (A socket
	// closed for any other reason is emptied into the handler first.)
	Discarded uint64
	// Sent, SentBytes and SendCalls count the datagrams sent (replies
	// and others), their payload bytes, and the send calls that carried
	// them (Linux: sendmmsg batches).
	Sent, SentBytes, SendCalls uint64
	// SendDrops are datagrams a handler or another goroutine asked to
	// send that were not sent: refused by the kernel (per destination,
	// a full send buffer past Config.SendTimeout, no buffers), refused
	// by the engine (no address, too large, queue full), or left when a
	// socket was gone. The metric udprx_send_drops_total has them by
	// reason.
	SendDrops uint64
	// AppDrops are datagrams read from the socket that the application
	// had no room for: a Queue or Workers hand-off queue was full, or
	// still held them when its readers stopped. The metric is
	// udprx_app_drops_total. Kernel drops are counted apart.
	AppDrops uint64
	// SocketErrors are the entries read from the sockets' error queues
	// (Linux, a socket with IP_RECVERR: mostly ICMP errors for datagrams
	// sent on it), counted and otherwise ignored.
	SocketErrors uint64
	Loops        []LoopStats
}

// LoopStats is one loop's share of Stats, with the facts of its socket.
type LoopStats struct {
	Datagrams, Bytes, Batches, Truncated, Errors, Restarts, KernelDrops, Discarded, SocketErrors uint64
	Sent, SentBytes, SendCalls, SendDrops, AppDrops                                              uint64
	// Socket is what the engine learned when the socket was opened: the
	// backend, the receive buffer requested and granted, the options
	// granted.
	Socket SocketInfo
	// IncomingCPU is the socket's SO_INCOMING_CPU now (Linux): the CPU
	// Config.IncomingCPU steers to, or on a connected adopted socket the
	// CPU that last received for it; -1 when unset or unknown (a server's
	// unconnected socket records nothing by itself: the kernel sets it on
	// a connected socket only).
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
			Socket:       socketInfo(l.info()),
			KernelDrops:  l.kernelDrops(),
			Discarded:    l.m.discarded.Get(),
			IncomingCPU:  l.incomingCPU(),
			Sent:         l.m.sentDgrams.Get(),
			SentBytes:    l.m.sentBytes.Get(),
			SendCalls:    l.m.sendCalls.Get(),
			SendDrops:    l.m.sendDrops.Get(),
			AppDrops:     l.m.appDrops.Get(),
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
		s.Sent += ls.Sent
		s.SentBytes += ls.SentBytes
		s.SendCalls += ls.SendCalls
		s.SendDrops += ls.SendDrops
		s.Discarded += ls.Discarded
		s.AppDrops += ls.AppDrops
		s.SocketErrors += ls.SocketErrors
	}
	return s
}
