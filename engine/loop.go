package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/udprx/udprx/batch"
	"github.com/udprx/udprx/errpolicy"
	"github.com/udprx/udprx/platform"
)

// loop is one event loop: one socket, one poller, one batch, one
// goroutine. The goroutine is locked to its OS thread only with PinCPU:
// otherwise it parks in the Go runtime's poller between bursts (see
// platform's parker), which costs less per wake-up than a thread of its
// own sleeping in epoll_wait.
type loop struct {
	id  int
	e   *Engine
	b   *batch.Batch
	m   *loopMetrics
	log *errpolicy.Suppressor

	mu          sync.Mutex // guards r against Wake from Shutdown during a re-open
	r           platform.Receiver
	sockInfo    platform.Info
	dropsClosed uint64 // kernel drops of sockets already closed
	lastCPU     int    // SO_INCOMING_CPU as last read, kept after Close; -1: unknown

	streak   errpolicy.Streak
	backoff  errpolicy.BackoffSchedule
	received bool      // a datagram arrived since the last (re)start
	warned   time.Time // when the supervisor last warned of a restart
}

func (l *loop) receiver() platform.Receiver {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r
}

// info returns the current socket's facts, kept after it is closed.
func (l *loop) info() platform.Info {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sockInfo
}

// setReceiver installs a re-opened socket. If the engine began stopping
// while it was being opened, the wake-up Shutdown sent went nowhere: send
// it again, to the new socket.
func (l *loop) setReceiver(r platform.Receiver) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.r = r
	l.sockInfo = r.Info()
	if l.e.stopping.Load() {
		r.Wake()
	}
}

// closeReceiver closes the loop's socket, once, keeping its count of
// kernel drops.
func (l *loop) closeReceiver() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.r != nil {
		l.dropsClosed += socketDrops(l.r)
		l.readCPU()
		l.r.Close()
		l.r = nil
	}
}

// kernelDrops returns the datagrams the kernel dropped for this loop's
// sockets, the closed ones included.
func (l *loop) kernelDrops() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dropsClosed + socketDrops(l.r)
}

// socketDrops asks the kernel how many datagrams it dropped for r's
// socket: SO_MEMINFO, exact and read only when asked (SO_RXQ_OVFL would
// cost every datagram after the first drop; see platform's
// setRecvOptions), else what SO_RXQ_OVFL messages reported, else 0.
func socketDrops(r platform.Receiver) uint64 {
	if qr, ok := r.(platform.QueueReporter); ok {
		if q, err := qr.QueueInfo(); err == nil && q.HasDrops {
			return q.Drops
		}
	}
	if dc, ok := r.(platform.DropCounter); ok {
		return dc.KernelDrops()
	}
	return 0
}

// steerToCPU sets r's socket's SO_INCOMING_CPU (Config.IncomingCPU), each
// time the loop starts, so a re-opened socket is steered too.
func steerToCPU(r platform.Receiver, cpu int) error {
	s, ok := r.(platform.CPUSteerer)
	if !ok {
		return fmt.Errorf("Config.IncomingCPU: the %s backend cannot set SO_INCOMING_CPU", r.Info().Backend)
	}
	return s.SetIncomingCPU(cpu)
}

// incomingCPU reads the current socket's SO_INCOMING_CPU: -1 where it is
// unset or unknown. Once the socket is closed it returns the value last
// read, as info keeps the socket's facts.
func (l *loop) incomingCPU() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.readCPU()
	return l.lastCPU
}

// readCPU updates lastCPU from the open socket, where it can be read. The
// caller holds l.mu.
func (l *loop) readCPU() {
	if s, ok := l.r.(platform.CPUSteerer); ok {
		if cpu, err := s.IncomingCPU(); err == nil {
			l.lastCPU = cpu
		}
	}
}

// queueInfo reads the current socket's receive queue, where it can.
func (l *loop) queueInfo() (platform.QueueInfo, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	qr, ok := l.r.(platform.QueueReporter)
	if !ok {
		return platform.QueueInfo{}, false
	}
	q, err := qr.QueueInfo()
	return q, err == nil
}

// wake interrupts the loop's wait (Shutdown).
func (l *loop) wake() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.r != nil {
		l.r.Wake()
	}
}

