package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
)

// stdlibReceiver is the loop most Go servers have: one goroutine per
// socket calling ReadFromUDPAddrPort, one datagram per system call. It
// allocates nothing per datagram. With Loops > 1 it binds that many
// SO_REUSEPORT sockets.
type stdlibReceiver struct {
	conns     []*net.UDPConn
	bufSize   int
	datagrams atomic.Uint64
	bytes     atomic.Uint64
	errors    atomic.Uint64
	a         arrivals
	mu        sync.Mutex // orders Run's wg.Add before Stop's wg.Wait
	stopOnce  sync.Once
	stopped   chan struct{} // closed by the first Stop, so Run returns
	wg        sync.WaitGroup
}

func newStdlibReceiver(cfg RecvConfig) (Receiver, error) {
	network, address, ok := strings.Cut(cfg.Listen, "://")
	if !ok {
		return nil, fmt.Errorf("bench: listen address %q: want udp://host:port", cfg.Listen)
	}
	loops := max(cfg.Loops, 1)
	r := &stdlibReceiver{bufSize: cfg.BufSize, stopped: make(chan struct{})}
	if r.bufSize == 0 {
		r.bufSize = 2048
	}
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
		conn := pc.(*net.UDPConn)
		if cfg.RecvBuffer > 0 {
			conn.SetReadBuffer(cfg.RecvBuffer)
		}
		r.conns = append(r.conns, conn)
		address = conn.LocalAddr().String() // the same port for the rest
	}
	return r, nil
}

func (r *stdlibReceiver) Addr() net.Addr { return r.conns[0].LocalAddr() }

func (r *stdlibReceiver) Run(ctx context.Context) error {
	r.mu.Lock()
	select {
	case <-r.stopped:
		r.mu.Unlock()
		return nil
	default:
	}
	for _, c := range r.conns {
		r.wg.Add(1)
		go r.read(c)
	}
	r.mu.Unlock()
	select {
	case <-ctx.Done():
		return r.Stop(context.Background())
	case <-r.stopped:
		return nil
	}
}

func (r *stdlibReceiver) read(c *net.UDPConn) {
	defer r.wg.Done()
	buf := make([]byte, r.bufSize)
	for {
		n, _, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			r.errors.Add(1)
			continue
		}
		r.datagrams.Add(1)
		r.bytes.Add(uint64(n))
		r.a.mark()
	}
}

func (r *stdlibReceiver) Stop(ctx context.Context) error {
	r.stopOnce.Do(func() {
		r.mu.Lock()
		close(r.stopped)
		r.mu.Unlock()
		r.closeAll()
	})
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *stdlibReceiver) closeAll() {
	for _, c := range r.conns {
		c.Close()
	}
}

func (r *stdlibReceiver) Counts() RecvCounts {
	c := RecvCounts{
		Datagrams: r.datagrams.Load(),
		Bytes:     r.bytes.Load(),
		Batches:   r.datagrams.Load(),
		Errors:    r.errors.Load(),
		Loops:     len(r.conns),
		Backend:   "stdlib",
	}
	r.a.fill(&c)
	return c
}
