package engine

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/udprx/udprx/platform"
)

// spin burns about d of CPU, as a handler doing real work would.
func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

// blast sends n 64-byte datagrams to addr as fast as one socket can.
func blast(t *testing.T, addr net.Addr, n int) {
	t.Helper()
	conn, err := net.DialUDP("udp", nil, addr.(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	p := make([]byte, 64)
	for range n {
		if _, err := conn.Write(p); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWorkersSlowHandler sends a burst to a handler that costs about 10µs
// of CPU per datagram, once inline and once behind Workers, and checks
// that every datagram sent is accounted for exactly: handled, dropped by
// the application (hand-off queue full) or dropped by the kernel (receive
// buffer full). Behind Workers the loop keeps reading: the kernel drops
// nothing, and what the workers cannot take is an application drop.
func TestWorkersSlowHandler(t *testing.T) {
	if platform.NativeBackend != "recvmmsg" {
		t.Skip("exact kernel drop counts need SO_MEMINFO (Linux)")
	}
	const sent = 20000
	var inlineDrops uint64
	for _, tc := range []struct {
		name    string
		workers bool
	}{{"inline", false}, {"workers", true}} {
		t.Run(tc.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			var handled atomic.Int64
			var h Handler = HandlerFunc(func(_ *Writer, b Batch) {
				for range b.Len() {
					spin(10 * time.Microsecond)
					handled.Add(1)
				}
			})
			if tc.workers {
				h = NewWorkers(1, 1024, func(*Job) {
					spin(10 * time.Microsecond)
					handled.Add(1)
				})
			}
			e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 1, RecvBuffer: 2 << 20, Handler: h})
			if err != nil {
				t.Fatal(err)
			}
			ctx := testContext(t)
			done := make(chan error, 1)
			go func() { done <- e.Run(ctx) }()
			blast(t, e.Addr(), sent)
			if err := e.Shutdown(ctx); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			if err := <-done; err != nil {
				t.Fatalf("Run: %v", err)
			}
			s := e.Stats()
			got := uint64(handled.Load())
			t.Logf("%s: sent %d, handled %d, app drops %d, kernel drops %d", tc.name, sent, got, s.AppDrops, s.KernelDrops)
			if s.Datagrams+s.KernelDrops != sent {
				t.Errorf("read %d + kernel drops %d = %d, sent %d", s.Datagrams, s.KernelDrops, s.Datagrams+s.KernelDrops, sent)
			}
			if got+s.AppDrops != s.Datagrams {
				t.Errorf("handled %d + app drops %d = %d, read %d", got, s.AppDrops, got+s.AppDrops, s.Datagrams)
			}
			// The claim is comparative, measured in one run: behind
			// Workers the loop keeps reading where the inline handler
			// falls behind. (An absolute 0 depends on how busy the
			// machine is; on a quiet one it is 0.)
			if !tc.workers {
				inlineDrops = s.KernelDrops
			}
			if tc.workers && inlineDrops > 0 && s.KernelDrops >= inlineDrops {
				t.Errorf("behind Workers the kernel dropped %d, inline %d: the hand-off did not keep the loop reading", s.KernelDrops, inlineDrops)
			}
			if !tc.workers && s.AppDrops != 0 {
				t.Errorf("an inline handler has %d app drops, want 0", s.AppDrops)
			}
		})
	}
}

// TestWorkersShutdownOrder checks that Shutdown lets the workers finish
// every datagram the loop drained, sends their replies before the socket
// closes, and only then runs the stop hooks.
func TestWorkersShutdownOrder(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const n = 200
	var handled atomic.Int64
	var atHook atomic.Int64
	atHook.Store(-1)
	ws := NewWorkers(3, n, func(j *Job) {
		spin(50 * time.Microsecond)
		if err := j.Reply(j.Datagram.Payload); err != nil {
			t.Errorf("Reply: %v", err)
		}
		handled.Add(1)
	})
	e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 1, SendQueue: 1024, Handler: ws,
		OnStop: []func(context.Context) error{func(context.Context) error { atHook.Store(handled.Load()); return nil }}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	started, waitStarted := loopStarts(t)
	e.env.started = started
	go e.Run(ctx)
	waitStarted(1)
	conn, err := net.DialUDP("udp", nil, e.Addr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetReadBuffer(1 << 20); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		fmt.Fprintf(conn, "q%d", i)
	}
	if err := e.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if got := atHook.Load(); got != n {
		t.Errorf("the stop hook saw %d datagrams handled, want all %d", got, n)
	}
	replies := 0
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 64)
	for replies < n {
		if _, err := conn.Read(buf); err != nil {
			break
		}
		replies++
	}
	if replies != n {
		t.Errorf("%d replies arrived, want %d (stats: %+v)", replies, n, e.Stats())
	}
}

// TestWorkersConfig checks that bad Workers parameters fail New with an
// error naming what is wrong.
func TestWorkersConfig(t *testing.T) {
	fn := func(*Job) {}
	for _, tc := range []struct {
		name string
		h    Handler
		want string
	}{
		{"no workers", NewWorkers(0, 8, fn), "NewWorkers n 0"},
		{"no queue", NewWorkers(1, 0, fn), "NewWorkers queue 0"},
		{"no function", NewWorkers(1, 8, nil), "work function is nil"},
		{"empty Queue", NewQueue(0), "NewQueue size 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 1, Handler: tc.h})
			if err == nil {
				e.Shutdown(context.Background())
				t.Fatal("New accepted it")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// TestWorkersSteadyStateAllocs checks that handing datagrams to workers
// allocates nothing: the loop's read and copy, the queue, the workers.
func TestWorkersSteadyStateAllocs(t *testing.T) {
	const runs = 50
	var handled atomic.Int64
	e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 1, BatchSize: 8, RecvBuffer: 4 << 20,
		Handler: NewWorkers(2, 64, func(*Job) { handled.Add(1) })})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown(context.Background())
	conn, err := net.DialUDP("udp", nil, e.Addr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	payload := make([]byte, 100)
	for range (runs + 1) * 8 {
		if _, err := conn.Write(payload); err != nil {
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
		runtime.Gosched()
	})
	if allocs != 0 {
		t.Errorf("%v allocations per read+hand-off, want 0", allocs)
	}
	if handled.Load() == 0 {
		t.Error("no worker saw a datagram: the test measured nothing")
	}
}

// TestWorkersPanic checks that a panicking work function is counted as a
// handler panic and its worker goes on with the next datagram.
func TestWorkersPanic(t *testing.T) {
	var handled atomic.Int64
	e := startEngine(t, Config{Addr: "udp4://127.0.0.1:0", Loops: 1, Handler: NewWorkers(1, 16, func(j *Job) {
		if string(j.Datagram.Payload) == "boom" {
			panic("boom")
		}
		handled.Add(1)
	})})
	conn, err := net.DialUDP("udp", nil, e.Addr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("boom"))
	conn.Write([]byte("fine"))
	ctx := testContext(t)
	for handled.Load() < 1 {
		select {
		case <-ctx.Done():
			t.Fatalf("the worker did not go on after a panic (panics %d)", e.loops[0].m.panics.Get())
		case <-time.After(time.Millisecond): // polling a condition with a deadline
		}
	}
	if got := e.loops[0].m.panics.Get(); got != 1 {
		t.Errorf("udprx_handler_panics_total = %d, want 1", got)
	}
}