// runSafe is run with a handler panic turned into the loop's error: the
// loop ends and the supervisor restarts it, as after any fatal error.
func (l *loop) runSafe() (err error) {
	defer func() {
		if p := recover(); p != nil {
			l.m.panics.Inc()
			pe := &PanicError{Value: p, Stack: debug.Stack()}
			l.log.Report(panicDecision, pe)
			err = l.fail(errpolicy.Fatal, pe)
		}
	}()
	return l.run()
}

// panicDecision is how a handler panic is reported to the suppressor.
var panicDecision = errpolicy.Decision{Verdict: errpolicy.Fatal, Name: "panic",
	Reason: "the handler panicked: its loop ends and is restarted (Config.PanicStops stops the engine)"}

// PanicError is a panic recovered from the Handler.
type PanicError struct {
	Value any    // what the handler panicked with
	Stack []byte // the loop goroutine's stack at the panic
}

// Error returns the panic value as text; Stack has the goroutine stack.
func (p *PanicError) Error() string { return fmt.Sprintf("handler panic: %v", p.Value) }

// run reads until the engine stops (nil) or the socket fails for good
// (the error, already classified as fatal or stop).
func (l *loop) run() error {
	r := l.receiver()
	if l.e.cfg.PinCPU {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		cpu := l.id % runtime.NumCPU()
		restore, err := platform.PinThread(cpu)
		if err != nil {
			return l.fail(errpolicy.Fatal, err)
		}
		defer restore()
		if l.e.cfg.IncomingCPU {
			if err := steerToCPU(r, cpu); err != nil {
				return l.fail(errpolicy.Fatal, err)
			}
		}
	}
	budget := l.e.cfg.ReadBudget
	if l.e.cfg.started != nil {
		l.e.cfg.started(l.id)
	}
	for {
		ev, err := r.Wait()
		if err != nil { // the poller itself failed
			if l.e.stopping.Load() {
				// The wake-up may be what failed: never wait again
				// once stopping, or Shutdown could wait forever.
				return l.drain(r)
			}
			if err := l.onError(err); err != nil {
				return err
			}
			continue
		}
		if l.e.stopping.Load() {
			return l.drain(r)
		}
		if ev.Events&platform.Gone != 0 {
			return l.onError(fmt.Errorf("socket descriptor closed or replaced from outside: %w", errpolicy.ErrHangUp))
		}
		if ev.Events&(platform.Readable|platform.ErrorPending|platform.HangUp) != 0 {
			queued := 0
			if ev.Events&platform.ErrorPending != 0 {
				// First, so that reading the queue's last ICMP entry
				// clears the pending error a read would return again.
				queued = l.drainErrQueue(r)
			}
			quiet, err := l.readBurst(r, budget)
			if err != nil {
				return err
			}
			if quiet && ev.Events&(platform.ErrorPending|platform.HangUp) == 0 {
				// Readable, yet the first read found nothing: counted,
				// so that a poller and reads that keep disagreeing
				// escalate (errpolicy.ErrEmptyReadable) instead of spin.
				if err := l.onError(errEmptyReadable); err != nil {
					return err
				}
			}
			if quiet && queued == 0 && ev.Events&platform.ErrorPending != 0 && ev.Events&platform.HangUp == 0 {
				// The poller keeps reporting an error no read returns and
				// no error queue holds:
				// level-triggered, it would spin. Let the policy back off
				// and, if it persists, end the loop.
				if err := l.onError(errUnreadError); err != nil {
					return err
				}
			}
		}
		if ev.Events&platform.HangUp != 0 {
			// Read first: datagrams queued before (and even after) a read
			// shutdown are still delivered. Then end the loop: a
			// level-triggered poller would report the hang-up forever.
			if err := l.onError(hangUp(ev)); err != nil {
				return err
			}
		}
	}
}

// readBurst reads up to budget batches, stopping early once a read comes
// back less than full: the queue was empty at that moment, and the
// level-triggered poller reports anything that arrived since. quiet is
// true when no read returned a datagram or an error.
func (l *loop) readBurst(r platform.Receiver, budget int) (quiet bool, err error) {
	quiet = true
	for range budget {
		n, err := r.Read(l.b)
		if n > 0 {
			quiet = false
			l.deliver(n)
		}
		if err != nil {
			quiet = false
			if err := l.onError(err); err != nil {
				return false, err
			}
			continue
		}
		if !l.b.Full() {
			return quiet, nil
		}
	}
	return quiet, nil
}

