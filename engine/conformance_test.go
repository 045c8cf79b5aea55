package engine

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/udprx/udprx/batch"
	"github.com/udprx/udprx/platform"
)

// backend is one receive path the conformance suite runs against.
type backend struct {
	name     string
	portable bool
}

// backends lists every backend this host can run: the native one where it
// exists, and the portable one everywhere.
func backends() []backend {
	bs := []backend{{name: "portable", portable: true}}
	if platform.NativeBackend != "" {
		bs = append([]backend{{name: platform.NativeBackend}}, bs...)
	}
	return bs
}

// collector is a Handler that copies every datagram it gets.
type collector struct {
	mu    sync.Mutex
	got   map[string][]netip.AddrPort // payload -> sources it came from
	n     int
	trunc []batch.Datagram
	grew  chan struct{} // signalled (non-blocking) after each batch
}

func newCollector() *collector {
	return &collector{got: map[string][]netip.AddrPort{}, grew: make(chan struct{}, 1)}
}

func (c *collector) HandleBatch(_ *Writer, b Batch) {
	c.mu.Lock()
	for _, d := range b.All() {
		c.got[string(d.Payload)] = append(c.got[string(d.Payload)], d.Src)
		if d.Truncated() {
			d.Payload = append([]byte(nil), d.Payload...)
			c.trunc = append(c.trunc, d)
		}
		c.n++
	}
	c.mu.Unlock()
	select {
	case c.grew <- struct{}{}:
	default:
	}
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// waitFor blocks until the collector holds at least n datagrams.
func (c *collector) waitFor(t *testing.T, ctx context.Context, n int) {
	t.Helper()
	for c.count() < n {
		select {
		case <-c.grew:
		case <-ctx.Done():
			t.Fatalf("received %d datagrams, want %d: %v", c.count(), n, ctx.Err())
		}
	}
}

// startEngine builds and runs an engine and stops it when the test ends.
func startEngine(t *testing.T, cfg Config) *Engine {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return 10s after its context was cancelled")
		}
	})
	return e
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// sendAndCount sends n datagrams to e and waits for all of them.
func sendAndCount(t *testing.T, e *Engine, c *collector, n int) {
	t.Helper()
	conn, err := net.DialUDP("udp", nil, e.Addr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	base := c.count()
	for i := range n {
		if _, err := fmt.Fprintf(conn, "after %d", i); err != nil {
			t.Fatal(err)
		}
	}
	c.waitFor(t, testContext(t), base+n)
}

// TestConformance sends datagrams with known contents from several source
// sockets, IPv4 and IPv6, and checks each arrives exactly once with its
// payload and source address, on every backend and with 1 and 2 loops.
func TestConformance(t *testing.T) {
	for _, be := range backends() {
		for _, fam := range []struct{ scheme, host string }{{"udp4", "127.0.0.1"}, {"udp6", "[::1]"}, {"udp", "127.0.0.1"}} {
			for _, loops := range []int{1, 2} {
				if loops > 1 && !platform.ReusePortBalances {
					continue
				}
				name := fmt.Sprintf("%s/%s/loops=%d", be.name, fam.scheme, loops)
				t.Run(name, func(t *testing.T) {
					testDelivery(t, be, fam.scheme+"://"+fam.host+":0", loops)
				})
			}
		}
	}
}

func testDelivery(t *testing.T, be backend, addr string, loops int) {
	ctx := testContext(t)
	c := newCollector()
	e := startEngine(t, Config{Addr: addr, Handler: c, Loops: loops, Portable: be.portable, RecvBuffer: 4 << 20})
	dst := e.Addr().(*net.UDPAddr)
	const senders, perSender, window = 8, 500, 200
	var conns []*net.UDPConn
	for range senders {
		conn, err := net.DialUDP("udp", nil, dst)
		if err != nil {
			if dst.IP.To4() == nil {
				t.Skipf("no IPv6 loopback: %v", err)
			}
			t.Fatal(err)
		}
		defer conn.Close()
		conns = append(conns, conn)
	}
	want := map[string]netip.AddrPort{}
	sent := 0
	for seq := 0; seq < perSender; seq++ {
		for i, conn := range conns {
			p := fmt.Sprintf("sender %d datagram %d", i, seq)
			if _, err := conn.Write([]byte(p)); err != nil {
				t.Fatal(err)
			}
			want[p] = conn.LocalAddr().(*net.UDPAddr).AddrPort()
			sent++
		}
		if sent%window == 0 { // keep the receive buffer from overflowing
			c.waitFor(t, ctx, sent)
		}
	}
	c.waitFor(t, ctx, sent)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n != sent {
		t.Errorf("received %d datagrams, sent %d", c.n, sent)
	}
	for p, src := range want {
		got := c.got[p]
		if len(got) != 1 {
			t.Errorf("%q arrived %d times, want once", p, len(got))
			continue
		}
		if got[0] != src {
			t.Errorf("%q came from %v, want %v", p, got[0], src)
		}
	}
	st := e.Stats()
	if st.Datagrams != uint64(sent) || len(st.Loops) != loops {
		t.Errorf("Stats: %d datagrams over %d loops, want %d over %d", st.Datagrams, len(st.Loops), sent, loops)
	}
	if got := st.Loops[0].Socket.Backend; got != be.name {
		t.Errorf("backend %q, want %q", got, be.name)
	}
}

// TestTruncated checks that a datagram longer than DatagramSize arrives cut
// to size and flagged, and the datagrams around it arrive whole.
func TestTruncated(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			ctx := testContext(t)
			c := newCollector()
			e := startEngine(t, Config{Addr: "udp4://127.0.0.1:0", Handler: c, Loops: 1, Portable: be.portable, DatagramSize: 512})
			conn, err := net.DialUDP("udp", nil, e.Addr().(*net.UDPAddr))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			long := make([]byte, 1500)
			for i := range long {
				long[i] = byte(i)
			}
			for _, p := range [][]byte{[]byte("before"), long, []byte("after")} {
				if _, err := conn.Write(p); err != nil {
					t.Fatal(err)
				}
			}
			c.waitFor(t, ctx, 3)
			c.mu.Lock()
			defer c.mu.Unlock()
			if len(c.trunc) != 1 {
				t.Fatalf("%d truncated datagrams, want 1", len(c.trunc))
			}
			if got := c.trunc[0].Payload; string(got) != string(long[:512]) {
				t.Errorf("truncated payload is %d bytes, want the first 512 of the datagram", len(got))
			}
			if len(c.got["before"]) != 1 || len(c.got["after"]) != 1 {
				t.Errorf("the datagrams around the long one did not arrive whole: %v", c.got)
			}
			if st := e.Stats(); st.Truncated != 1 {
				t.Errorf("Stats.Truncated = %d, want 1", st.Truncated)
			}
		})
	}
}
