package engine

import (
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"time"

	"github.com/udprx/udprx/errpolicy"
)

// Workers is a Handler that splits reading from processing, for handlers
// that do real work per datagram: each loop copies its datagrams into
// pooled buffers and queues them (a bounded queue per loop) to n worker
// goroutines of its own, which call the work function with a Job and
// answer through Job.Reply, the goroutine-safe send path. A loop never
// waits for its workers, so a slow work function no longer stalls
// reading; when a loop's queue is full the datagram is dropped and
// counted as an application drop (Stats.AppDrops, the metric
// udprx_app_drops_total), kept apart from the kernel's drops, and the
// queue's depth is the gauge udprx_handoff_queue_depth. Nothing is
// allocated per datagram.
//
// Shutdown drains: every loop reads its socket until empty, waits until
// its workers have done every queued datagram (their replies leave from
// the loop's socket before it closes), then the workers end, and only
// then do the stop hooks (Config.OnStop) run.
type Workers struct {
	n, size int
	fn      func(*Job)
	e       *Engine
	queues  []*handoff // one per loop
	wg      sync.WaitGroup
}

// NewWorkers returns a Workers handler with n worker goroutines per loop
// (1 to 4096) and a queue of queue datagrams per loop (1 to 65536), each
// buffer Config.DatagramSize bytes, allocated by New, which also starts
// the workers. fn is called for each datagram on a worker goroutine, one
// at a time per worker; the Job is released when fn returns, so fn must
// not keep it or its Payload. A panic in fn is recovered and counted as a
// handler panic; the worker goes on.
func NewWorkers(n, queue int, fn func(j *Job)) *Workers {
	return &Workers{n: n, size: queue, fn: fn}
}

func (ws *Workers) attach(e *Engine) error {
	switch {
	case ws.e != nil:
		return fmt.Errorf("engine: Config.Handler: these Workers already serve another Engine")
	case ws.fn == nil:
		return fmt.Errorf("engine: NewWorkers: the work function is nil")
	case ws.n < 1 || ws.n > 4096:
		return fmt.Errorf("engine: NewWorkers n %d: want 1 to 4096 workers per loop", ws.n)
	case ws.size < 1 || ws.size > maxHandoff:
		return fmt.Errorf("engine: NewWorkers queue %d: want 1 to %d datagrams per loop", ws.size, maxHandoff)
	}
	ws.e = e
	ws.queues = make([]*handoff, e.cfg.Loops)
	for i := range ws.queues {
		h := newHandoff(e, ws.size, e.cfg.DatagramSize)
		ws.queues[i] = h
		for range ws.n {
			ws.wg.Add(1)
			go ws.work(h)
		}
	}
	return nil
}

// work is one worker: it runs until its queue is closed and empty.
func (ws *Workers) work(h *handoff) {
	defer ws.wg.Done()
	for j := range h.ready {
		ws.call(j)
		h.release(j)
	}
}

// call runs the work function on j. A panic in it is recovered, counted
// as a handler panic of j's loop (udprx_handler_panics_total) and logged;
// the worker goes on with the next datagram, as the loop would not be
// helped by ending it. Config.PanicStops stops the engine instead.
func (ws *Workers) call(j *Job) {
	defer func() {
		if p := recover(); p != nil {
			l := ws.e.loops[j.loop]
			l.m.panics.Inc()
			pe := &PanicError{Value: p, Stack: debug.Stack()}
			ws.e.log.Error("work function panicked", "loop", l.id, "addr", ws.e.addr.String(), "err", pe)
			if ws.e.cfg.PanicStops {
				// As a handler panic does: Run returns it in a LoopError.
				ws.e.life.fail(&LoopError{Loop: l.id, Addr: ws.e.env.addr, Verdict: errpolicy.Fatal, Err: pe})
			}
		}
	}()
	ws.fn(j)
}

// HandleBatch queues copies of b's datagrams for the loop's workers (the
// loop calls it).
func (ws *Workers) HandleBatch(w *Writer, b Batch) { ws.queues[w.l.id].put(w.l, b) }

// drainLoop waits, on loop l's goroutine, until l's workers have done
// every datagram l queued, sending their replies from l's socket as they
// come. A ctx that ends Shutdown early (e.abort) ends the wait.
func (ws *Workers) drainLoop(l *loop) {
	h := ws.queues[l.id]
	for !h.settled() {
		l.flushInbox()
		if l.env.life.abort.Load() {
			return
		}
		select {
		case <-h.idle:
		case <-time.After(10 * time.Millisecond): // to see e.abort
		}
	}
	l.flushInbox()
}

// stop closes the queues, which ends the workers once they are empty, and
// waits for them; every loop has ended. It is not called after an aborted
// drain: loops may still be queueing, and a worker stuck in the work
// function cannot be forced.
func (ws *Workers) stop() {
	for _, h := range ws.queues {
		close(h.ready)
	}
	ws.wg.Wait()
}

func (ws *Workers) writeMetrics(w io.Writer) {
	for i, h := range ws.queues {
		fmt.Fprintf(w, "udprx_handoff_queue_depth{loop=\"%d\"} %d\n", i, h.depth())
	}
}
