//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package peers

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"
)

// gnetReceiver is a gnet/v2 UDP server whose OnTraffic only counts. gnet
// reads one datagram per readiness event (one epoll_wait and one recvfrom
// each), so every OnTraffic is a batch of one. gnet's own log lines go to
// RecvConfig.Logger unchanged, because how gnet reports trouble is part of the
// comparison; gnet handles receive errors itself and tells its handler
// nothing, so Errors stays zero.
//
// gnet.Run blocks for the engine's lifetime, so the constructor runs it in
// a goroutine and waits for OnBoot: Addr is valid when the constructor
// returns. gnet has bound its socket by then (one loop; with more, the
// other loops' sockets are bound after OnBoot) but reads nothing until
// OnBoot returns, and OnBoot waits for Run, so that gnet, like every
// Receiver, starts reading with Run: datagrams sent before it queue, which
// is what a drain measurement needs.
//
// As an echo server (newGnetEcho) OnTraffic writes the datagram back with
// Conn.Write, which for UDP is one sendto(2) to the datagram's source.
type gnetReceiver struct {
	gnet.BuiltinEventEngine // no-op defaults for the events not used here

	echo               bool
	replies, sendDrops atomic.Uint64

	addr     net.Addr
	loops    int
	eng      gnet.Engine   // set by OnBoot, before booted is closed
	booted   chan struct{} // closed by OnBoot
	gate     chan struct{} // closed by the first Run or Stop: OnBoot returns
	gateOnce sync.Once
	stopped  atomic.Bool   // Stop came first: OnBoot tells gnet to shut down
	done     chan struct{} // closed when gnet.Run has returned
	runErr   error         // gnet.Run's result, set before done is closed

	datagrams, bytes, errors atomic.Uint64
	a                        arrivals
	stopOnce                 sync.Once
}

// newGnetReceiver starts gnet on cfg.Listen and returns once it is bound.
//
// Port 0: gnet binds a port 0 address as given and cannot report the port
// it got; worse, with several event loops it binds each loop's socket to
// the address string again, so each gets a different port. So the port is
// chosen here: a probe socket is bound first, with SO_REUSEPORT, and gnet
// (which sets SO_REUSEPORT on every UDP socket) is started on the probe's
// port. The probe holds the port until gnet's first socket is
// bound (before OnBoot), so no other program can take it in between; it is
// closed once gnet has booted, before anyone knows the address to send to.
// The probe needs SO_REUSEPORT; this file builds where gnet has its
// epoll/kqueue engine (recv_gnet_other.go covers the rest).
func newGnetReceiver(cfg RecvConfig) (Receiver, error) { return newGnet(cfg, false) }

func newGnetEcho(cfg RecvConfig) (Receiver, error) { return newGnet(cfg, true) }

func newGnet(cfg RecvConfig, echo bool) (Receiver, error) {
	network, address, ok := strings.Cut(cfg.Listen, "://")
	if !ok {
		return nil, fmt.Errorf("peers: listen address %q: want udp://host:port", cfg.Listen)
	}
	switch network {
	case "udp", "udp4", "udp6":
	default:
		return nil, fmt.Errorf("peers: listen address %q: gnet receiver wants udp, udp4 or udp6", cfg.Listen)
	}
	lc := net.ListenConfig{Control: reusePortControl}
	probe, err := lc.ListenPacket(context.Background(), network, address)
	if err != nil {
		return nil, err
	}
	defer probe.Close()

	r := &gnetReceiver{
		echo:   echo,
		addr:   probe.LocalAddr(),
		loops:  max(cfg.Loops, 1),
		booted: make(chan struct{}),
		gate:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	bufSize := cfg.BufSize
	if bufSize <= 0 {
		bufSize = 2048
	}
	opts := []gnet.Option{
		gnet.WithNumEventLoop(r.loops),
		gnet.WithReusePort(r.loops > 1),
		gnet.WithReadBufferCap(bufSize), // the datagram buffer; gnet rounds it up to a power of two
		// gnet's default logger writes to stdout, which would break
		// --json; it logs through the same logger udprx is given instead.
		gnet.WithLogger(gnetLogger{cfg.Logger}),
	}
	if cfg.RecvBuffer > 0 {
		opts = append(opts, gnet.WithSocketRecvBuffer(cfg.RecvBuffer))
	}
	// The host as given, so that gnet reads it as it would have ("udp://:0"
	// is dual-stack, "[::]" is IPv6 only), with the probe's port.
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("peers: listen address %q: %w", cfg.Listen, err)
	}
	port := r.addr.(*net.UDPAddr).Port
	gnetAddr := network + "://" + net.JoinHostPort(host, strconv.Itoa(port))
	go func() {
		r.runErr = gnet.Run(r, gnetAddr, opts...)
		close(r.done)
	}()
	select {
	case <-r.booted:
		return r, nil
	case <-r.done:
		return nil, fmt.Errorf("peers: gnet on %s: %w", gnetAddr, r.runErr)
	}
}