// errEmptyReadable is what the policy is shown when a read finds nothing
// after the poller reported the socket readable.
var errEmptyReadable = fmt.Errorf("poller reported readable, the read found nothing (EAGAIN): %w", errpolicy.ErrEmptyReadable)

// errUnreadError is what the policy is shown when the poller reports a
// pending error that reads do not return. No table knows it: it backs
// off, and escalates to fatal if it goes on.
var errUnreadError = errors.New("poller reports a socket error that reads do not return")

// drain reads what the kernel has queued until a read finds nothing, or
// Shutdown's ctx ends.
func (l *loop) drain(r platform.Receiver) error {
	for !l.e.abort.Load() {
		n, err := r.Read(l.b)
		if n > 0 {
			l.deliver(n)
		}
		if err != nil || n == 0 {
			return nil
		}
	}
	return nil
}

// closeIntake stops the kernel queueing for this loop, where it can.
func (l *loop) closeIntake() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ic, ok := l.r.(platform.IntakeCloser); ok {
		ic.CloseIntake()
	}
}

// deliver counts a batch of n datagrams and hands it to the handler.
func (l *loop) deliver(n int) {
	l.m.batch(n, l.b.Bytes(), l.b.NumTruncated())
	l.received = true
	if l.streak.Len() > 0 {
		l.streak.Success()
	}
	if l.backoff.Attempt() > 0 {
		// Only a loop that had to back off has recovered from something:
		// one-shot errors (ICMP, EINTR) between datagrams are summarised
		// by the suppressor, not announced as a recovery each time.
		l.log.Recovered()
		l.backoff.Reset()
	}
	l.e.cfg.Handler.HandleBatch(l.b)
}

// onError applies the error policy to one error. It returns nil when the
// loop should read on, or the error (wrapped with the loop and address)
// when the loop must end.
func (l *loop) onError(err error) error {
	d := l.e.cfg.policy.Classify(err)
	v := l.streak.Observe(d)
	l.m.error(d)
	l.log.Report(d, err)
	switch v {
	case errpolicy.Retry, errpolicy.Count, errpolicy.Wait:
		return nil
	case errpolicy.Backoff:
		delay := l.backoff.Next()
		l.m.backoff.Add(delay.Seconds())
		select {
		case <-l.e.cfg.clock.After(delay):
		case <-l.e.stopCh:
		}
		return nil
	default: // Fatal, Stop, and anything a newer policy adds
		return l.fail(v, err)
	}
}

// fail wraps why the loop ended with where.
func (l *loop) fail(v errpolicy.Verdict, err error) error {
	return &LoopError{Loop: l.id, Addr: l.e.addr.String(), Verdict: v, Err: err}
}

// hangUp turns a poller's hang-up report into an error for the policy.
func hangUp(ev platform.Event) error {
	if ev.Errno != 0 {
		return fmt.Errorf("poller reported %v: %w (%w)", ev.Events, errpolicy.ErrHangUp, ev.Errno)
	}
	return fmt.Errorf("poller reported %v: %w", ev.Events, errpolicy.ErrHangUp)
}

// LoopError is why a loop ended other than by being stopped.
type LoopError struct {
	Loop    int               // the loop's index
	Addr    string            // the address it received on
	Verdict errpolicy.Verdict // what the error policy made of Err
	Err     error             // the cause
}

// Error names the loop, its address, the cause and the verdict.
func (e *LoopError) Error() string {
	return fmt.Sprintf("udprx: loop %d on %s: %v (%s)", e.Loop, e.Addr, e.Err, e.Verdict)
}

// Unwrap returns the underlying error.
func (e *LoopError) Unwrap() error { return e.Err }

func isStop(err error) bool {
	var le *LoopError
	return errors.As(err, &le) && le.Verdict == errpolicy.Stop
}

func (l *loop) attrs() []slog.Attr {
	return []slog.Attr{slog.Int("loop", l.id), slog.String("addr", l.e.addr.String())}
}
