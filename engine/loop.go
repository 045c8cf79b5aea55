package engine

import (
	"context"
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
	env *loopEnv
	b   *batch.Batch
	m   *loopMetrics
	log *errpolicy.Suppressor

	path pathWatch // a unix socket file found lost (pathwatch.go)

	mu          sync.Mutex // guards r against Wake from Shutdown during a re-open
	r           platform.Receiver
	sockInfo    platform.Info
	dropsClosed uint64 // kernel drops of sockets already closed
	lastCPU     int    // SO_INCOMING_CPU as last read, kept after Close; -1: unknown

	streak   errpolicy.Streak
	backoff  errpolicy.BackoffSchedule
	received bool      // a batch was handled without a panic since the last (re)start
	warned   time.Time // when the loop or its supervisor last warned of an escalation

	// Handler panics in a row (batches that panicked, none handled
	// cleanly between): the first is read past at once, the next back
	// off, and the streak's limit is an escalation (see onPanic).
	panicStreak  errpolicy.Streak
	panicRun     int
	panicBackoff errpolicy.BackoffSchedule

	// escalations counts, in a row, the re-opens after a fatal error and
	// the failure streaks (read back-offs, handler panics) that reached
	// their limit, with no batch handled cleanly between them: what
	// Config.MaxRestarts bounds.
	escalations int

	gatherTimer *time.Timer // gather's, made at the first wait of a millisecond or more
	trickle     trickle     // gather's, for the default (Config.Gather 0)

	// The send side (reply.go), the loop goroutine's but for in.
	w           Writer
	in          inbox
	sender      platform.Sender // the socket's send half; nil if it has none
	sendErr     error           // a send error that means the socket is gone
	sendBackoff errpolicy.BackoffSchedule
}

// loopEnv is what a loop needs from its engine: the handler, the policy,
// the clock, its budgets and limits, how to re-open its socket, and the
// lifecycle it shares with the engine (the stop signal, the error that
// ends the engine). New makes one per engine and hands it to each loop;
// it is read-only afterwards, but for the lifecycle's atomics. A loop
// reaches its engine through nothing else.
type loopEnv struct {
	handler Handler
	stage   stage // handler, when it hands datagrams to other goroutines; nil otherwise
	policy  *errpolicy.Table
	clock   errpolicy.Clock
	jitter  func() float64 // the backoff schedules' jitter
	log     *slog.Logger
	addr    string // the address received on (Engine.Addr), for errors and logs
	life    *lifecycle

	budget         int           // Config.ReadBudget
	gather         time.Duration // Config.Gather
	pinCPU         bool          // Config.PinCPU
	incomingCPU    bool          // Config.IncomingCPU
	panicStops     bool          // Config.PanicStops
	maxRestarts    int           // Config.MaxRestarts
	restartBackoff errpolicy.BackoffSchedule
	readBackoff    errpolicy.BackoffSchedule
	sendTimeout    time.Duration
	replySlots     int
	replySize      int
	onExit         func(LoopExit) // Config.OnLoopExit; nil: none
	started        func(loop int) // a test seam: called as each loop starts reading

	// adopted says the sockets are Config.Sockets: the caller's, not the
	// engine's to isolate or re-open. Otherwise reopen opens a new socket
	// on the address the first one got.
	adopted bool
	reopen  func() (platform.Receiver, error)
}

// newLoop makes loop id around its first socket r and its batch b.
func newLoop(id int, env *loopEnv, r platform.Receiver, b *batch.Batch, m *loopMetrics) *loop {
	l := &loop{id: id, env: env, r: r, sockInfo: r.Info(), lastCPU: -1, b: b, m: m,
		backoff: env.readBackoff, sendBackoff: env.readBackoff, panicBackoff: env.readBackoff}
	l.w.l = l
	l.useSocket(r)
	l.log = errpolicy.NewSuppressor(env.log, env.clock, 0, l.attrs()...)
	return l
}

// useSocket takes r's send half, on the loop's goroutine.
func (l *loop) useSocket(r platform.Receiver) {
	l.sender, _ = r.(platform.Sender)
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
// while it was being opened, the intake closing and the wake-up Shutdown
// sent went to the old socket: do both again, to the new one.
func (l *loop) setReceiver(r platform.Receiver) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.r = r
	l.sockInfo = r.Info()
	l.useSocket(r)
	if l.env.life.stopping.Load() {
		if ic, ok := r.(platform.IntakeCloser); ok {
			ic.CloseIntake()
		}
		r.Wake()
	}
}

