package engine

import (
	"fmt"
	"net/netip"

	"github.com/udprx/udprx/errpolicy"
)

// WriteToNow sends p to `to` from loop's socket at once, on the caller's
// goroutine, as a *net.UDPConn write does: one non-blocking sendmsg(2),
// no copy, no wake-up of the loop, nothing allocated. Where that cannot
// be done it is WriteToWait: when the socket's send buffer is full
// (EAGAIN), while datagrams queued earlier for the loop still wait (so a
// writer's datagrams leave in the order written), while the socket is
// being replaced or closed, on a backend with no direct send (the
// portable one), and for any error the loop must act on (a socket gone,
// ENOBUFS's back-off): then p is copied into the loop's send queue and
// the loop sends it, applying the send policy.
//
// Sends are counted as the loop's are (Stats.Sent, SentBytes,
// SendCalls). An error that concerns the destination only (the send
// policy's Drop verdict: ECONNREFUSED from an earlier ICMP message,
// EMSGSIZE, EHOSTUNREACH...) is counted as a send drop under its label
// and not returned, as the loop's own send errors are not. It fails with
// ErrNoAddress and ErrTooLarge as WriteTo does, and with an error
// matching net.ErrClosed once the loop has stopped.
//
// A direct send holds a read lock on the loop's socket that the loop
// takes exclusively before it closes or replaces the socket, so a send
// never reaches a descriptor number after its Close.
func (e *Engine) WriteToNow(done <-chan struct{}, loop int, p []byte, to netip.AddrPort) error {
	if loop < 0 || loop >= len(e.loops) {
		return fmt.Errorf("engine: send on loop %d: the engine has loops 0 to %d", loop, len(e.loops)-1)
	}
	l := e.loops[loop]
	if !to.IsValid() || to.Port() == 0 {
		l.m.sendDrop(labelNoAddress, 1)
		return ErrNoAddress
	}
	if len(p) > e.cfg.ReplySize {
		l.m.sendDrop(labelTooBig, 1)
		return fmt.Errorf("%w: %d bytes, Config.ReplySize is %d", ErrTooLarge, len(p), e.cfg.ReplySize)
	}
	if l.in.queued.Load() == 0 && l.sendDirect(p, to) {
		return nil
	}
	if done == nil {
		done = make(chan struct{}) // never closed: wait as long as it takes
	}
	return e.push(done, loop, p, to, netip.Addr{}, 0, nil)
}

// sendDirect tries the direct send of WriteToNow and reports whether it
// is done with p: sent, or dropped and counted. false leaves p to the
// loop's queue.
func (l *loop) sendDirect(p []byte, to netip.AddrPort) bool {
	l.directMu.RLock()
	ds := l.direct
	if ds == nil {
		l.directMu.RUnlock()
		return false
	}
	err := ds.SendNow(p, to)
	l.directMu.RUnlock()
	if err == nil {
		l.m.sentOne(len(p))
		return true
	}
	l.m.sendCalls.Inc()
	d := l.env.policy.ClassifySend(err)
	if d.Verdict != errpolicy.Drop {
		return false // EAGAIN, a back-off, a socket gone: the loop's to handle
	}
	l.log.Report(d, err)
	l.m.sendDrop(d.Label, 1)
	return true
}
