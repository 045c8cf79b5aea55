package engine

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/udprx/udprx/batch"
	"github.com/udprx/udprx/errpolicy"
	"github.com/udprx/udprx/platform"
)

// Errors of the send side, for errors.Is.
var (
	// ErrNoAddress: a datagram with no address to send to: a reply to a
	// sender that has none (an unbound unix datagram socket, or a unix
	// socket at all: replies go to UDP senders), or WriteTo with an
	// invalid address or port 0. Counted as a send drop "no_address".
	ErrNoAddress = errors.New("engine: no address to send to")
	// ErrTooLarge: a payload longer than Config.ReplySize. Counted as a
	// send drop "too_big".
	ErrTooLarge = errors.New("engine: payload longer than Config.ReplySize")
	// ErrSendQueueFull: Engine.WriteTo or Engine.Reply found the loop's
	// send queue (Config.SendQueue) full. Nothing was queued; the call
	// is counted as a send drop "queue_full", and the caller may try
	// again or let it go.
	ErrSendQueueFull = errors.New("engine: send queue full")
)

// Writer sends datagrams from one loop's socket during HandleBatch: the
// replies to the batch's datagrams, and datagrams to any address.
//
// What a handler queues is copied into the loop's preallocated send slots
// (Config.ReplySlots of Config.ReplySize bytes, allocated at the first
// reply) and sent in one batch when HandleBatch returns (Linux: one
// sendmmsg, with runs of equal-size datagrams to one destination as one
// UDP GSO send), or earlier when the slots fill. A payload built in the
// buffer Buffer returns is not copied at all. In the steady state nothing
// is allocated.
//
// Send errors never reach the handler: they are classified by the send
// policy (docs/errors.md) and counted (Stats.SendDrops and the metric
// udprx_send_drops_total by reason). The methods return errors only for
// what the handler got wrong: no address, a payload too large.
//
// A Writer belongs to its loop's goroutine and is valid only during the
// HandleBatch call it was passed to. To send from other goroutines, use
// Engine.WriteTo and Engine.Reply.
type Writer struct {
	l   *loop
	out *batch.Out // the handler's messages; nil until the first
}

// Loop returns the index of the Writer's loop.
func (w *Writer) Loop() int { return w.l.id }

// Reply queues p as the answer to d: to d.Src, and on a socket bound to
// a wildcard address from d.Dst, the address d was sent to, so that a
// host with several addresses answers from the one the client used (see
// Config.ReceiveOnly). It fails with ErrNoAddress when d has no source
// (an unbound unix datagram sender; a bound one is answered at its
// name, d.SrcName, on Linux) and with an error wrapping ErrTooLarge when p
// is longer than Config.ReplySize.
func (w *Writer) Reply(d batch.Datagram, p []byte) error {
	if d.SrcName != nil {
		return w.queueNamed(p, d.SrcName)
	}
	if !d.Src.IsValid() {
		w.l.m.sendDrop(labelNoAddress, 1)
		return ErrNoAddress
	}
	return w.queue(p, d.Src, d.Dst, replyIfIndex(d))
}

// queueNamed queues p for a unix datagram socket's sender.
func (w *Writer) queueNamed(p, name []byte) error {
	o := w.outbox()
	if o.Room() == 0 {
		w.l.send(o)
	}
	if err := o.AppendNamed(p, name); err != nil {
		w.l.m.sendDrop(labelTooBig, 1)
		return fmt.Errorf("%w: %w (Config.ReplySize is %d)", ErrTooLarge, err, o.SlotSize())
	}
	return nil
}

// WriteTo queues p for to, sent from the loop's socket with the source
// address the kernel chooses. It fails with ErrNoAddress for an invalid
// address or port 0, and with an error wrapping ErrTooLarge when p is
// longer than Config.ReplySize.
func (w *Writer) WriteTo(p []byte, to netip.AddrPort) error {
	return w.queue(p, to, netip.Addr{}, 0)
}

// Buffer returns an empty buffer of Config.ReplySize capacity in the next
// send slot. Build a payload in it with append and pass the result to
// Reply or WriteTo, which then copy nothing. It is the next slot only
// until the next Reply or WriteTo.
func (w *Writer) Buffer() []byte {
	o := w.outbox()
	if o.Room() == 0 {
		w.l.send(o)
	}
	return o.Next()
}

func (w *Writer) outbox() *batch.Out {
	if w.out == nil {
		env := w.l.env
		o, err := batch.NewOut(env.replySlots, env.replySize)
		if err != nil {
			panic(err) // withDefaults validated both
		}
		w.out = o
	}
	return w.out
}

func (w *Writer) queue(p []byte, to netip.AddrPort, from netip.Addr, ifIndex uint32) error {
	if !to.IsValid() || to.Port() == 0 {
		w.l.m.sendDrop(labelNoAddress, 1)
		return ErrNoAddress
	}
	o := w.outbox()
	if o.Room() == 0 {
		w.l.send(o)
	}
	if err := o.Append(p, to, from, ifIndex); err != nil {
		w.l.m.sendDrop(labelTooBig, 1)
		return fmt.Errorf("%w: %d bytes, Config.ReplySize is %d", ErrTooLarge, len(p), o.SlotSize())
	}
	return nil
}