// OnBoot keeps the engine for Stop, lets the constructor return, then
// holds gnet's start until Run (or shuts gnet down if Stop came first).
func (r *gnetReceiver) OnBoot(eng gnet.Engine) gnet.Action {
	r.eng = eng
	close(r.booted)
	<-r.gate
	if r.stopped.Load() {
		return gnet.Shutdown
	}
	return gnet.None
}

// open releases OnBoot, once.
func (r *gnetReceiver) open() { r.gateOnce.Do(func() { close(r.gate) }) }

// OnTraffic counts one datagram: for UDP, gnet calls it once per datagram
// with a throwaway Conn.
func (r *gnetReceiver) OnTraffic(c gnet.Conn) gnet.Action {
	p, err := c.Next(-1)
	if err != nil {
		r.errors.Add(1)
		return gnet.None
	}
	r.bytes.Add(uint64(len(p))) // before datagrams: Counts loads them the other way round
	r.a.mark(r.datagrams.Add(1), 1)
	if r.echo {
		if _, err := c.Write(p); err != nil {
			r.sendDrops.Add(1)
		} else {
			r.replies.Add(1)
		}
	}
	return gnet.None
}

// Addr is the address gnet was started on.
func (r *gnetReceiver) Addr() net.Addr { return r.addr }

// Run lets gnet start reading, then waits until ctx is done (then stops
// gnet) or gnet has stopped, and returns gnet.Run's result.
func (r *gnetReceiver) Run(ctx context.Context) error {
	r.open()
	select {
	case <-ctx.Done():
		r.Stop(context.WithoutCancel(ctx)) // returns only once done is closed
	case <-r.done:
	}
	return r.runErr
}

// Stop shuts gnet down and waits until gnet.Run has returned (its sockets
// closed) or ctx is done. Engine.Stop switches the engine off at once but
// then notices the end only by polling every 500 ms, so it runs in its own
// goroutine and is cancelled as soon as gnet.Run returns, the earlier and
// exact signal. Its error (the engine already stopped, or that cancel)
// tells nothing Run does not. Safe to call more than once.
func (r *gnetReceiver) Stop(ctx context.Context) error {
	r.stopOnce.Do(func() {
		r.stopped.Store(true)
		r.open() // before Run: OnBoot returns Shutdown, and gnet.Run returns
		select {
		case <-r.done:
			return
		default:
		}
		sctx, cancel := context.WithCancel(context.Background())
		go func() { <-r.done; cancel() }()
		go r.eng.Stop(sctx)
	})
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Counts reports the counters; every datagram is its own batch.
func (r *gnetReceiver) Counts() RecvCounts {
	d := r.datagrams.Load()
	c := RecvCounts{
		Datagrams: d,
		Bytes:     r.bytes.Load(),
		Batches:   d,
		Errors:    r.errors.Load(),
		Replies:   r.replies.Load(),
		SendDrops: r.sendDrops.Load(),
		Loops:     r.loops,
		Backend:   "gnet/v2",
	}
	r.a.fill(&c)
	return c
}

// gnetLogger hands gnet's log lines to a *slog.Logger (nil: discarded), so
// gnet and udprx report trouble the same way in a comparison.
type gnetLogger struct{ l *slog.Logger }

func (g gnetLogger) logf(level slog.Level, format string, args ...any) {
	if g.l != nil {
		g.l.Log(context.Background(), level, fmt.Sprintf(format, args...), "receiver", "gnet")
	}
}

func (g gnetLogger) Debugf(format string, args ...any) { g.logf(slog.LevelDebug, format, args...) }
func (g gnetLogger) Infof(format string, args ...any)  { g.logf(slog.LevelInfo, format, args...) }
func (g gnetLogger) Warnf(format string, args ...any)  { g.logf(slog.LevelWarn, format, args...) }
func (g gnetLogger) Errorf(format string, args ...any) { g.logf(slog.LevelError, format, args...) }

// Fatalf logs at error level: a comparison receiver must not end the
// process.
func (g gnetLogger) Fatalf(format string, args ...any) { g.logf(slog.LevelError, format, args...) }
