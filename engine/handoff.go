package engine

import (
	"fmt"
	"io"
	"net/netip"

	"github.com/udprx/udprx/batch"
)

// Job is one datagram handed off from a loop to another goroutine: a copy
// of it in one of a fixed set of pooled buffers (a Queue's or a Workers'),
// with the loop it came from so that it can be answered from the same
// socket.
//
// A Job belongs to whoever took it from its queue until Release: its
// Datagram.Payload is valid until then, and the buffer is reused after.
type Job struct {
	// Datagram is the datagram, its Payload a copy in the Job's buffer.
	// Src, Dst, IfIndex, Timestamp and Flags are the loop's, as read.
	Datagram batch.Datagram
	loop     int
	buf      []byte // the pooled buffer; Payload is buf[:n]
	h        *handoff
}

// Loop returns the index of the loop that read the datagram.
func (j *Job) Loop() int { return j.loop }

// Reply queues p as the answer to the datagram on its loop's socket,
// through the goroutine-safe send path (Engine.Reply): p is copied, and
// errors are Engine.Reply's (ErrSendQueueFull when the loop's send queue
// is full, an error matching net.ErrClosed once the loop has stopped).
func (j *Job) Reply(p []byte) error { return j.h.e.Reply(j.loop, j.Datagram, p) }

// WriteTo queues p for to on the datagram's loop's socket, as
// Engine.WriteTo does.
func (j *Job) WriteTo(p []byte, to netip.AddrPort) error { return j.h.e.WriteTo(j.loop, p, to) }

// Release gives the Job's buffer back to its pool. The Job and its
// Payload must not be used after.
func (j *Job) Release() { j.h.release(j) }

// handoff is a bounded queue of pooled Jobs: the loops fill it (put, on
// their own goroutines), consumers take from ready and release to free.
// Both channels have room for every Job, so neither send ever blocks:
// only the absence of a free Job (every buffer queued or in use) makes a
// loop drop. Channel operations allocate nothing.
type handoff struct {
	e     *Engine
	jobs  []Job
	free  chan *Job
	ready chan *Job
	idle  chan struct{} // capacity 1: signalled after each release
}

// newHandoff allocates size Jobs of slot bytes each, in one block.
func newHandoff(e *Engine, size, slot int) *handoff {
	h := &handoff{
		e:     e,
		jobs:  make([]Job, size),
		free:  make(chan *Job, size),
		ready: make(chan *Job, size),
		idle:  make(chan struct{}, 1),
	}
	mem := make([]byte, size*slot)
	for i := range h.jobs {
		j := &h.jobs[i]
		j.buf = mem[i*slot : (i+1)*slot : (i+1)*slot]
		j.h = h
		h.free <- j
	}
	return h
}

// put copies b's datagrams into free Jobs and queues them, on loop l's
// goroutine; a datagram with no free Job is dropped and counted as an
// application drop of the loop.
func (h *handoff) put(l *loop, b Batch) {
	dropped := 0
	for _, d := range b.b.Datagrams() {
		var j *Job
		select {
		case j = <-h.free:
		default:
			dropped++
			continue
		}
		n := copy(j.buf, d.Payload)
		j.Datagram = d
		j.Datagram.Payload = j.buf[:n]
		if n < len(d.Payload) {
			j.Datagram.Flags |= batch.Truncated
		}
		j.loop = l.id
		h.ready <- j
	}
	if dropped > 0 {
		l.m.appDrops.Add(dropped)
	}
}

func (h *handoff) release(j *Job) {
	j.Datagram = batch.Datagram{}
	h.free <- j
	select {
	case h.idle <- struct{}{}:
	default:
	}
}

// depth returns how many Jobs wait in the queue, not yet taken.
func (h *handoff) depth() int { return len(h.ready) }

// settled reports whether every Job is back in the pool: nothing queued,
// nothing being worked on.
func (h *handoff) settled() bool { return len(h.free) == cap(h.free) }

// discard releases every queued Job without handing it to anyone,
// counting each as an application drop of the loop that read it. It
// returns how many it discarded.
func (h *handoff) discard() int {
	n := 0
	for {
		select {
		case j := <-h.ready:
			h.e.loops[j.loop].m.appDrops.Inc()
			h.release(j)
			n++
		default:
			return n
		}
	}
}

// stage is a Handler that hands datagrams to other goroutines and takes
// part in the engine's life: New attaches it, each loop waits for it
// before closing its socket at Shutdown (so replies to the datagrams it
// drained still leave), Shutdown stops it before the stop hooks run, and
// its queue depth is a metric.
type stage interface {
	attach(e *Engine) error
	// drainLoop is called on loop l's goroutine after the loop has read
	// its socket for the last time and before it closes: it returns once
	// what the loop handed off is done, or the engine aborts.
	drainLoop(l *loop)
	// stop ends the stage's goroutines and waits for them, once every
	// loop has ended.
	stop()
	writeMetrics(w io.Writer)
}

// Queue is a Handler that hands every datagram to goroutines of the
// caller's that call Receive: each is copied into one of a fixed set of
// pooled buffers and queued, across all loops, in arrival order per loop.
// When every buffer is queued or in use, the datagram is dropped and
// counted as an application drop (Stats.AppDrops and the metric
// udprx_app_drops_total), apart from the kernel's drops. Nothing is
// allocated per datagram.
//
// A Queue serves one Engine: give it as Config.Handler. The datagrams
// still queued when the engine has stopped are not delivered: Discard
// counts them as application drops.
type Queue struct {
	size int
	h    *handoff
}

// NewQueue returns a Queue of size buffers (1 to 65536), each of
// Config.DatagramSize bytes, allocated by New.
func NewQueue(size int) *Queue { return &Queue{size: size} }

func (q *Queue) attach(e *Engine) error {
	if q.h != nil {
		return fmt.Errorf("engine: Config.Handler: this Queue already serves another Engine")
	}
	if q.size < 1 || q.size > maxHandoff {
		return fmt.Errorf("engine: NewQueue size %d: want 1 to %d", q.size, maxHandoff)
	}
	q.h = newHandoff(e, q.size, e.cfg.DatagramSize)
	return nil
}

// maxHandoff bounds the buffers of a Queue or of one loop's Workers
// queue: 65536 buffers of 2 KiB are 128 MiB.
const maxHandoff = 1 << 16

// HandleBatch queues copies of b's datagrams (the loop calls it).
func (q *Queue) HandleBatch(w *Writer, b Batch) { q.h.put(w.l, b) }

// Ready returns the channel the queued Jobs arrive on, to select on
// along with the caller's own channels (deadlines, closing). Each Job
// taken must be released.
func (q *Queue) Ready() <-chan *Job { return q.h.ready }

// Len returns how many Jobs are queued now.
func (q *Queue) Len() int { return q.h.depth() }

// Discard drops every Job still queued, counting each as an application
// drop of the loop that read it, and returns how many there were: for
// a consumer that stops reading (after Shutdown, say).
func (q *Queue) Discard() int { return q.h.discard() }

func (q *Queue) drainLoop(*loop) {}
func (q *Queue) stop()           {}

func (q *Queue) writeMetrics(w io.Writer) {
	fmt.Fprintf(w, "udprx_handoff_queue_depth{queue=\"readers\"} %d\n", q.h.depth())
}