// flush sends what the handler queued.
func (w *Writer) flush() {
	if w.out != nil && w.out.Len() > 0 {
		w.l.send(w.out)
	}
}

// replyIfIndex is the interface a reply to d is pinned to: d's, for an
// IPv6 link-local destination, whose address is ambiguous without it;
// otherwise none, and the routing table chooses by source and
// destination as for any datagram from that address.
func replyIfIndex(d batch.Datagram) uint32 {
	if d.Dst.Is6() && d.Dst.IsLinkLocalUnicast() {
		return d.IfIndex
	}
	return 0
}

// Labels of send drops the engine makes itself (the others are the send
// table's: errpolicy.Decision.Label).
const (
	labelNoAddress = "no_address"
	labelTooBig    = "too_big"
	labelQueueFull = "queue_full"
	labelFull      = "full"
	labelGSO       = "gso"
	labelBadAddr   = "bad_address"
)

// send sends o's messages, applying the send policy to each failure, and
// resets o. It returns once every message is sent or dropped and counted:
// a full send buffer (EAGAIN) is waited out for at most
// Config.SendTimeout. An error that means the socket is gone is kept in
// l.sendErr for the loop to act on.
func (l *loop) send(o *batch.Out) {
	defer o.Reset()
	msgs := o.Messages()
	s := l.sender
	if s == nil {
		l.m.sendDrop("gone", len(msgs))
		return
	}
	var deadline time.Time
	for head := 0; head < len(msgs); {
		n, k, err := s.Send(msgs[head:])
		l.m.sent(msgs[head : head+n])
		head += n
		if err == nil {
			break
		}
		d := l.env.policy.ClassifySend(err)
		if errors.Is(err, platform.ErrSegmented) && (d.Label == labelGSO || d.Label == labelBadAddr) {
			l.disableGSO(err)
			continue // the same messages, one by one
		}
		l.log.Report(d, err)
		switch d.Verdict {
		case errpolicy.Retry:
		case errpolicy.Wait:
			if deadline.IsZero() {
				deadline = time.Now().Add(l.env.sendTimeout)
			}
			if ok, _ := s.WaitWritable(time.Until(deadline)); !ok {
				l.m.sendDrop(labelFull, len(msgs)-head)
				head = len(msgs)
			}
		case errpolicy.Drop:
			l.m.sendDrop(d.Label, k)
			head += k
		case errpolicy.Backoff:
			l.m.sendDrop(d.Label, k)
			head += k
			delay := l.sendBackoff.NextWith(l.env.jitter())
			l.m.backoff.Add(delay.Seconds())
			select {
			case <-l.env.clock.After(delay):
			case <-l.env.life.stopCh:
			}
		default: // Fatal, Stop: the socket is gone
			l.m.sendDrop(d.Label, len(msgs)-head)
			head = len(msgs)
			l.sendErr = err
		}
	}
}

// disableGSO turns segmentation off for the loop's socket after the
// kernel refused a segmented send, and says so once per socket.
func (l *loop) disableGSO(err error) {
	l.sender.DisableGSO()
	l.m.gsoDisabled.Inc()
	l.mu.Lock()
	l.sockInfo.GSO = false
	l.mu.Unlock()
	l.env.log.Warn("UDP GSO refused by the kernel: sending unsegmented on this socket",
		"loop", l.id, "addr", l.env.addr, "err", err)
}

// inbox is a loop's queue for datagrams sent from other goroutines
// (Engine.WriteTo, Engine.Reply): two Outs, one filled by the senders
// under mu while the loop sends the other, swapped by the loop. Both are
// allocated at the first send.
type inbox struct {
	mu     sync.Mutex
	front  *batch.Out
	back   *batch.Out
	closed bool          // the loop has ended for good
	room   chan struct{} // made by a waiting WriteToWait, closed when front is taken
}

// roomMade closes and forgets the channel WriteToWait callers wait on, if
// any: the queue has room again, or is closed. The caller holds in.mu.
func (in *inbox) roomMade() {
	if in.room != nil {
		close(in.room)
		in.room = nil
	}
}

// WriteTo queues p for to on loop's socket, from any goroutine; the loop
// sends it in its next batch, woken through its poller. p is copied. It
// never blocks: when the loop's queue (Config.SendQueue) is full it fails
// with ErrSendQueueFull and counts the refusal. It fails with ErrNoAddress
// and ErrTooLarge as Writer.WriteTo does, and with an error matching
// net.ErrClosed once the loop has stopped.
func (e *Engine) WriteTo(loop int, p []byte, to netip.AddrPort) error {
	return e.enqueue(nil, loop, p, to, netip.Addr{}, 0)
}

