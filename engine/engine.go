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

	"github.com/VictoriaMetrics/metrics"

	"github.com/udprx/udprx/batch"
	"github.com/udprx/udprx/platform"
)

// Engine receives datagrams on one address with one or more event loops
// and hands them to a Handler in batches.
//
// New binds the sockets; Run starts the loops and blocks; Shutdown stops
// them. An Engine runs once: after Shutdown, make a new one.
type Engine struct {
	cfg     Config
	network string // Addr's network: udp, udp4, udp6, unixgram; "" for Sockets
	address string // Addr's address, with the port the first socket got
	addr    net.Addr
	loops   []*loop
	env     *loopEnv // what the loops are handed
	life    *lifecycle
	set     *metrics.Set
	log     *slog.Logger
	stage   stage // cfg.Handler, when it hands datagrams to other goroutines

	mu       sync.Mutex   // orders Run's start against Shutdown
	started  bool         // Run was called, or Shutdown ran first
	finished atomic.Int64 // supervisors that have returned
	stopOnce sync.Once
	wg       sync.WaitGroup // supervisors, and the path watcher
	done     chan struct{}  // closed when the shutdown sequence is over
	stopErr  error          // its result, set before done is closed
}

// New validates cfg, fills in its defaults and binds one socket per loop.
// The sockets are read only once Run is called; Shutdown (or Run's
// context) closes them.
func New(cfg Config) (*Engine, error) {
	network, address, err := cfg.validate()
	if err != nil {
		return nil, configError{err}
	}
	cfg = cfg.withDefaults(network)
	e := &Engine{
		cfg:     cfg,
		network: network,
		address: address,
		life:    newLifecycle(),
		set:     metrics.NewSet(),
		log:     cfg.Logger,
		done:    make(chan struct{}),
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if err := e.probePort(); err != nil {
		return nil, err
	}
	e.env = &loopEnv{
		handler:        cfg.Handler,
		policy:         cfg.policy,
		clock:          cfg.clock,
		jitter:         cfg.jitter,
		log:            e.log,
		life:           e.life,
		budget:         cfg.ReadBudget,
		gather:         cfg.Gather,
		pinCPU:         cfg.PinCPU,
		incomingCPU:    cfg.IncomingCPU,
		panicStops:     cfg.PanicStops,
		maxRestarts:    cfg.MaxRestarts,
		restartBackoff: cfg.RestartBackoff,
		readBackoff:    cfg.ReadBackoff,
		sendTimeout:    cfg.SendTimeout,
		replySlots:     cfg.ReplySlots,
		replySize:      cfg.ReplySize,
		onExit:         cfg.OnLoopExit,
		started:        cfg.started,
		adopted:        len(cfg.Sockets) > 0,
	}
	for i := range cfg.Loops {
		r, err := e.open(i)
		if err != nil {
			e.closeReceivers()
			return nil, err
		}
		if i == 0 {
			e.addr = r.LocalAddr()
			e.env.addr = e.addr.String()
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
		e.loops = append(e.loops, newLoop(i, e.env, r, b, newLoopMetrics(e.set, i)))
		if info := r.Info(); info.RecvBufferGranted < info.RecvBufferRequested {
			e.log.Warn("receive buffer smaller than requested",
				"loop", i, "requested", info.RecvBufferRequested, "granted", info.RecvBufferGranted,
				"hint", "raise net.core.rmem_max or run with CAP_NET_ADMIN")
		}
	}
	if !e.env.adopted {
		listen, network, address, opts := cfg.listen, e.network, e.address, e.socketOptions()
		e.env.reopen = func() (platform.Receiver, error) { return listen(network, address, opts) }
	}
	if st, ok := cfg.Handler.(stage); ok {
		if err := st.attach(e); err != nil {
			e.closeReceivers()
			return nil, err
		}
		e.stage = st
		e.env.stage = st
	}
	e.set.NewGauge("udprx_loops_running", func() float64 { return float64(e.life.running.Load()) })
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
		return fmt.Errorf("engine: listen %s: %d loops would share the port with sockets already bound to it (set Config.SharePort to share it on purpose): %w", e.cfg.Addr, e.cfg.Loops, platformError(err))
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
			return nil, fmt.Errorf("engine: listen %s (loop %d): %w", e.cfg.Addr, i, platformError(err))
		}
		return r, nil
	}
	rc, err := e.cfg.Sockets[i].SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("engine: Config.Sockets[%d]: %w", i, err)
	}
	var r platform.Receiver
	var aerr error
	if err := rc.Control(func(fd uintptr) { r, aerr = platform.Adopt(fd, e.socketOptions()) }); err != nil {
		return nil, fmt.Errorf("engine: Config.Sockets[%d]: %w", i, err)
	}
	if aerr != nil {
		return nil, fmt.Errorf("engine: Config.Sockets[%d]: %w", i, platformError(aerr))
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

// Control calls f with the descriptor of each loop's open socket in turn,
// as syscall.RawConn.Control does for one socket, for options a library
// sets or reads itself (quic-go probes UDP_SEGMENT and sets
// IP_MTU_DISCOVER this way). Each descriptor stays open until f returns.
// An option set this way lasts as long as the socket: one the engine
// re-opens after an error has only what Config asks for. Options the
// engine relies on (non-blocking mode, the filter a stop installs) must
// not be changed through it. Control fails with an
// error matching net.ErrClosed when no loop has a socket open (after
// Shutdown).
func (e *Engine) Control(f func(fd uintptr)) error {
	lent := false
	for _, l := range e.loops {
		l.mu.Lock()
		if c, ok := l.r.(platform.Controller); ok {
			if err := c.Control(f); err == nil {
				lent = true
			} else if !errors.Is(err, net.ErrClosed) {
				l.mu.Unlock()
				return fmt.Errorf("engine: control loop %d's socket: %w", l.id, err)
			}
		}
		l.mu.Unlock()
	}
	if !lent {
		return fmt.Errorf("engine: control: no socket open: %w", net.ErrClosed)
	}
	return nil
}

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
	case e.life.stopping.Load():
		e.mu.Unlock()
		return fmt.Errorf("engine: Run after Shutdown: %w", net.ErrClosed)
	case e.started:
		e.mu.Unlock()
		return errors.New("engine: Run called twice")
	}
	e.started = true
	for _, l := range e.loops {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			defer e.finished.Add(1)
			l.supervise()
		}()
	}
	if e.network == "unixgram" && e.loops[0].info().Path != "" {
		e.wg.Add(1)
		go e.watchPaths()
	}
	e.mu.Unlock()
	var err error
	select {
	case <-ctx.Done():
	case <-e.life.stopCh:
	case err = <-e.life.failed:
	}
	e.Shutdown(context.WithoutCancel(ctx))
	return err
}

// closeReceivers closes the sockets of loops that never ran, counting
// what they had queued as discarded.
func (e *Engine) closeReceivers() {
	for _, l := range e.loops {
		l.closeReceiver(closeDiscard)
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
