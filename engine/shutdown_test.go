package engine

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/udprx/udprx/platform"
)

// heldHandler counts datagrams and blocks in its first batch until
// released, so datagrams pile up in the kernel.
type heldHandler struct {
	mu      sync.Mutex
	n       int
	entered chan struct{} // closed when the first batch arrives
	release chan struct{}
	once    sync.Once
}

func newHeld() *heldHandler {
	return &heldHandler{entered: make(chan struct{}), release: make(chan struct{})}
}

func (h *heldHandler) HandleBatch(_ *Writer, b Batch) {
	h.once.Do(func() { close(h.entered); <-h.release })
	h.mu.Lock()
	h.n += b.Len()
	h.mu.Unlock()
}

func (h *heldHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// TestShutdownDrains holds the handler while thousands of datagrams queue
// in the kernel, calls Shutdown, and checks every one of them reached the
// handler before Shutdown returned, the hooks ran after the drain in
// reverse order, and nothing leaked.
func TestShutdownDrains(t *testing.T) {
	if platform.NativeBackend == "" {
		t.Skip("the portable backend cannot read without blocking, so it cannot drain")
	}
	for _, loops := range []int{1, 2} {
		t.Run(map[int]string{1: "1 loop", 2: "2 loops"}[loops], func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			fds := openFDs(t)
			h := newHeld()
			var hookMu sync.Mutex
			var hooks []string
			var seen []int
			hook := func(name string) func(context.Context) error {
				return func(context.Context) error {
					hookMu.Lock()
					defer hookMu.Unlock()
					hooks = append(hooks, name)
					seen = append(seen, h.count())
					return nil
				}
			}
			e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: loops, Handler: h, RecvBuffer: 16 << 20,
				OnStop: []func(context.Context) error{hook("first"), hook("second"), hook("third")}})
			if err != nil {
				t.Fatal(err)
			}
			ran := make(chan error, 1)
			go func() { ran <- e.Run(context.Background()) }()

			const n = 5000
			var conns []*net.UDPConn
			for range 4 { // several flows, so both loops get some
				c, err := net.DialUDP("udp", nil, e.Addr().(*net.UDPAddr))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				conns = append(conns, c)
			}
			// On loopback, sendto returns after the datagram is queued at
			// the receiver (the softirq runs as the sender re-enables bottom
			// halves), so once the writes return they are all queued.
			for i := range n {
				if _, err := conns[i%len(conns)].Write([]byte("queued")); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case <-h.entered:
			case <-time.After(5 * time.Second):
				t.Fatal("the handler saw nothing within 5s")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			stopped := make(chan error, 1)
			go func() { stopped <- e.Shutdown(ctx) }()
			close(h.release)
			if err := <-stopped; err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			if got := h.count(); got != n {
				t.Errorf("handled %d datagrams by the time Shutdown returned, want all %d queued", got, n)
			}
			if want := []string{"third", "second", "first"}; strings.Join(hooks, ",") != strings.Join(want, ",") {
				t.Errorf("hooks ran %v, want %v", hooks, want)
			}
			for i, c := range seen {
				if c != n {
					t.Errorf("hook %s ran after %d datagrams, want after the drain (%d)", hooks[i], c, n)
				}
			}
			if err := <-ran; err != nil {
				t.Errorf("Run: %v", err)
			}
			for _, c := range conns {
				c.Close()
			}
			if got := openFDs(t); got != fds {
				t.Errorf("%d fds open after Shutdown, %d before New", got, fds)
			}
		})
	}
}