// closeReceiver closes the loop's socket, once, so that nothing the
// kernel queued for it vanishes without a count:
//
//  1. On a socket the engine opened, arrivals stop: Isolate (Linux)
//     makes the kernel steer them elsewhere (a sibling loop's socket, or
//     nowhere: the sender's kernel counts them as "no port"); where it
//     cannot, CloseIntake drops them, counted as the socket's drops.
//     Shutdown has closed the intake already; a re-open has not.
//  2. What is still queued is read: handed to the handler if deliver is
//     set and Shutdown's ctx has not ended, else counted as discarded
//     (udprx_discarded_total).
//  3. The kernel's drop count for the socket, final now that nothing
//     arrives, is kept; then the socket is closed.
//
// An adopted socket is not isolated (that would change the owner's
// socket) and is read until a read comes back less than full. With
// closeNoRead, steps 1 and 2 are skipped: the descriptor may no longer be
// the loop's socket, or reads fail on it for good.
func (l *loop) closeReceiver(mode closeMode) {
	r := l.receiver()
	if r == nil {
		return
	}
	if mode != closeNoRead {
		l.emptyForClose(r, mode == closeDeliver)
		if l.env.stage != nil && l.env.life.stopping.Load() {
			// At a stop, what was handed off (the drained datagrams
			// among it) is done and answered before the socket closes.
			l.env.stage.drainLoop(l)
		}
		// What other goroutines queued leaves on this socket while it
		// is open: at a stop, replies to what was drained among it.
		l.flushInbox()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dropsClosed += socketDrops(r)
	l.readCPU()
	r.Close()
	l.r = nil
	l.sender = nil // its descriptor number may be reused at once
}

// closeMode is what closeReceiver does with what a socket still has queued.
type closeMode int

const (
	closeDeliver closeMode = iota // hand it to the handler
	closeDiscard                  // read it and count it as discarded
	closeNoRead                   // leave it: the socket cannot be read
)

// readableAfter reports whether the socket of a loop that ended with err
// is still the loop's and can be read: after a stop, a hang-up (a read
// shutdown leaves what was queued readable) and anything the policy does
// not call fatal (a panic, a back-off streak given up on); not after
// errors that fail every read (ENOTCONN, EINVAL...), its owner's close, or
// a descriptor closed or replaced from outside, whose number may now be
// another file's.
func (l *loop) readableAfter(err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, errGone):
		return false
	case errors.Is(err, errpolicy.ErrHangUp):
		return true
	}
	v := l.env.policy.Classify(err).Verdict
	return v != errpolicy.Fatal && v != errpolicy.Stop
}

// errGone is what the loop ends with when the poller reports that its
// descriptor was closed or replaced from outside.
var errGone = fmt.Errorf("socket descriptor closed or replaced from outside: %w", errpolicy.ErrHangUp)

// emptyForClose is closeReceiver's steps 1 and 2.
func (l *loop) emptyForClose(r platform.Receiver, deliver bool) {
	bounded := false
	if !l.env.adopted {
		if iso, ok := r.(platform.Isolator); ok && iso.Isolate() == nil {
			bounded = true
		} else if ic, ok := r.(platform.IntakeCloser); ok && ic.CloseIntake() == nil {
			bounded = true
		}
	}
	if err := l.empty(r, deliver, bounded); err != nil {
		if qr, ok := r.(platform.QueueReporter); ok {
			if q, qerr := qr.QueueInfo(); qerr == nil && q.Queued > 0 {
				l.env.log.Warn("socket closed with datagrams queued that reads could not return",
					"loop", l.id, "addr", l.env.addr, "queued_bytes", q.Queued, "err", err)
			}
		}
	}
}

// maxCloseErrors bounds the errors in a row that empty reads past without
// waiting (one-shot ICMP errors, EINTR, a passing ENOBUFS): more in a row
// means they will not pass.
const maxCloseErrors = errpolicy.DefaultRetryLimit

