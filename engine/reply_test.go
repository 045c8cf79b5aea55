package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/udprx/udprx/batch"
	"github.com/udprx/udprx/platform"
)

// bufferEcho answers every datagram with its payload, built in the send
// slot Buffer returns: no copy, no allocation.
var bufferEcho = HandlerFunc(func(w *Writer, b Batch) {
	for _, d := range b.All() {
		if err := w.Reply(d, append(w.Buffer(), d.Payload...)); err != nil {
			panic(err)
		}
	}
})

// dialT opens a client socket connected to raddr, from laddr (nil: any),
// with room for many replies.
func dialT(t *testing.T, network string, laddr, raddr *net.UDPAddr) *net.UDPConn {
	t.Helper()
	c, err := net.DialUDP(network, laddr, raddr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadBuffer(4 << 20)
	t.Cleanup(func() { c.Close() })
	return c
}

// readReplies reads n datagrams from c, each within d.
func readReplies(t *testing.T, c *net.UDPConn, n int, d time.Duration) []string {
	t.Helper()
	got := make([]string, 0, n)
	buf := make([]byte, 2048)
	for len(got) < n {
		c.SetReadDeadline(time.Now().Add(d))
		k, err := c.Read(buf)
		if err != nil {
			t.Fatalf("%d of %d replies, then %v", len(got), n, err)
		}
		got = append(got, string(buf[:k]))
	}
	return got
}

// request returns the i-th request payload: all the same length, so that
// their echoes are one GSO run.
func request(i int) string { return fmt.Sprintf("request %04d", i) }

// waitStats polls e.Stats until ok, within 10s.
func waitStats(t *testing.T, e *Engine, what string, ok func(Stats) bool) Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := e.Stats()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("within 10s: %s; Stats %+v", what, st)
		}
		time.Sleep(time.Millisecond) // polling counters, not ordering events
	}
}

// TestReplyFullBatch: 64 requests queued before the engine reads are one
// full batch; the handler answers every one, and they leave in one send
// call and all arrive, in order.
func TestReplyFullBatch(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 1, Portable: be.portable, BatchSize: 64,
				RecvBuffer: 4 << 20, Handler: bufferEcho})
			if err != nil {
				t.Fatal(err)
			}
			c := dialT(t, "udp4", nil, e.Addr().(*net.UDPAddr))
			for i := range 64 {
				if _, err := c.Write([]byte(request(i))); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ran := make(chan error, 1)
			go func() { ran <- e.Run(ctx) }()
			defer func() { cancel(); <-ran }()
			got := readReplies(t, c, 64, 5*time.Second)
			for i, r := range got {
				if r != request(i) {
					t.Fatalf("reply %d = %q, want %q", i, r, request(i))
				}
			}
			st := waitStats(t, e, "64 sent", func(s Stats) bool { return s.Sent == 64 })
			if st.SendDrops != 0 || st.SentBytes != 64*uint64(len(request(0))) {
				t.Errorf("Stats: %d dropped, %d bytes sent; want 0 and %d", st.SendDrops, st.SentBytes, 64*len(request(0)))
			}
			if !be.portable && (st.Batches != 1 || st.SendCalls != 1) {
				t.Errorf("Stats: %d batches, %d send calls; want one full batch answered in one call", st.Batches, st.SendCalls)
			}
		})
	}
}

// closedPort returns a loopback UDP address nobody listens on.
func closedPort(t *testing.T) netip.AddrPort {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	a := c.LocalAddr().(*net.UDPAddr).AddrPort()
	c.Close()
	return a
}

