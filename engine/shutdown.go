package engine

import (
	"context"
	"errors"
	"fmt"
)

// Shutdown stops the engine gracefully and returns when it is done:
//
//  1. every loop is woken through its poller (not by a timeout), and on
//     Linux each socket stops taking new datagrams (a drop-all socket
//     filter), so that
//  2. each loop reads its socket until it is empty: every datagram the
//     kernel had queued when Shutdown was called reaches the handler (the
//     portable backend, which cannot read without blocking, delivers only
//     the datagram it holds; the rest of its queue is closed with it);
//  3. the stop hooks run (Config.OnStop, last to first, each with ctx);
//  4. sockets and pollers are closed, and the unix socket files the
//     engine created are removed.
//
// If ctx is done first, Shutdown stops waiting: loops still draining stop
// after their current batch and close their own sockets, hooks not yet
// run are skipped, and the error (a *ShutdownError) says which step was
// cut short and how many loops had not finished. A loop blocked inside
// the handler cannot be forced; it stops when the handler returns.
//
// Shutdown is safe to call more than once and from several goroutines:
// the first call's ctx governs the sequence, and every call waits for the
// same completion (or its own ctx) and returns the same result. It may be
// called before or without Run. Run returns after it.
func (e *Engine) Shutdown(ctx context.Context) error {
	first := false
	e.stopOnce.Do(func() {
		first = true
		e.mu.Lock()
		e.life.stopping.Store(true)
		close(e.life.stopCh)
		ran := e.started
		e.started = true
		e.mu.Unlock()
		go e.stop(ctx, ran)
	})
	if first {
		// This ctx governs the sequence, which ends promptly when it does:
		// wait for its own account of what was cut short.
		<-e.done
		return e.stopErr
	}
	select {
	case <-e.done:
		return e.stopErr
	case <-ctx.Done():
		return &ShutdownError{Step: "waiting", Unfinished: len(e.loops) - int(e.finished.Load()), Err: ctx.Err()}
	}
}

// stop is the shutdown sequence; it runs once, on its own goroutine, and
// records its result in e.stopErr before closing e.done.
func (e *Engine) stop(ctx context.Context, ran bool) {
	defer close(e.done)
	if !ran {
		for _, l := range e.loops {
			// Refuse further sends before the sockets send what is
			// queued: a writer waiting for room (WriteToWait) would
			// otherwise fill the room the flush makes and be told nil
			// for a datagram no loop will ever send.
			l.closeInbox()
		}
		e.closeReceivers() // no loop will: they never started
		for _, l := range e.loops {
			l.abandonInbox() // wakes writers waiting for room (WriteToWait)
		}
		e.stopStage()
		e.stopErr = e.runHooks(ctx)
		e.closeSockets()
		return
	}
	for _, l := range e.loops {
		l.closeIntake()
		l.wake()
	}
	loopsDone := make(chan struct{})
	go func() { e.wg.Wait(); close(loopsDone) }()
	select {
	case <-loopsDone:
	case <-ctx.Done():
		e.life.abort.Store(true) // draining loops stop after their batch
		e.stopErr = &ShutdownError{Step: "drain", Unfinished: len(e.loops) - int(e.finished.Load()), Err: ctx.Err()}
		return
	}
	e.stopStage()
	e.stopErr = e.runHooks(ctx)
	e.closeSockets()
}

// stopStage ends the hand-off stage's goroutines (Workers) once every
// loop has ended, before the stop hooks run.
func (e *Engine) stopStage() {
	if e.stage != nil {
		e.stage.stop()
	}
}

// runHooks runs the stop hooks, last registered first. A hook's error does
// not keep the others from running; all are joined in the result.
func (e *Engine) runHooks(ctx context.Context) error {
	var errs []error
	for i := len(e.cfg.OnStop) - 1; i >= 0; i-- {
		if ctx.Err() != nil {
			return &ShutdownError{Step: "stop hooks", Skipped: i + 1, Err: errors.Join(append(errs, ctx.Err())...)}
		}
		if err := e.cfg.OnStop[i](ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop hook %d: %w", i, err))
		}
	}
	if len(errs) > 0 {
		return &ShutdownError{Step: "stop hooks", Err: errors.Join(errs...)}
	}
	return nil
}