// TestShutdownDeadline: a handler that will not return keeps the drain
// from finishing; Shutdown's ctx expires and the error says where and how
// many loops were left, and the hooks are skipped.
func TestShutdownDeadline(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	h := newHeld()
	hookRan := false
	e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 1, Handler: h,
		OnStop: []func(context.Context) error{func(context.Context) error { hookRan = true; return nil }}})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- e.Run(context.Background()) }()
	c, err := net.DialUDP("udp", nil, e.Addr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("stuck"))
	<-h.entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = e.Shutdown(ctx)
	var se *ShutdownError
	if !errors.As(err, &se) || se.Step != "drain" || se.Unfinished != 1 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want a ShutdownError in drain with 1 unfinished loop, wrapping DeadlineExceeded", err)
	}
	if hookRan {
		t.Error("a stop hook ran although the drain was cut short")
	}
	// A later call returns the same result at once.
	if err2 := e.Shutdown(context.Background()); !errors.As(err2, &se) || se.Step != "drain" {
		t.Errorf("second Shutdown = %v, want the same result", err2)
	}
	close(h.release) // the loop ends after this batch
	if err := <-ran; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func TestShutdownBeforeRunRunsHooks(t *testing.T) {
	called := 0
	e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 1, Handler: HandlerFunc(func(*Writer, Batch) {}),
		OnStop: []func(context.Context) error{func(context.Context) error { called++; return errors.New("hook failed") }}})
	if err != nil {
		t.Fatal(err)
	}
	err = e.Shutdown(context.Background())
	if called != 1 || err == nil || !strings.Contains(err.Error(), "hook failed") {
		t.Errorf("Shutdown before Run: hook called %d times, err %v; want once and its error", called, err)
	}
}

// TestHandlerPanic: a panic in the handler is recovered, counted and
// logged once; the loop reads on, on the same socket, and later datagrams
// arrive. With PanicStops, Run returns the panic instead.
func TestHandlerPanic(t *testing.T) {
	for _, stops := range []bool{false, true} {
		t.Run(map[bool]string{false: "reads on", true: "PanicStops"}[stops], func(t *testing.T) {
			logs := &lockedBuffer{}
			c := newCollector()
			started, waitStarted := loopStarts(t)
			e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 1, PanicStops: stops, started: started,
				Logger: slog.New(slog.NewTextHandler(logs, nil)),
				Handler: HandlerFunc(func(_ *Writer, b Batch) {
					for _, d := range b.All() {
						if string(d.Payload) == "boom" {
							panic("boom")
						}
					}
					c.HandleBatch(nil, b)
				})})
			if err != nil {
				t.Fatal(err)
			}
			ran := make(chan error, 1)
			go func() { ran <- e.Run(context.Background()) }()
			defer e.Shutdown(context.Background())
			waitStarted(1)
			conn, err := net.DialUDP("udp", nil, e.Addr().(*net.UDPAddr))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.Write([]byte("boom"))
			if stops {
				select {
				case err := <-ran:
					var pe *PanicError
					if !errors.As(err, &pe) || pe.Value != "boom" {
						t.Errorf("Run = %v, want the handler's panic", err)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("Run did not return after the panic")
				}
				return
			}
			// The panicking batch is lost whole: send the next datagram
			// once the panic is counted, so it is not in that batch.
			for deadline := time.Now().Add(5 * time.Second); e.loops[0].m.panics.Get() == 0 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond) // polling a counter
			}
			conn.Write([]byte("after"))
			c.waitFor(t, testContext(t), 1)
			if got := e.loops[0].m.panics.Get(); got != 1 {
				t.Errorf("udprx_handler_panics_total = %d, want 1", got)
			}
			if st := e.Stats(); st.Restarts != 0 || st.Errors != 0 {
				t.Errorf("Stats: %d restarts, %d errors; want none", st.Restarts, st.Errors)
			}
			if !strings.Contains(strings.Join(logs.lines(), "\n"), "errno=panic") {
				t.Errorf("no log line for the panic:\n%s", strings.Join(logs.lines(), "\n"))
			}
		})
	}
}