// testICMPUnreachable: every request makes the handler send to a closed
// port (the kernel answers with ICMP port unreachable) and then reply; the
// loop must neither end nor stall: every request of several rounds is
// answered.
func testICMPUnreachable(t *testing.T, cfg Config, addr *net.UDPAddr, e *Engine, exits chan LoopExit) {
	t.Helper()
	c := dialT(t, "udp4", nil, addr)
	const rounds, per = 20, 5
	for r := range rounds {
		for i := range per {
			if _, err := c.Write([]byte(request(r*per + i))); err != nil {
				t.Fatal(err)
			}
		}
		got := readReplies(t, c, per, 5*time.Second)
		for i, g := range got {
			if g != request(r*per+i) {
				t.Fatalf("round %d reply %d = %q, want %q", r, i, g, request(r*per+i))
			}
		}
	}
	select {
	case x := <-exits:
		t.Errorf("the loop ended: %+v", x)
	default:
	}
	// Each request: one datagram to the closed port, one reply. A stale
	// ICMP error may cost one of those sends (counted), never the loop.
	// The last send is counted just after the client may have its reply.
	st := waitStats(t, e, fmt.Sprintf("%d sent or dropped", 2*rounds*per), func(s Stats) bool {
		return s.Sent+s.SendDrops >= 2*rounds*per
	})
	if st.Sent+st.SendDrops != 2*rounds*per || st.Restarts != 0 {
		t.Errorf("%d sent + %d dropped, %d restarts; want %d in all and no restart", st.Sent, st.SendDrops, st.Restarts, 2*rounds*per)
	}
	t.Logf("%d sent, %d send drops, %d receive errors", st.Sent, st.SendDrops, st.Errors)
}

// icmpHandler sends each request's payload to dead, then echoes it.
func icmpHandler(dead netip.AddrPort) Handler {
	return HandlerFunc(func(w *Writer, b Batch) {
		for _, d := range b.All() {
			if err := w.WriteTo(d.Payload, dead); err != nil {
				panic(err)
			}
			if err := w.Reply(d, d.Payload); err != nil {
				panic(err)
			}
		}
	})
}

// TestReplyICMPUnreachable: datagrams sent to a closed port bring ICMP
// port unreachable errors back to the loop's socket; requests go on
// being answered.
func TestReplyICMPUnreachable(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			exits := make(chan LoopExit, 10)
			cfg := Config{Addr: "udp4://127.0.0.1:0", Loops: 1, Portable: be.portable,
				Handler: icmpHandler(closedPort(t)), OnLoopExit: func(x LoopExit) { exits <- x }}
			e := startEngine(t, cfg)
			testICMPUnreachable(t, cfg, e.Addr().(*net.UDPAddr), e, exits)
		})
	}
}

// TestReplyDuringShutdownDrain: requests queue in the kernel while the
// handler is held; Shutdown drains them and sends every reply before it
// closes the socket.
func TestReplyDuringShutdownDrain(t *testing.T) {
	if platform.NativeBackend == "" {
		t.Skip("the portable backend cannot read without blocking, so it cannot drain")
	}
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	h := HandlerFunc(func(w *Writer, b Batch) {
		once.Do(func() { close(entered); <-release })
		bufferEcho(w, b)
	})
	e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 1, Handler: h, RecvBuffer: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- e.Run(context.Background()) }()
	c := dialT(t, "udp4", nil, e.Addr().(*net.UDPAddr))
	const n = 500
	if _, err := c.Write([]byte(request(0))); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler saw nothing within 5s")
	}
	// On loopback a write returns once the datagram is queued at the
	// receiver: these all wait in the engine's socket.
	for i := 1; i < n; i++ {
		if _, err := c.Write([]byte(request(i))); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- e.Shutdown(ctx) }()
	close(release)
	if err := <-stopped; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-ran; err != nil {
		t.Fatalf("Run: %v", err)
	}
	got := readReplies(t, c, n, 5*time.Second)
	for i, g := range got {
		if g != request(i) {
			t.Fatalf("reply %d = %q, want %q", i, g, request(i))
		}
	}
	if st := e.Stats(); st.Sent != n || st.SendDrops != 0 {
		t.Errorf("Stats: %d sent, %d dropped; want %d and 0", st.Sent, st.SendDrops, n)
	}
}

