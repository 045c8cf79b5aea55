package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/udprx/udprx/batch"
	"github.com/udprx/udprx/errpolicy"
	"github.com/udprx/udprx/platform"
)

// Engine receives datagrams on one address with one or more event loops
// and hands them to a Handler in batches.
//
// New binds the sockets; Run starts the loops and blocks; Shutdown stops
// them. An Engine runs once: after Shutdown, make a new one.
type Engine struct {
	cfg     Config
	network string
	address string // with the port New was given resolved
	addr    net.Addr
	loops   []*loop
	set     *metrics.Set
	log     *slog.Logger
	stage   stage // cfg.Handler, when it hands datagrams to other goroutines

	mu       sync.Mutex // orders Run's start against Shutdown
	started  bool       // Run was called, or Shutdown ran first
	stopping atomic.Bool
	abort    atomic.Bool   // Shutdown's ctx ended: stop draining
	running  atomic.Int64  // loops reading now
	finished atomic.Int64  // supervisors that have returned
	stopCh   chan struct{} // closed when stopping begins
	stopOnce sync.Once
	wg       sync.WaitGroup // supervisors
	done     chan struct{}  // closed when the shutdown sequence is over
	stopErr  error          // its result, set before done is closed
	failed   chan error     // the first error that ends the engine, buffered 1
}

// ErrConfig is matched (errors.Is) by the error New returns when a Config
// field is out of range, inconsistent with another or missing: a mistake
// in the caller, found before anything was opened. Failures to open the
// sockets (EMFILE, an address in use, ...) do not match it: a command can
// tell a usage error from a run-time failure by it.
var ErrConfig = errors.New("invalid Config")

// configError marks a Config error as matching ErrConfig, its message
// unchanged.
type configError struct{ err error }

func (e configError) Error() string        { return e.err.Error() }
func (e configError) Unwrap() error        { return e.err }
func (e configError) Is(target error) bool { return target == ErrConfig }

// New validates cfg, fills in its defaults and binds one socket per loop.
// The sockets are read only once Run is called; Shutdown (or Run's
// context) closes them.
func New(cfg Config) (*Engine, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, configError{err}
	}
	var network, address string
	if len(cfg.Sockets) == 0 {
		network, address, _ = parseAddr(cfg.Addr)
	}
	e := &Engine{
		cfg:     cfg,
		network: network,
		address: address,
		set:     metrics.NewSet(),
		log:     cfg.Logger,
		stopCh:  make(chan struct{}),
		done:    make(chan struct{}),
		failed:  make(chan error, 1),
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if err := e.probePort(); err != nil {
		return nil, err
	}
	for i := range cfg.Loops {
		r, err := e.open(i)
		if err != nil {
			e.closeReceivers()
			return nil, err
		}
		if i == 0 {
			e.addr = r.LocalAddr()
			if network != "unixgram" && network != "" {
				// Bind every further loop, and every re-open, to the
				// port the first socket got, so port 0 means one port.
				e.address = e.addr.String()
			}
		}
		b, err := newBatch(cfg, r.Info())
		if err != nil {
			r.Close()
			e.closeReceivers()
			return nil, err
		}
		l := &loop{id: i, e: e, r: r, sockInfo: r.Info(), lastCPU: -1, b: b, m: newLoopMetrics(e.set, i),
			backoff: cfg.ReadBackoff, sendBackoff: cfg.ReadBackoff, panicBackoff: cfg.ReadBackoff}
		l.w.l = l
		l.useSocket(r)
		l.log = errpolicy.NewSuppressor(e.log, cfg.clock, 0, l.attrs()...)
		e.loops = append(e.loops, l)
		if info := r.Info(); info.RecvBufferGranted < info.RecvBufferRequested {
			e.log.Warn("receive buffer smaller than requested",
				"loop", i, "requested", info.RecvBufferRequested, "granted", info.RecvBufferGranted,
				"hint", "raise net.core.rmem_max or run with CAP_NET_ADMIN")
		}
	}
	if st, ok := cfg.Handler.(stage); ok {
		if err := st.attach(e); err != nil {
			e.closeReceivers()
			return nil, err
		}
		e.stage = st
	}
	e.set.NewGauge("udprx_loops_running", func() float64 { return float64(e.running.Load()) })
	if cfg.Metrics != nil {
		cfg.Metrics.RegisterMetricsWriter(e.writeMetrics)
	}
	return e, nil
}