// TestHandlerPanicKeepsQueue: datagrams queued behind a batch whose
// handler panics are all delivered, from the same socket, adopted or not;
// an adopted socket's engine goes on running.
func TestHandlerPanicKeepsQueue(t *testing.T) {
	if platform.NativeBackend == "" {
		t.Skip("needs a native backend: the portable one holds no queue of its own")
	}
	for _, adopted := range []bool{false, true} {
		t.Run(map[bool]string{false: "own socket", true: "adopted socket"}[adopted], func(t *testing.T) {
			held := newHeld()
			cfg := Config{BatchSize: 1, RecvBuffer: 1 << 20,
				Handler: HandlerFunc(func(_ *Writer, b Batch) {
					if string(b.At(0).Payload) == "boom" {
						panic("boom")
					}
					held.HandleBatch(nil, b)
				})}
			if adopted {
				pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
				if err != nil {
					t.Fatal(err)
				}
				defer pc.Close()
				cfg.Sockets = []syscall.Conn{pc}
			} else {
				cfg.Addr, cfg.Loops = "udp4://127.0.0.1:0", 1
			}
			e := startEngine(t, cfg)
			conn, err := net.DialUDP("udp", nil, e.Addr().(*net.UDPAddr))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.Write([]byte("hold"))
			<-held.entered // the loop is held: what follows queues in the kernel
			conn.Write([]byte("boom"))
			const queued = 500
			for range queued {
				conn.Write([]byte("after"))
			}
			close(held.release)
			deadline := time.Now().Add(10 * time.Second)
			for held.count() < 1+queued && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond) // polling a counter
			}
			if got := held.count(); got != 1+queued {
				t.Fatalf("%d datagrams handled, want %d", got, 1+queued)
			}
			st := e.Stats()
			if st.Restarts != 0 || st.KernelDrops != 0 || st.Datagrams != 2+queued {
				t.Errorf("Stats: %d restarts, %d kernel drops, %d datagrams; want 0, 0, %d", st.Restarts, st.KernelDrops, st.Datagrams, 2+queued)
			}
			if got := e.loops[0].m.panics.Get(); got != 1 {
				t.Errorf("%d panics, want 1", got)
			}
		})
	}
}

// TestShutdownDeadlineCountsDiscarded: when Shutdown's ctx ends while the
// handler holds the loop, what the socket still has queued is read and
// counted as discarded, not closed away uncounted: every datagram is
// either delivered or in Stats.Discarded.
func TestShutdownDeadlineCountsDiscarded(t *testing.T) {
	if platform.NativeBackend == "" {
		t.Skip("the portable backend cannot read without blocking")
	}
	h := newHeld()
	e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 1, BatchSize: 1, RecvBuffer: 1 << 20, Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- e.Run(context.Background()) }()
	conn, err := net.DialUDP("udp", nil, e.Addr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("hold"))
	<-h.entered
	const queued = 500
	for range queued {
		conn.Write([]byte("queued"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	var se *ShutdownError
	if err := e.Shutdown(ctx); !errors.As(err, &se) || se.Step != "drain" {
		t.Fatalf("Shutdown = %v, want a drain cut short", err)
	}
	close(h.release)
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.finished.Load() < 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // polling for the loop's end
	}
	st := e.Stats()
	if st.Discarded == 0 || st.Datagrams+st.Discarded != 1+queued || st.KernelDrops != 0 {
		t.Errorf("Stats: %d delivered + %d discarded (%d kernel drops), want some discarded and %d in all",
			st.Datagrams, st.Discarded, st.KernelDrops, 1+queued)
	}
}

// TestPanicStopsDrains: with Config.PanicStops a panic ends Run with the
// *PanicError, after the shutdown has drained what was queued behind the
// panicking batch into the handler.
func TestPanicStopsDrains(t *testing.T) {
	if platform.NativeBackend == "" {
		t.Skip("needs a native backend: the portable one holds no queue of its own")
	}
	held := newHeld()
	e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 1, BatchSize: 1, RecvBuffer: 1 << 20, PanicStops: true,
		Handler: HandlerFunc(func(_ *Writer, b Batch) {
			if string(b.At(0).Payload) == "boom" {
				panic("boom")
			}
			held.HandleBatch(nil, b)
		})})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- e.Run(context.Background()) }()
	conn, err := net.DialUDP("udp", nil, e.Addr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("hold"))
	<-held.entered
	conn.Write([]byte("boom"))
	const queued = 300
	for range queued {
		conn.Write([]byte("after"))
	}
	close(held.release)
	select {
	case err := <-ran:
		var pe *PanicError
		if !errors.As(err, &pe) || pe.Value != "boom" {
			t.Errorf("Run = %v, want the handler's panic", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the panic")
	}
	if got := held.count(); got != 1+queued {
		t.Errorf("%d datagrams handled by the time Run returned, want %d", got, 1+queued)
	}
}