// TestEngineReplyFromGoroutine: the handler hands copies of its datagrams
// to a worker goroutine, which answers through Engine.Reply.
func TestEngineReplyFromGoroutine(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			type job struct {
				loop int
				d    batch.Datagram
			}
			jobs := make(chan job, 1000)
			h := HandlerFunc(func(_ *Writer, b Batch) {
				for _, d := range b.All() {
					d.Payload = append([]byte(nil), d.Payload...)
					jobs <- job{b.Loop(), d}
				}
			})
			e := startEngine(t, Config{Addr: "udp4://127.0.0.1:0", Loops: 1, Portable: be.portable, Handler: h})
			errs := make(chan error, 1)
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				for {
					select {
					case j := <-jobs:
						for {
							err := e.Reply(j.loop, j.d, j.d.Payload)
							if !errors.Is(err, ErrSendQueueFull) {
								if err != nil {
									errs <- err
									return
								}
								break
							}
						}
					case <-stop:
						return
					}
				}
			}()
			c := dialT(t, "udp4", nil, e.Addr().(*net.UDPAddr))
			const n = 100
			for i := range n {
				if _, err := c.Write([]byte(request(i))); err != nil {
					t.Fatal(err)
				}
			}
			got := readReplies(t, c, n, 5*time.Second)
			seen := map[string]bool{}
			for _, g := range got {
				seen[g] = true
			}
			for i := range n {
				if !seen[request(i)] {
					t.Errorf("no reply to %q", request(i))
				}
			}
			select {
			case err := <-errs:
				t.Errorf("Engine.Reply: %v", err)
			default:
			}
			waitStats(t, e, fmt.Sprintf("%d sent", n), func(s Stats) bool { return s.Sent == n })
		})
	}
}

// TestEngineSendQueueFull: with SendQueue 1 and the loop held in its
// handler (so it cannot take the queue), a second Engine.WriteTo fails
// fast with ErrSendQueueFull and is counted; the first is sent once the
// loop is free.
func TestEngineSendQueueFull(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	h := HandlerFunc(func(*Writer, Batch) { once.Do(func() { close(entered); <-release }) })
	e := startEngine(t, Config{Addr: "udp4://127.0.0.1:0", Loops: 1, SendQueue: 1, Handler: h})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	c := dialT(t, "udp4", nil, e.Addr().(*net.UDPAddr))
	if _, err := c.Write([]byte("hold")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler saw nothing within 5s")
	}
	to := c.LocalAddr().(*net.UDPAddr).AddrPort()
	if err := e.WriteTo(0, []byte("first"), to); err != nil {
		t.Fatalf("first WriteTo: %v", err)
	}
	if err := e.WriteTo(0, []byte("second"), to); !errors.Is(err, ErrSendQueueFull) {
		t.Fatalf("second WriteTo = %v, want ErrSendQueueFull", err)
	}
	if got := dropsBy(e.loops[0], labelQueueFull); got != 1 {
		t.Errorf("%d drops counted as queue_full, want 1", got)
	}
	if err := e.WriteTo(1, []byte("x"), to); err == nil {
		t.Error("WriteTo on loop 1 of 1 succeeded, want an error naming the loops")
	}
	close(release)
	if got := readReplies(t, c, 1, 5*time.Second); got[0] != "first" {
		t.Errorf("received %q, want %q", got[0], "first")
	}
	st := waitStats(t, e, "1 sent", func(s Stats) bool { return s.Sent == 1 })
	if st.SendDrops != 1 {
		t.Errorf("SendDrops %d, want 1", st.SendDrops)
	}
}

// TestReplyAllocs: a loop that reads a batch and answers every datagram
// with Buffer and Reply allocates nothing in the steady state.
func TestReplyAllocs(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			const runs, per = 50, 8
			e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 1, Portable: be.portable, BatchSize: per,
				RecvBuffer: 4 << 20, Handler: bufferEcho})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Shutdown(context.Background())
			c := dialT(t, "udp4", nil, e.Addr().(*net.UDPAddr))
			// Enough for every run to find a full batch waiting
			// (AllocsPerRun adds a warm-up run, which also allocates the
			// send slots).
			for i := range (runs + 1) * per {
				if _, err := c.Write([]byte(request(i))); err != nil {
					t.Fatal(err)
				}
			}
			l := e.loops[0]
			r := l.receiver()
			allocs := testing.AllocsPerRun(runs, func() {
				if _, err := r.Wait(); err != nil {
					t.Fatal(err)
				}
				if _, err := l.readBurst(r, 1); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%v allocations per wait+read+reply, want 0", allocs)
			}
			st := e.Stats()
			if st.Sent == 0 || st.Sent != st.Datagrams || st.SendDrops != 0 {
				t.Errorf("Stats: %d read, %d sent, %d dropped: want every datagram answered", st.Datagrams, st.Sent, st.SendDrops)
			}
		})
	}
}