// probePort fails, wrapping ErrAddrInUse, if the loops would join an
// SO_REUSEPORT group that sockets of another process are in: with more
// than one loop and without Config.SharePort, a port given (not 0, which
// the first loop's bind picks fresh) must have no socket bound to it.
// (With one loop the bind itself fails, as it sets no SO_REUSEPORT.)
func (e *Engine) probePort() error {
	if e.cfg.SharePort || e.cfg.Loops < 2 || len(e.cfg.Sockets) > 0 || e.network == "unixgram" {
		return nil
	}
	if _, port, err := net.SplitHostPort(e.address); err != nil || port == "0" {
		return nil // a malformed address fails in the bind, naming itself
	}
	if err := platform.ProbeUnshared(e.network, e.address); errors.Is(err, platform.ErrAddrInUse) {
		return fmt.Errorf("udprx: listen %s: %d loops would share the port with sockets already bound to it (set Config.SharePort to share it on purpose): %w", e.cfg.Addr, e.cfg.Loops, platformError(err))
	}
	return nil
}

func (e *Engine) socketOptions() platform.Options {
	opts := platform.Options{
		ReusePort:  e.cfg.Loops > 1 && len(e.cfg.Sockets) == 0,
		RecvBuffer: e.cfg.RecvBuffer,
		Portable:   e.cfg.Portable,
		UnixMode:   e.cfg.UnixMode,
		GRO:        e.cfg.GRO,
		PktInfo:    e.cfg.DstAddr,
		PinSource:  !e.cfg.ReceiveOnly,
		Timestamps: e.cfg.Timestamps,
		// A pinned loop's goroutine is locked to its thread (loop.run).
		LockedThread: e.cfg.PinCPU,
	}
	if opts.ReusePort && !e.cfg.SharePort && !e.cfg.IncomingCPU {
		// Only the engine's own sockets take datagrams (Config.SharePort).
		// Not with IncomingCPU: a group's program decides before
		// SO_INCOMING_CPU is looked at (net/core/sock_reuseport.c
		// reuseport_select_sock), so the kernel's own selection stays.
		opts.ReusePortGroup = e.cfg.Loops
	}
	return opts
}

// newBatch builds a loop's batch: 64 KiB slots that can each hold a GRO
// read's datagrams when the kernel granted GRO, DatagramSize slots
// otherwise. (A re-opened socket asks for the same options, and the
// kernel that granted GRO once grants it again.) With GRO the batch's
// payload limit keeps DatagramSize's contract: a longer datagram, or
// segment of a coalesced read, is delivered cut to it and flagged, as
// the kernel cuts it without GRO.
func newBatch(cfg Config, info platform.Info) (*batch.Batch, error) {
	if info.GRO {
		b, err := batch.NewSegmented(cfg.BatchSize, batch.MaxSlotSize, batch.GROSegments)
		if err != nil {
			return nil, err
		}
		return b, b.SetPayloadLimit(cfg.DatagramSize)
	}
	return batch.New(cfg.BatchSize, cfg.DatagramSize)
}

// open opens loop i's socket: binds Addr, or duplicates Sockets[i].
func (e *Engine) open(i int) (platform.Receiver, error) {
	if len(e.cfg.Sockets) == 0 {
		r, err := e.cfg.listen(e.network, e.address, e.socketOptions())
		if err != nil {
			return nil, fmt.Errorf("udprx: listen %s (loop %d): %w", e.cfg.Addr, i, platformError(err))
		}
		return r, nil
	}
	rc, err := e.cfg.Sockets[i].SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("udprx: Config.Sockets[%d]: %w", i, err)
	}
	var r platform.Receiver
	var aerr error
	if err := rc.Control(func(fd uintptr) { r, aerr = platform.Adopt(fd, e.socketOptions()) }); err != nil {
		return nil, fmt.Errorf("udprx: Config.Sockets[%d]: %w", i, err)
	}
	if aerr != nil {
		return nil, fmt.Errorf("udprx: Config.Sockets[%d]: %w", i, platformError(aerr))
	}
	return r, nil
}

