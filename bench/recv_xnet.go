package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// xnetReceiver is the batching loop a Go server gets from golang.org/x/net:
// one goroutine per socket calling ReadBatch into BatchSize messages with
// buffers allocated once. ReadBatch is recvmmsg on Linux and one datagram
// per call elsewhere (x/net's own fallback), and allocates a *net.UDPAddr
// per datagram; both are what is being compared, so neither is worked
// around. With Loops > 1 it binds that many SO_REUSEPORT sockets.
type xnetReceiver struct {
	conns     []*net.UDPConn
	readers   []batchReader // one per conn, same order
	batchSize int
	bufSize   int

	datagrams, bytes, batches, errors atomic.Uint64
	a                                 arrivals

	mu       sync.Mutex    // guards started and stopping, orders wg.Add before wg.Wait
	started  bool          // Run has been called
	stopping bool          // Stop has been called
	stopped  chan struct{} // closed by the first Stop, so Run returns
	wg       sync.WaitGroup
}

// batchReader is what ipv4.PacketConn and ipv6.PacketConn have in common:
// ipv4.Message and ipv6.Message are aliases of one type, so one read loop
// serves both address families.
type batchReader interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
}

// newXnetReceiver binds the sockets so that Addr is valid at once; reading
// starts with Run.
func newXnetReceiver(cfg RecvConfig) (Receiver, error) {
	network, address, ok := strings.Cut(cfg.Listen, "://")
	if !ok {
		return nil, fmt.Errorf("bench: listen address %q: want udp://host:port", cfg.Listen)
	}
	r := &xnetReceiver{
		batchSize: cfg.BatchSize,
		bufSize:   cfg.BufSize,
		stopped:   make(chan struct{}),
	}
	if r.batchSize <= 0 {
		r.batchSize = 64
	}
	if r.bufSize <= 0 {
		r.bufSize = 2048
	}
	loops := max(cfg.Loops, 1)
	lc := net.ListenConfig{}
	if loops > 1 {
		lc.Control = reusePortControl
	}
	for range loops {
		pc, err := lc.ListenPacket(context.Background(), network, address)
		if err != nil {
			r.closeAll()
			return nil, err
		}
		conn, ok := pc.(*net.UDPConn)
		if !ok {
			pc.Close()
			r.closeAll()
			return nil, fmt.Errorf("bench: listen address %q: not a UDP socket", cfg.Listen)
		}
		r.conns = append(r.conns, conn)
		if cfg.RecvBuffer > 0 {
			if err := conn.SetReadBuffer(cfg.RecvBuffer); err != nil {
				r.closeAll()
				return nil, fmt.Errorf("bench: xnet receive buffer on %s: %w", conn.LocalAddr(), err)
			}
		}
		r.readers = append(r.readers, newBatchReader(conn))
		address = conn.LocalAddr().String() // the same port for the rest
	}
	return r, nil
}

// newBatchReader wraps c in the x/net package of its bound address family.
// A dual-stack socket ("udp://[::]:port") is IPv6 and gets package ipv6.
func newBatchReader(c *net.UDPConn) batchReader {
	if a, ok := c.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() != nil {
		return ipv4.NewPacketConn(c)
	}
	return ipv6.NewPacketConn(c)
}

// Addr returns the first socket's address; all of them share it.
func (r *xnetReceiver) Addr() net.Addr { return r.conns[0].LocalAddr() }

// Run starts one reading goroutine per socket and returns when ctx is done
// (stopping the receiver) or Stop is called. It may be called only once.
func (r *xnetReceiver) Run(ctx context.Context) error {
	r.mu.Lock()
	switch {
	case r.stopping:
		r.mu.Unlock()
		return fmt.Errorf("bench: xnet Run after Stop: %w", net.ErrClosed)
	case r.started:
		r.mu.Unlock()
		return errors.New("bench: xnet Run called twice")
	}
	r.started = true
	for _, br := range r.readers {
		r.wg.Add(1)
		go r.read(br)
	}
	r.mu.Unlock()
	select {
	case <-ctx.Done():
		return r.Stop(context.WithoutCancel(ctx))
	case <-r.stopped:
		return nil
	}
}

// read is one socket's loop. It returns when the socket is closed; any
// other error is counted and the loop reads on, as a simple server would.
func (r *xnetReceiver) read(br batchReader) {
	defer r.wg.Done()
	ms := make([]ipv4.Message, r.batchSize)
	for i := range ms {
		ms[i].Buffers = [][]byte{make([]byte, r.bufSize)}
	}
	for {
		n, err := br.ReadBatch(ms, 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			r.errors.Add(1)
			continue
		}
		if n == 0 {
			continue
		}
		var b uint64
		for i := range ms[:n] {
			b += uint64(ms[i].N)
		}
		r.bytes.Add(b) // before datagrams: Counts loads them the other way round
		r.datagrams.Add(uint64(n))
		r.batches.Add(1)
		r.a.mark()
	}
}

// Stop closes the sockets, which wakes every reader with net.ErrClosed,
// and waits for the readers to return or for ctx to be done. It is safe to
// call more than once, before or without Run.
func (r *xnetReceiver) Stop(ctx context.Context) error {
	r.mu.Lock()
	if !r.stopping {
		r.stopping = true
		close(r.stopped)
		r.closeAll()
	}
	r.mu.Unlock()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// closeAll closes every socket bound so far.
func (r *xnetReceiver) closeAll() {
	for _, c := range r.conns {
		c.Close()
	}
}

// Counts reports the counters; Batches counts ReadBatch calls that
// returned at least one datagram.
func (r *xnetReceiver) Counts() RecvCounts {
	c := RecvCounts{
		Datagrams: r.datagrams.Load(),
		Bytes:     r.bytes.Load(),
		Batches:   r.batches.Load(),
		Errors:    r.errors.Load(),
		Loops:     len(r.conns),
		Backend:   "xnet",
	}
	r.a.fill(&c)
	return c
}
