package engine

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// lifecycle is the state an Engine shares with its loops: whether it is
// stopping, and the error that ends it. Shutdown sets it; loops read it.
type lifecycle struct {
	stopping atomic.Bool   // Shutdown began
	abort    atomic.Bool   // Shutdown's ctx ended: stop draining
	stopCh   chan struct{} // closed when stopping begins
	running  atomic.Int64  // loops reading now
	failed   chan error    // the first error that ends the engine, buffered 1
}

func newLifecycle() *lifecycle {
	return &lifecycle{stopCh: make(chan struct{}), failed: make(chan error, 1)}
}

// fail hands Run the error that ends the engine (the first one wins).
func (lc *lifecycle) fail(err error) {
	select {
	case lc.failed <- err:
	default:
	}
}

// supervise runs the loop and, after an error that means its socket is
// broken, re-opens the socket with backoff until the engine stops or the
// escalations run out (Config.MaxRestarts). Every socket it closes is
// emptied first (closeReceiver). It returns when the loop has ended for
// good.
func (l *loop) supervise() {
	env := l.env
	// One suppressor for the loop's whole life, across re-opens: a fault
	// that outlives many sockets is still one fault, summarised.
	defer l.log.Flush()
	// However the loop ends for good, later sends from other goroutines
	// fail with net.ErrClosed, and what they queued is counted.
	defer l.abandonInbox()
	rb := env.restartBackoff
	for {
		l.received = false
		env.life.running.Add(1)
		err := l.run()
		env.life.running.Add(-1)
		mode := closeDeliver
		if !l.readableAfter(err) {
			mode = closeNoRead
		}
		l.closeReceiver(mode)
		if err == nil || env.life.stopping.Load() {
			l.exit(LoopExit{Loop: l.id, Err: err, Restarts: l.escalations})
			return
		}
		if isStop(err) {
			// Closed under us by its owner: nothing to re-open.
			l.exit(LoopExit{Loop: l.id, Err: err})
			env.life.fail(err)
			return
		}
		if env.adopted { // not ours to re-open
			l.exit(LoopExit{Loop: l.id, Err: err})
			env.life.fail(fmt.Errorf("%w; an adopted socket cannot be re-opened", err))
			return
		}
		if l.received {
			rb.Reset()
		}
		for {
			if env.maxRestarts > 0 && l.escalations >= env.maxRestarts {
				l.exit(LoopExit{Loop: l.id, Err: err, Restarts: l.escalations})
				env.life.fail(fmt.Errorf("%w; giving up after %d restarts in a row", err, l.escalations))
				return
			}
			delay := rb.NextWith(env.jitter())
			l.exit(LoopExit{Loop: l.id, Err: err, Restart: true, Restarts: l.escalations, Delay: delay})
			env.log.Log(context.Background(), l.warnLevel(), "receive loop ended: re-opening its socket",
				"loop", l.id, "addr", env.addr, "err", err, "delay", delay, "restarts", l.escalations)
			if !l.sleep(delay) {
				return // stopping
			}
			l.escalations++
			r, lerr := env.reopen()
			if lerr == nil {
				l.setReceiver(r)
				l.m.restarts.Inc()
				env.log.Debug("receive loop restarted", "loop", l.id, "addr", env.addr, "restarts", l.escalations)
				break
			}
			// Re-opening failed too (EMFILE, EADDRINUSE, ...): count it,
			// and try again after the next, longer delay.
			d := env.policy.Classify(lerr)
			l.m.error(d)
			err = &LoopError{Loop: l.id, Addr: env.addr, Verdict: d.Verdict, Err: platformError(lerr)}
		}
	}
}

// exit calls Config.OnLoopExit, if set.
func (l *loop) exit(x LoopExit) {
	if l.env.onExit != nil {
		l.env.onExit(x)
	}
}

// sleep waits d on the engine's clock; false if the engine began stopping.
func (l *loop) sleep(d time.Duration) bool {
	select {
	case <-l.env.clock.After(d):
		return !l.env.life.stopping.Load()
	case <-l.env.life.stopCh:
		return false
	}
}