// closeSockets closes the adopted sockets, if Config.CloseSockets says so.
func (e *Engine) closeSockets() {
	if !e.cfg.CloseSockets {
		return
	}
	for _, sc := range e.cfg.Sockets {
		if c, ok := sc.(io.Closer); ok {
			c.Close()
		}
	}
}

// ListenFDs returns the sockets systemd passed to this process by socket
// activation (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES; sd_listen_fds(3)),
// for Config.Sockets, and unsets those variables so children do not
// inherit them. It returns nil, nil when there are none.
func ListenFDs() ([]*os.File, error) { return platform.ListenFDs() }

// Addr returns the address the sockets are bound to, with a port 0 in
// Config.Addr resolved to the port the system chose.
func (e *Engine) Addr() net.Addr { return e.addr }

// Run reads until ctx is done, Shutdown is called or a loop fails for good
// (its escalations exhausted: see Config.MaxRestarts; a panic with
// Config.PanicStops). It returns nil after a stop by ctx or
// Shutdown, the loop's error (a *LoopError naming the address and wrapping
// the cause) after a failure, and an error matching net.ErrClosed if the
// engine was already shut down. Cancelling ctx shuts the engine down as
// Shutdown does, without a deadline.
func (e *Engine) Run(ctx context.Context) error {
	e.mu.Lock()
	switch {
	case e.stopping.Load():
		e.mu.Unlock()
		return fmt.Errorf("udprx: Run after Shutdown: %w", net.ErrClosed)
	case e.started:
		e.mu.Unlock()
		return errors.New("udprx: Run called twice")
	}
	e.started = true
	for _, l := range e.loops {
		e.wg.Add(1)
		go e.supervise(l)
	}
	if e.network == "unixgram" && e.loops[0].info().Path != "" {
		e.wg.Add(1)
		go e.watchPaths()
	}
	e.mu.Unlock()
	var err error
	select {
	case <-ctx.Done():
	case <-e.stopCh:
	case err = <-e.failed:
	}
	e.Shutdown(context.WithoutCancel(ctx))
	return err
}

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
		e.stopping.Store(true)
		close(e.stopCh)
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
		e.abort.Store(true) // draining loops stop after their batch
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

// ShutdownError is what Shutdown returns when it could not finish.
type ShutdownError struct {
	// Step is the step cut short: "drain" (loops still reading what was
	// queued), "stop hooks", or "waiting" (this caller's ctx ended while
	// the sequence started by another call went on).
	Step string
	// Unfinished is how many loops had not finished.
	Unfinished int
	// Skipped is how many stop hooks did not run.
	Skipped int
	// Err is ctx's error, or the hooks' errors.
	Err error
}

// Error says which step was cut short and what was left.
func (e *ShutdownError) Error() string {
	msg := "udprx: shutdown cut short during " + e.Step
	if e.Unfinished > 0 {
		msg += fmt.Sprintf(": %d loops had not finished", e.Unfinished)
	}
	if e.Skipped > 0 {
		msg += fmt.Sprintf(": %d stop hooks not run", e.Skipped)
	}
	return msg + ": " + e.Err.Error()
}

// Unwrap returns the underlying error (context.DeadlineExceeded, ...).
func (e *ShutdownError) Unwrap() error { return e.Err }

// closeReceivers closes the sockets of loops that never ran, counting
// what they had queued as discarded.
func (e *Engine) closeReceivers() {
	for _, l := range e.loops {
		l.closeReceiver(closeDiscard)
	}
}