// WriteToWait is WriteTo for a caller that would rather wait than drop,
// as a writer on a *net.UDPConn waits for room in the socket's send
// buffer: while the loop's send queue is full it waits until the loop
// takes the queue to send it, or until done is closed, and then fails
// with ErrSendQueueFull, counted once. It never waits for the socket
// itself: the loop does that (Config.SendTimeout).
func (e *Engine) WriteToWait(done <-chan struct{}, loop int, p []byte, to netip.AddrPort) error {
	if done == nil {
		done = make(chan struct{}) // never closed: wait as long as it takes
	}
	return e.enqueue(done, loop, p, to, netip.Addr{}, 0)
}

// Reply queues p as the answer to d on loop's socket, from any goroutine,
// as Writer.Reply does in a handler: to d.Src, from d.Dst on a
// wildcard-bound socket, or to d.SrcName on a unix datagram socket. Only
// d's addresses are used: d may be a copy whose Payload is gone (a
// SrcName must still be valid: copy it with the payload). Errors are those
// of WriteTo.
func (e *Engine) Reply(loop int, d batch.Datagram, p []byte) error {
	if d.SrcName != nil {
		return e.push(nil, loop, p, netip.AddrPort{}, netip.Addr{}, 0, d.SrcName)
	}
	return e.enqueue(nil, loop, p, d.Src, d.Dst, replyIfIndex(d))
}

// enqueue queues p for a UDP destination on loop's inbox. With a nil done
// it fails at once when the inbox is full; otherwise it waits for room
// until done is closed.
func (e *Engine) enqueue(done <-chan struct{}, loop int, p []byte, to netip.AddrPort, from netip.Addr, ifIndex uint32) error {
	if (!to.IsValid() || to.Port() == 0) && loop >= 0 && loop < len(e.loops) {
		e.loops[loop].m.sendDrop(labelNoAddress, 1)
		return ErrNoAddress
	}
	return e.push(done, loop, p, to, from, ifIndex, nil)
}

// push appends a datagram to loop's inbox under its lock (for the unix
// socket name when name is not nil), waiting for room as enqueue says,
// and wakes the loop for the first datagram queued since it last sent.
func (e *Engine) push(done <-chan struct{}, loop int, p []byte, to netip.AddrPort, from netip.Addr, ifIndex uint32, name []byte) error {
	if loop < 0 || loop >= len(e.loops) {
		return fmt.Errorf("engine: send on loop %d: the engine has loops 0 to %d", loop, len(e.loops)-1)
	}
	l := e.loops[loop]
	in := &l.in
	var err error
	var first bool
	for {
		in.mu.Lock()
		if in.closed {
			in.mu.Unlock()
			return fmt.Errorf("engine: send on loop %d: %w", loop, net.ErrClosed)
		}
		if in.front == nil {
			in.front, _ = batch.NewOut(e.cfg.SendQueue, e.cfg.ReplySize)
			in.back, _ = batch.NewOut(e.cfg.SendQueue, e.cfg.ReplySize)
		}
		if name != nil {
			err = in.front.AppendNamed(p, name)
		} else {
			err = in.front.Append(p, to, from, ifIndex)
		}
		first = in.front.Len() == 1
		if done == nil || !errors.Is(err, batch.ErrOutFull) {
			in.mu.Unlock()
			break
		}
		if in.room == nil {
			in.room = make(chan struct{})
		}
		room := in.room
		in.mu.Unlock()
		l.wake() // the loop may not know the queue is full
		select {
		case <-room:
			continue
		case <-done:
		}
		break
	}
	switch {
	case errors.Is(err, batch.ErrOutFull):
		l.m.sendDrop(labelQueueFull, 1)
		return ErrSendQueueFull
	case err != nil:
		l.m.sendDrop(labelTooBig, 1)
		return fmt.Errorf("%w: %d bytes, Config.ReplySize is %d", ErrTooLarge, len(p), e.cfg.ReplySize)
	}
	if first {
		l.wake()
	}
	return nil
}

// flushInbox sends what other goroutines queued for the loop.
func (l *loop) flushInbox() {
	in := &l.in
	in.mu.Lock()
	if in.front == nil || in.front.Len() == 0 {
		in.mu.Unlock()
		return
	}
	in.front, in.back = in.back, in.front
	in.roomMade()
	in.mu.Unlock()
	l.send(in.back)
}

// closeInbox refuses further sends from other goroutines and wakes the
// writers waiting for room, who then fail with net.ErrClosed; what is
// queued stays, for the socket to send.
func (l *loop) closeInbox() {
	l.in.mu.Lock()
	defer l.in.mu.Unlock()
	l.in.closed = true
	l.in.roomMade()
}

// abandonInbox refuses further sends from other goroutines and counts
// what they queued as dropped: the loop has ended for good without a
// socket to send it on. After a stop's closeReceiver it finds nothing.
func (l *loop) abandonInbox() {
	l.in.mu.Lock()
	defer l.in.mu.Unlock()
	l.in.closed = true
	l.in.roomMade()
	if q := l.in.front; q != nil && q.Len() > 0 {
		l.m.sendDrop("gone", q.Len())
		q.Reset()
	}
}

// queued returns how many datagrams wait in the loop's inbox.
func (l *loop) queued() int {
	l.in.mu.Lock()
	defer l.in.mu.Unlock()
	if l.in.front == nil {
		return 0
	}
	return l.in.front.Len()
}
