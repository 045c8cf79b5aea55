package peers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
)

// connGroup is what the goroutine-per-socket receivers (stdlib, x/net)
// share: Loops sockets bound to one address with SO_REUSEPORT, one reading
// goroutine each, counters, and a Run/Stop lifecycle in which Stop closes
// the sockets to wake the readers.
type connGroup struct {
	name  string // for errors and RecvCounts.Backend
	conns []*net.UDPConn

	datagrams, bytes, batches, errors atomic.Uint64
	replies, sendDrops                atomic.Uint64 // echo servers only
	a                                 arrivals

	mu       sync.Mutex    // guards started and stopping, orders wg.Add before wg.Wait
	started  bool          // Run has been called
	stopping bool          // Stop has been called
	stopped  chan struct{} // closed by the first Stop, so Run returns
	wg       sync.WaitGroup
}

// listenGroup binds max(cfg.Loops, 1) UDP sockets to cfg.Listen, the
// second and later to the port the first got.
func listenGroup(name string, cfg RecvConfig) (*connGroup, error) {
	network, address, ok := strings.Cut(cfg.Listen, "://")
	if !ok {
		return nil, fmt.Errorf("peers: listen address %q: want udp://host:port: %w", cfg.Listen, ErrConfig)
	}
	g := &connGroup{name: name, stopped: make(chan struct{})}
	loops := max(cfg.Loops, 1)
	lc := net.ListenConfig{}
	if loops > 1 {
		lc.Control = reusePortControl
	}
	for range loops {
		pc, err := lc.ListenPacket(context.Background(), network, address)
		if err != nil {
			g.closeAll()
			return nil, err
		}
		conn, ok := pc.(*net.UDPConn)
		if !ok {
			pc.Close()
			g.closeAll()
			return nil, fmt.Errorf("peers: listen address %q: not a UDP socket", cfg.Listen)
		}
		g.conns = append(g.conns, conn)
		if cfg.RecvBuffer > 0 {
			if err := conn.SetReadBuffer(cfg.RecvBuffer); err != nil {
				g.closeAll()
				return nil, fmt.Errorf("peers: %s receive buffer on %s: %w", name, conn.LocalAddr(), err)
			}
		}
		address = conn.LocalAddr().String() // the same port for the rest
	}
	return g, nil
}

// Addr returns the first socket's address; all of them share it.
func (g *connGroup) Addr() net.Addr { return g.conns[0].LocalAddr() }

// run starts read(i) on its own goroutine for each socket i and returns
// when ctx is done (stopping the group) or Stop is called. read must
// return once its socket is closed. run may be called only once.
func (g *connGroup) run(ctx context.Context, read func(i int)) error {
	g.mu.Lock()
	switch {
	case g.stopping:
		g.mu.Unlock()
		return fmt.Errorf("peers: %s Run after Stop: %w", g.name, net.ErrClosed)
	case g.started:
		g.mu.Unlock()
		return fmt.Errorf("peers: %s Run called twice", g.name)
	}
	g.started = true
	for i := range g.conns {
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			read(i)
		}()
	}
	g.mu.Unlock()
	select {
	case <-ctx.Done():
		return g.Stop(context.WithoutCancel(ctx))
	case <-g.stopped:
		return nil
	}
}

// Stop closes the sockets, which wakes every reader with net.ErrClosed,
// and waits for the readers to return or for ctx to be done. It is safe to
// call more than once, before or without Run.
func (g *connGroup) Stop(ctx context.Context) error {
	g.mu.Lock()
	if !g.stopping {
		g.stopping = true
		close(g.stopped)
		g.closeAll()
	}
	g.mu.Unlock()
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// closeAll closes every socket bound so far.
func (g *connGroup) closeAll() {
	for _, c := range g.conns {
		c.Close()
	}
}

// count records one read of n datagrams carrying nbytes.
func (g *connGroup) count(n int, nbytes uint64) {
	g.bytes.Add(nbytes) // before datagrams: Counts loads them the other way round
	total := g.datagrams.Add(uint64(n))
	g.batches.Add(1)
	g.a.mark(total, uint64(n))
}

// replied records an echo server's send of n answers, of which failed
// were refused.
func (g *connGroup) replied(n, failed int) {
	g.replies.Add(uint64(n - failed))
	if failed > 0 {
		g.sendDrops.Add(uint64(failed))
	}
}

// readError counts a read error and reports whether the reader should
// stop: only when its socket was closed.
func (g *connGroup) readError(err error) (stop bool) {
	if errors.Is(err, net.ErrClosed) {
		return true
	}
	g.errors.Add(1)
	return false
}

// Counts reports the counters; Batches counts reads that returned at least
// one datagram.
func (g *connGroup) Counts() RecvCounts {
	c := RecvCounts{
		Datagrams: g.datagrams.Load(),
		Bytes:     g.bytes.Load(),
		Batches:   g.batches.Load(),
		Errors:    g.errors.Load(),
		Replies:   g.replies.Load(),
		SendDrops: g.sendDrops.Load(),
		Loops:     len(g.conns),
		Backend:   g.name,
	}
	g.a.fill(&c)
	return c
}