// empty reads what r still has queued, for closeReceiver: until a read
// finds nothing when bounded (arrivals were stopped), or comes back less
// than full when not (a flood could go on forever). Each batch is
// delivered, or counted as discarded when deliver is false or Shutdown's
// ctx has ended. It returns the error of the read that ended it, if one
// did; other errors are counted and read past, up to maxCloseErrors in a
// row.
func (l *loop) empty(r platform.Receiver, deliver, bounded bool) error {
	errs := 0
	for {
		n, err := r.Read(l.b)
		if n > 0 {
			errs = 0
			if deliver && !l.env.life.abort.Load() {
				l.deliver(n) // the loop is ending: a panic is only counted
			} else {
				l.m.discarded.Add(n)
			}
		}
		if err != nil {
			d := l.env.policy.Classify(err)
			l.m.error(d)
			if errs++; d.Verdict != errpolicy.Fatal && d.Verdict != errpolicy.Stop && errs < maxCloseErrors {
				continue
			}
			return err
		}
		if n == 0 || !bounded && !l.b.Full() {
			return nil
		}
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
		return fmt.Errorf("Config.IncomingCPU: the %s backend cannot set SO_INCOMING_CPU: %w", r.Info().Backend, errors.ErrUnsupported)
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

// panicDecision is how a handler panic is reported to the suppressor, and
// what the panic streak observes.
var panicDecision = errpolicy.Decision{Verdict: errpolicy.Backoff, Name: "panic",
	Reason: "the handler panicked: the batch is lost, the socket is fine; the loop reads on, backing off while panics repeat (Config.PanicStops stops the engine)"}

// run reads until the engine stops (nil) or the socket fails for good
// (the error, already classified as fatal or stop).
func (l *loop) run() error {
	r := l.receiver()
	if l.env.pinCPU {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		cpu, restore, err := platform.PinThread(l.id)
		if err != nil {
			return l.fail(errpolicy.Fatal, err)
		}
		defer restore()
		if l.env.incomingCPU {
			if err := steerToCPU(r, cpu); err != nil {
				return l.fail(errpolicy.Fatal, err)
			}
		}
	}
	budget := l.env.budget
	if l.env.started != nil {
		l.env.started(l.id)
	}
	for {
		ev, err := r.Wait()
		if err != nil { // the poller itself failed
			if l.env.life.stopping.Load() {
				// The wake-up may be what failed: never wait again
				// once stopping, or Shutdown could wait forever.
				return l.drain(r)
			}
			if err := l.onError(err); err != nil {
				return err
			}
			continue
		}
		if l.env.life.stopping.Load() {
			return l.drain(r)
		}
		if ev.Events&platform.Woken != 0 {
			l.flushInbox()
			if err := l.takeSendErr(); err != nil {
				return err
			}
		}
		if ev.Events&platform.Gone != 0 {
			return l.onError(errGone)
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
			if !quiet {
				l.gather()
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
		if ev.Events&platform.Woken != 0 {
			if err := l.lostPath(r); err != nil {
				return l.onPathLost(r, err)
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
			if err := l.deliver(n); err != nil {
				return false, err
			}
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
// Shutdown's ctx ends (closeReceiver counts what is left). The engine is
// stopping: a handler panic is counted and read past.
func (l *loop) drain(r platform.Receiver) error {
	defer l.flushInbox()
	for !l.env.life.abort.Load() {
		n, err := r.Read(l.b)
		if n > 0 {
			l.deliver(n)
		}
		if err != nil || n == 0 || l.sendErr != nil {
			return nil
		}
	}
	return nil
}

// takeSendErr returns, once, the loop's error for a send that found the
// socket gone, through the receive policy (EBADF, ENOTSOCK: fatal).
func (l *loop) takeSendErr() error {
	err := l.sendErr
	if err == nil {
		return nil
	}
	l.sendErr = nil
	return l.onError(err)
}

// closeIntake stops the kernel queueing for this loop, where it can.
func (l *loop) closeIntake() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ic, ok := l.r.(platform.IntakeCloser); ok {
		ic.CloseIntake()
	}
}

// deliver counts a batch of n datagrams and hands it to the handler. It
// returns nil to read on, or the error that ends the loop after a handler
// panic (see onPanic).
func (l *loop) deliver(n int) error {
	l.m.batch(n, l.b.Bytes(), l.b.NumTruncated())
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
	pe := l.handle()
	// Replies queued before a panic are sent all the same.
	l.w.flush()
	if err := l.takeSendErr(); err != nil {
		return err
	}
	if pe != nil {
		return l.onPanic(pe)
	}
	l.received = true
	l.escalations = 0
	if l.panicRun > 0 {
		l.panicRun = 0
		l.panicStreak.Success()
		l.panicBackoff.Reset()
	}
	return nil
}

// handle calls the handler with the batch, recovering a panic: a panic
// concerns one batch, not the socket, which keeps its queue.
func (l *loop) handle() (pe *PanicError) {
	defer func() {
		if p := recover(); p != nil {
			pe = &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	l.env.handler.HandleBatch(&l.w, Batch{b: l.b, loop: l.id})
	return nil
}

// onPanic acts on a recovered handler panic: counted and logged through
// the suppressor, then, with Config.PanicStops, the end of the engine;
// otherwise the loop reads on at once after a single panic, backs off
// (Config.ReadBackoff's schedule) while the following batches panic too,
// and treats errpolicy.DefaultStreakLimit panics in a row as an
// escalation (see escalate). It returns nil to read on, or the error that
// ends the loop.
func (l *loop) onPanic(pe *PanicError) error {
	l.m.panics.Inc()
	l.log.Report(panicDecision, pe)
	err := l.fail(errpolicy.Fatal, pe)
	if l.env.panicStops {
		return l.endEngine(err)
	}
	l.panicRun++
	if l.panicStreak.Observe(panicDecision) == errpolicy.Fatal {
		if err := l.escalate(err); err != nil {
			return err
		}
	}
	if l.panicRun > 1 {
		l.pause(l.panicBackoff.NextWith(l.env.jitter()))
	}
	return nil
}

// escalate records that a failure streak (read back-offs, handler panics)
// reached its limit with no batch handled cleanly between. The socket is
// kept: nothing says it is broken, and a new one would throw its queue
// away. Past Config.MaxRestarts escalations in a row (re-opens included)
// the engine ends with err; otherwise the loop reads on, backing off.
func (l *loop) escalate(err error) error {
	if limit := l.env.maxRestarts; limit > 0 && l.escalations >= limit {
		return l.endEngine(fmt.Errorf("%w; giving up after %d failure escalations in a row", err, l.escalations))
	}
	l.escalations++
	l.env.log.Log(context.Background(), l.warnLevel(), "receive loop failing repeatedly: reading on the same socket",
		"loop", l.id, "addr", l.env.addr, "err", err, "escalations", l.escalations)
	return nil
}

// warnLevel is Warn once per suppression interval and Debug in between,
// so a loop that keeps escalating, or dies and recovers over and over,
// cannot flood the log; every escalation is counted in metrics.
func (l *loop) warnLevel() slog.Level {
	if now := l.env.clock.Now(); l.warned.IsZero() || now.Sub(l.warned) >= errpolicy.DefaultSuppressInterval {
		l.warned = now
		return slog.LevelWarn
	}
	return slog.LevelDebug
}

// endEngine hands Run the error that ends the engine and waits for the
// Shutdown that follows (Run calls it at once), so that this loop's
// socket is drained like every other loop's instead of being closed with
// its queue. It returns err, for the loop to end with.
func (l *loop) endEngine(err error) error {
	l.env.life.fail(err)
	<-l.env.life.stopCh
	return err
}

// gather waits after a burst that ended with a short read, as
// Config.Gather says: that long, or, by default, a trickleNap when the
// loop is chasing a trickle (see trickle).
func (l *loop) gather() {
	g := l.env.gather
	if g < 0 {
		return
	}
	if l.b.Len() >= max(1, l.b.Cap()/4) {
		l.trickle.reset()
		return
	}
	switch {
	case g == 0:
		if !l.trickle.short(time.Now(), l.b.Len()) {
			return
		}
		if !l.env.pinCPU {
			// Let what the handler handed to other goroutines run
			// first: the nap holds the P.
			runtime.Gosched()
		}
		if platform.Nap(trickleNap) {
			l.trickle.napped(time.Now())
		}
	case g < time.Millisecond && platform.Nap(g):
	default:
		if l.gatherTimer == nil {
			l.gatherTimer = time.NewTimer(g)
		} else {
			l.gatherTimer.Reset(g)
		}
		select {
		case <-l.gatherTimer.C:
		case <-l.env.life.stopCh:
			l.gatherTimer.Stop()
		}
	}
}

// trickleNap and trickleGap are the default gathering (Config.Gather 0):
// a short read less than trickleGap after the previous one means the
// loop is chasing a stream that trickles in, and it naps trickleNap. At a
// steady 300k datagrams/s that made a loop's CPU per datagram 0.92x a
// blocking C loop's, from 1.6x (docs/performance.md).
//
// A nap pays only if it gathers: a nap costs about what the wake-up it
// saves does, so one after which the next read brings fewer than
// trickleYield datagrams was lost. Each such nap holds napping off for
// twice as many short reads as the last (trickleHoldMin up to
// trickleHoldMax); a nap that gathers ends the hold. Under dnsperf at 20k
// DNS queries/s, whose bursts now and then make a nap gather, the
// example server napped about 800 times a second against some 6k
// wake-ups (docs/benchmarks.md), not at every other short read.
const (
	trickleNap     = 20 * time.Microsecond
	trickleGap     = 50 * time.Microsecond
	trickleYield   = 2
	trickleHoldMin = 8
	trickleHoldMax = 1024
)

// trickle tells a loop chasing a trickle from one reading sparse
// traffic, and whether its naps pay.
type trickle struct {
	last     time.Time // the last short read, or the end of the nap after it
	afterNap bool      // the next read says what the last nap gathered
	hold     int       // short reads left before a nap is tried again
	holdLen  int       // the last hold's length: 0 while naps pay
}

// short records a short read of n datagrams at now and reports whether
// the loop should nap: it came within trickleGap of the previous one, and
// naps are not held off.
func (t *trickle) short(now time.Time, n int) bool {
	chasing := !t.last.IsZero() && now.Sub(t.last) < trickleGap
	t.last = now
	if t.afterNap {
		t.afterNap = false
		if n < trickleYield {
			t.holdLen = min(max(2*t.holdLen, trickleHoldMin), trickleHoldMax)
			t.hold = t.holdLen
		} else {
			t.holdLen = 0
		}
	}
	if !chasing {
		return false
	}
	if t.hold > 0 {
		t.hold--
		return false
	}
	return true
}

// napped moves the last short read to the end of a nap, so that the nap
// itself does not count as a gap, and has the next read judge the nap.
func (t *trickle) napped(now time.Time) {
	t.last = now
	t.afterNap = true
}

// reset forgets the last short read and any hold: a full read is no
// trickle, and naps in a stream that dense gather.
func (t *trickle) reset() { *t = trickle{} }

// pause waits d on the engine's clock, or until the engine stops.
func (l *loop) pause(d time.Duration) {
	l.m.backoff.Add(d.Seconds())
	select {
	case <-l.env.clock.After(d):
	case <-l.env.life.stopCh:
	}
}

// onError applies the error policy to one error. It returns nil when the
// loop should read on, or the error (wrapped with the loop and address)
// when the loop must end.
func (l *loop) onError(err error) error {
	d := l.env.policy.Classify(err)
	v := l.streak.Observe(d)
	l.m.error(d)
	l.log.Report(d, err)
	switch v {
	case errpolicy.Retry, errpolicy.Count, errpolicy.Wait:
		return nil
	case errpolicy.Backoff:
		l.pause(l.backoff.NextWith(l.env.jitter()))
		return nil
	case errpolicy.Fatal:
		if d.Verdict == errpolicy.Fatal {
			return l.fail(v, err) // the socket is broken: re-open it
		}
		// A streak of back-offs (ENOBUFS, EPERM, an unknown errno) reached
		// its limit. A new socket cures none of them, and closing this
		// one would lose its queue: escalate, and read on.
		if err := l.escalate(l.fail(v, err)); err != nil {
			return err
		}
		l.pause(l.backoff.NextWith(l.env.jitter()))
		return nil
	default: // Stop, and anything a newer policy adds
		return l.fail(v, err)
	}
}

// fail wraps why the loop ended with where.
func (l *loop) fail(v errpolicy.Verdict, err error) error {
	return &LoopError{Loop: l.id, Addr: l.env.addr, Verdict: v, Err: err}
}

// hangUp turns a poller's hang-up report into an error for the policy.
func hangUp(ev platform.Event) error {
	if ev.Errno != 0 {
		return fmt.Errorf("poller reported %v: %w (%w)", ev.Events, errpolicy.ErrHangUp, ev.Errno)
	}
	return fmt.Errorf("poller reported %v: %w", ev.Events, errpolicy.ErrHangUp)
}

func (l *loop) attrs() []slog.Attr {
	return []slog.Attr{slog.Int("loop", l.id), slog.String("addr", l.env.addr)}
}