// supervise runs one loop and, after an error that means its socket is
// broken, re-opens the socket with backoff until the engine stops or the
// escalations run out (Config.MaxRestarts). Every socket it closes is
// emptied first (closeReceiver).
func (e *Engine) supervise(l *loop) {
	defer e.wg.Done()
	defer e.finished.Add(1)
	// One suppressor for the loop's whole life, across re-opens: a fault
	// that outlives many sockets is still one fault, summarised.
	defer l.log.Flush()
	// However the loop ends for good, later sends from other goroutines
	// fail with net.ErrClosed, and what they queued is counted.
	defer l.abandonInbox()
	rb := e.cfg.RestartBackoff
	for {
		l.received = false
		e.running.Add(1)
		err := l.run()
		e.running.Add(-1)
		mode := closeDeliver
		if !e.readableAfter(err) {
			mode = closeNoRead
		}
		l.closeReceiver(mode)
		if err == nil || e.stopping.Load() {
			e.loopExit(LoopExit{Loop: l.id, Err: err, Restarts: l.escalations})
			return
		}
		if isStop(err) {
			// Closed under us by its owner: nothing to re-open.
			e.loopExit(LoopExit{Loop: l.id, Err: err})
			e.fail(err)
			return
		}
		if len(e.cfg.Sockets) > 0 { // not ours to re-open
			e.loopExit(LoopExit{Loop: l.id, Err: err})
			e.fail(fmt.Errorf("udprx: an adopted socket failed and cannot be re-opened: %w", err))
			return
		}
		if l.received {
			rb.Reset()
		}
		for {
			if e.cfg.MaxRestarts > 0 && l.escalations >= e.cfg.MaxRestarts {
				e.loopExit(LoopExit{Loop: l.id, Err: err, Restarts: l.escalations})
				e.fail(fmt.Errorf("udprx: giving up after %d restarts in a row: %w", l.escalations, err))
				return
			}
			delay := rb.NextWith(e.cfg.jitter())
			e.loopExit(LoopExit{Loop: l.id, Err: err, Restart: true, Restarts: l.escalations, Delay: delay})
			e.log.Log(context.Background(), l.warnLevel(), "receive loop ended: re-opening its socket",
				"loop", l.id, "addr", e.addr.String(), "err", err, "delay", delay, "restarts", l.escalations)
			if !e.sleep(delay) {
				return // stopping
			}
			l.escalations++
			r, lerr := e.cfg.listen(e.network, e.address, e.socketOptions())
			if lerr == nil {
				l.setReceiver(r)
				l.m.restarts.Inc()
				e.log.Debug("receive loop restarted", "loop", l.id, "addr", e.addr.String(), "restarts", l.escalations)
				break
			}
			// Re-opening failed too (EMFILE, EADDRINUSE, ...): count it,
			// and try again after the next, longer delay.
			d := e.cfg.policy.Classify(lerr)
			l.m.error(d)
			err = &LoopError{Loop: l.id, Addr: e.addr.String(), Verdict: d.Verdict, Err: platformError(lerr)}
		}
	}
}

// loopExit calls Config.OnLoopExit, if set.
func (e *Engine) loopExit(x LoopExit) {
	if e.cfg.OnLoopExit != nil {
		e.cfg.OnLoopExit(x)
	}
}

// fail hands Run the error that ends the engine (the first one wins).
func (e *Engine) fail(err error) {
	select {
	case e.failed <- err:
	default:
	}
}

// sleep waits d on the engine's clock; false if the engine began stopping.
func (e *Engine) sleep(d time.Duration) bool {
	select {
	case <-e.cfg.clock.After(d):
		return !e.stopping.Load()
	case <-e.stopCh:
		return false
	}
}

// writeMetrics writes the engine's metrics for a caller's Set.
func (e *Engine) writeMetrics(w io.Writer) {
	e.set.WritePrometheus(w)
	for _, l := range e.loops {
		l.m.writeFill(w)
		l.writeSocket(w)
	}
	if e.stage != nil {
		e.stage.writeMetrics(w)
	}
}
