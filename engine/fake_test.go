package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/udprx/udprx/batch"
	"github.com/udprx/udprx/errpolicy"
	"github.com/udprx/udprx/internal/fakeclock"
	"github.com/udprx/udprx/platform"
)

// step is one scripted Read result: n datagrams, then err.
type step struct {
	n   int
	err error
}

// fakeReceiver is a platform.Receiver that replays a script. Wait reports
// Readable (plus extra) while the script has steps, or forever when
// repeat is set; once the script is spent it blocks until Wake.
type fakeReceiver struct {
	mu     sync.Mutex
	steps  []step
	repeat *step           // replayed forever once steps run out
	extra  platform.Events // added to every Readable event (HangUp...)
	reads  int
	woken  bool
	wake   chan struct{}
	closed bool
	send   *sendScript // the send side's script (sendfake_test.go); nil sends everything
}

func newFake(steps []step, repeat *step) *fakeReceiver {
	return &fakeReceiver{steps: steps, repeat: repeat, wake: make(chan struct{}, 1)}
}

func (f *fakeReceiver) Wait() (platform.Event, error) {
	for {
		f.mu.Lock()
		switch {
		case f.woken:
			f.woken = false
			f.mu.Unlock()
			return platform.Event{Events: platform.Woken}, nil
		case len(f.steps) > 0 || f.repeat != nil:
			f.mu.Unlock()
			return platform.Event{Events: platform.Readable | f.extra}, nil
		}
		f.mu.Unlock()
		<-f.wake
	}
}

func (f *fakeReceiver) Read(b *batch.Batch) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b.Reset()
	f.reads++
	var s step
	switch {
	case len(f.steps) > 0:
		s, f.steps = f.steps[0], f.steps[1:]
	case f.repeat != nil:
		s = *f.repeat
	default:
		return 0, nil
	}
	for i := range s.n {
		b.Slots()[i][0] = byte(i)
		b.Append(i, 1, netip.MustParseAddrPort("192.0.2.1:1000"), 0)
	}
	return s.n, s.err
}

func (f *fakeReceiver) Wake() error {
	f.mu.Lock()
	f.woken = true
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
	return nil
}

func (f *fakeReceiver) LocalAddr() net.Addr {
	return net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:9"))
}
func (f *fakeReceiver) Info() platform.Info {
	f.mu.Lock()
	defer f.mu.Unlock()
	return platform.Info{Backend: "fake", GSO: f.send != nil && f.send.gso}
}
func (f *fakeReceiver) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

func (f *fakeReceiver) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

// errno builds the chain a platform returns: *os.SyscallError over errno.
func errno(e syscall.Errno) error { return os.NewSyscallError("recvmmsg", e) }

// harness runs an engine over fakes made by next, on a fake clock, with
// its log lines, loop exits and delivered datagrams recorded.
type harness struct {
	t       *testing.T
	e       *Engine
	clock   *fakeclock.Clock
	logs    *lockedBuffer
	exits   chan LoopExit
	fakes   chan *fakeReceiver // every fake the engine opened
	handled chan int           // datagrams per HandleBatch
	ran     chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSpace(l.b.String()), "\n")
}

// halfJitter makes every backoff delay exactly 3/4 of its ceiling.
func halfJitter() float64 { return 0.5 }

func newHarness(t *testing.T, next func(i int) *fakeReceiver, tweak func(*Config)) *harness {
	t.Helper()
	h := &harness{
		t:       t,
		clock:   fakeclock.New(time.Unix(1e9, 0)),
		logs:    &lockedBuffer{},
		exits:   make(chan LoopExit, 1000),
		fakes:   make(chan *fakeReceiver, 1000),
		handled: make(chan int, 10000),
		ran:     make(chan error, 1),
	}
	opened := 0
	cfg := Config{
		Addr:  "udp4://127.0.0.1:9",
		Loops: 1,
		Handler: HandlerFunc(func(_ *Writer, b Batch) {
			h.handled <- b.Len()
		}),
		Logger:     slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		OnLoopExit: func(x LoopExit) { h.exits <- x },
		listen: func(network, address string, opts platform.Options) (platform.Receiver, error) {
			f := next(opened)
			opened++
			h.fakes <- f
			return f, nil
		},
		clock:  h.clock,
		policy: errpolicy.Linux,
		jitter: halfJitter,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.e = e
	go func() { h.ran <- e.Run(context.Background()) }()
	t.Cleanup(func() { h.stop() })
	return h
}

// stop shuts the engine down, bounded.
func (h *harness) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.e.Shutdown(ctx); err != nil {
		h.t.Errorf("Shutdown: %v", err)
	}
}

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	h.t.Cleanup(cancel)
	return ctx
}

func (h *harness) nextExit() LoopExit {
	h.t.Helper()
	select {
	case x := <-h.exits:
		return x
	case <-time.After(10 * time.Second):
		h.t.Fatal("no loop exit within 10s")
	}
	return LoopExit{}
}

// advance waits until the engine sleeps on the clock, then lets the sleep
// end.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	if err := h.clock.BlockUntilContext(h.ctx(), 1); err != nil {
		h.t.Fatalf("nothing waited on the clock: %v", err)
	}
	h.clock.Advance(d)
}

// receive waits until n datagrams have been handled.
func (h *harness) receive(n int) {
	h.t.Helper()
	for got := 0; got < n; {
		select {
		case k := <-h.handled:
			got += k
		case <-time.After(10 * time.Second):
			h.t.Fatalf("handled %d datagrams within 10s, want %d", got, n)
		}
	}
}

// TestFaultENOTCONNForever: a socket that fails every read with ENOTCONN
// (darwin's defunct socket, docs/kernel.md) ends its loop after one read each
// time, is re-opened with growing delays, and logs a bounded number of
// lines however long it goes on.
func TestFaultENOTCONNForever(t *testing.T) {
	enotconn := &step{err: errno(syscall.ENOTCONN)}
	h := newHarness(t, func(int) *fakeReceiver { return newFake(nil, enotconn) }, nil)
	var prev time.Duration
	const restarts = 20
	for i := range restarts {
		f := <-h.fakes
		x := h.nextExit()
		if !x.Restart || x.Restarts != i {
			t.Fatalf("exit %d: restart %v after %d restarts, want a restart after %d", i, x.Restart, x.Restarts, i)
		}
		if !errors.Is(x.Err, syscall.ENOTCONN) {
			t.Fatalf("exit %d: %v, want ENOTCONN", i, x.Err)
		}
		if got := f.readCount(); got != 1 {
			t.Errorf("socket %d read %d times before its loop ended, want 1", i, got)
		}
		if x.Delay < prev {
			t.Errorf("restart delay shrank: %v after %v", x.Delay, prev)
		}
		if x.Delay > errpolicy.DefaultMax {
			t.Errorf("restart delay %v beyond the maximum %v", x.Delay, errpolicy.DefaultMax)
		}
		prev = x.Delay
		h.advance(x.Delay)
	}
	if prev != errpolicy.DefaultMax*3/4 {
		t.Errorf("after %d restarts the delay is %v, want the cap's 3/4 (%v)", restarts, prev, errpolicy.DefaultMax*3/4)
	}
	// About 70s of fake time passed: the first error, the first restart
	// and one summary per 10s interval at most.
	if lines := h.logs.lines(); len(lines) > 12 {
		t.Errorf("%d log lines for %d restarts, want at most 12:\n%s", len(lines), restarts, strings.Join(lines, "\n"))
	}
	if st := h.e.Stats(); st.Restarts < restarts-1 || st.Errors < restarts {
		t.Errorf("Stats: %d restarts, %d errors; want about %d of each", st.Restarts, st.Errors, restarts)
	}
}

// TestFaultENOBUFSThenData: ENOBUFS backs off with a growing delay, then
// data arrives and is all delivered, the backoff resets, no restart.
func TestFaultENOBUFSThenData(t *testing.T) {
	enobufs := step{err: errno(syscall.ENOBUFS)}
	h := newHarness(t, func(int) *fakeReceiver {
		return newFake([]step{enobufs, enobufs, enobufs, {n: 10}, enobufs, {n: 5}}, nil)
	}, nil)
	// Waits of 3/4 of 10ms, 20ms, 40ms, then after the data 10ms again.
	for _, d := range []time.Duration{7500 * time.Microsecond, 15 * time.Millisecond, 30 * time.Millisecond} {
		h.advance(d)
	}
	h.receive(10)
	h.advance(7500 * time.Microsecond)
	h.receive(5)
	l := h.e.loops[0]
	if got := l.m.backoff.Get(); got < 0.0599 || got > 0.0601 {
		t.Errorf("backed off %.4fs in all, want 0.06", got)
	}
	if st := h.e.Stats(); st.Datagrams != 15 || st.Restarts != 0 || st.Errors != 4 {
		t.Errorf("Stats: %d datagrams, %d restarts, %d errors; want 15, 0, 4", st.Datagrams, st.Restarts, st.Errors)
	}
	select {
	case x := <-h.exits:
		t.Errorf("the loop ended: %+v", x)
	default:
	}
}

// TestFaultICMPInterleaved: ECONNREFUSED between datagrams is counted and
// read past at once: every datagram delivered, no backoff, one log line.
func TestFaultICMPInterleaved(t *testing.T) {
	var script []step
	for range 50 {
		script = append(script, step{n: 5}, step{err: errno(syscall.ECONNREFUSED)})
	}
	h := newHarness(t, func(int) *fakeReceiver { return newFake(script, nil) }, nil)
	h.receive(250)
	if w := h.clock.Waiters(); w != 0 {
		t.Errorf("%d sleeps on the clock, want none", w)
	}
	l := h.e.loops[0]
	if got := l.m.backoff.Get(); got != 0 {
		t.Errorf("backed off %vs, want 0", got)
	}
	if lines := h.logs.lines(); len(lines) != 1 {
		t.Errorf("%d log lines, want 1:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	waitErrors(t, h.e, 50)
}

// waitErrors waits until the engine has counted n errors: the last error
// is counted after the last datagram was handled.
func waitErrors(t *testing.T, e *Engine, n uint64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for e.Stats().Errors < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d errors counted, want %d", e.Stats().Errors, n)
		}
		time.Sleep(time.Millisecond) // polling a counter, not ordering events
	}
}

// TestFaultRetry: EINTR and a leaked ERESTARTSYS (512) are retried at once.
func TestFaultRetry(t *testing.T) {
	h := newHarness(t, func(int) *fakeReceiver {
		return newFake([]step{{err: errno(syscall.EINTR)}, {err: errno(512)}, {n: 3}}, nil)
	}, nil)
	h.receive(3)
	if w := h.clock.Waiters(); w != 0 {
		t.Errorf("%d sleeps on the clock, want none", w)
	}
	if st := h.e.Stats(); st.Errors != 2 || st.Restarts != 0 {
		t.Errorf("Stats: %d errors, %d restarts; want 2, 0", st.Errors, st.Restarts)
	}
}

// TestFaultUnknownEscalates: an errno no table knows backs off; at
// errpolicy.DefaultStreakLimit back-offs in a row the streak escalates,
// and the loop reads on the same socket (a new one would cure nothing and
// lose the queue), backing off at the schedule's cap, until data comes.
func TestFaultUnknownEscalates(t *testing.T) {
	unknown := step{err: errno(syscall.Errno(200))}
	var script []step
	for range 2*errpolicy.DefaultStreakLimit + 3 {
		script = append(script, unknown)
	}
	script = append(script, step{n: 5})
	h := newHarness(t, func(int) *fakeReceiver { return newFake(script, nil) }, nil)
	f := <-h.fakes
	for range len(script) - 1 { // one sleep per failed read
		h.advance(errpolicy.DefaultMax)
	}
	h.receive(5)
	if got := f.readCount(); got != len(script) {
		t.Errorf("%d reads, want %d: one per failure and one for the data", got, len(script))
	}
	select {
	case x := <-h.exits:
		t.Errorf("the loop ended: %+v", x)
	case g := <-h.fakes:
		t.Errorf("a second socket was opened: %p", g)
	default:
	}
	if st := h.e.Stats(); st.Restarts != 0 || st.Errors != uint64(len(script)-1) {
		t.Errorf("Stats: %d restarts, %d errors; want 0, %d", st.Restarts, st.Errors, len(script)-1)
	}
	if !strings.Contains(strings.Join(h.logs.lines(), "\n"), "reading on the same socket") {
		t.Errorf("no log line for the escalation:\n%s", strings.Join(h.logs.lines(), "\n"))
	}
}

// TestFaultBackoffStreakEndsRun: with MaxRestarts, a back-off streak that
// escalates more than MaxRestarts times in a row ends Run with the error,
// without ever re-opening the socket.
func TestFaultBackoffStreakEndsRun(t *testing.T) {
	enobufs := &step{err: errno(syscall.ENOBUFS)}
	h := newHarness(t, func(int) *fakeReceiver { return newFake(nil, enobufs) },
		func(c *Config) { c.MaxRestarts = 2 })
	f := <-h.fakes
	err := h.runUntilDone()
	if !errors.Is(err, syscall.ENOBUFS) || !strings.Contains(err.Error(), "127.0.0.1:9") {
		t.Errorf("Run = %v, want an error naming 127.0.0.1:9 and wrapping ENOBUFS", err)
	}
	// Escalations at back-offs 8 and 16 are let through; the one at 24
	// (the third) ends Run. Closing the socket then reads past
	// maxCloseErrors failures before it gives up emptying it.
	if got, want := f.readCount(), 3*errpolicy.DefaultStreakLimit+maxCloseErrors; got != want {
		t.Errorf("%d reads, want %d", got, want)
	}
	if st := h.e.Stats(); st.Restarts != 0 {
		t.Errorf("Stats: %d restarts, want 0", st.Restarts)
	}
}

// runUntilDone lets every sleep on the clock end at once until Run
// returns, and returns its result.
func (h *harness) runUntilDone() error {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-h.ran:
			return err
		default:
		}
		if h.clock.Waiters() > 0 {
			h.clock.Advance(errpolicy.DefaultMax)
			continue
		}
		time.Sleep(100 * time.Microsecond) // polling for a sleeper or Run's end
	}
	h.t.Fatal("Run did not return within 10s")
	return nil
}

// TestFaultPanicForeverEndsRun: a handler that panics on every batch
// backs off and escalates every errpolicy.DefaultStreakLimit panics; past
// MaxRestarts escalations Run returns the panic. The socket is never
// re-opened: a panic says nothing about it.
func TestFaultPanicForeverEndsRun(t *testing.T) {
	h := newHarness(t, func(int) *fakeReceiver { return newFake(nil, &step{n: 1}) }, func(c *Config) {
		c.MaxRestarts = 2
		c.Handler = HandlerFunc(func(*Writer, Batch) { panic("always") })
	})
	<-h.fakes
	err := h.runUntilDone()
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Value != "always" {
		t.Fatalf("Run = %v, want the handler's panic", err)
	}
	st := h.e.Stats()
	// 24 panics up to the give-up, and one more as Shutdown empties the
	// socket (its batch is handed over too).
	if got, want := h.e.loops[0].m.panics.Get(), uint64(3*errpolicy.DefaultStreakLimit+1); got != want {
		t.Errorf("%d panics, want %d", got, want)
	}
	if st.Restarts != 0 {
		t.Errorf("Stats: %d restarts, want 0", st.Restarts)
	}
	select {
	case g := <-h.fakes:
		t.Errorf("a second socket was opened: %p", g)
	default:
	}
}

// TestFaultPanicOnceReadsOn: one panicking batch in ten is read past at
// once: no sleep, no escalation, no re-open, every other batch delivered.
func TestFaultPanicOnceReadsOn(t *testing.T) {
	var script []step
	for range 100 {
		script = append(script, step{n: 2})
	}
	handled := make(chan int, len(script))
	calls := 0
	h := newHarness(t, func(int) *fakeReceiver { return newFake(script, nil) }, func(c *Config) {
		c.Handler = HandlerFunc(func(_ *Writer, b Batch) {
			if calls++; calls%10 == 0 {
				panic("one in ten")
			}
			handled <- b.Len()
		})
	})
	for got := 0; got < 90*2; {
		select {
		case n := <-handled:
			got += n
		case <-time.After(10 * time.Second):
			t.Fatalf("%d datagrams handled, want 180", got)
		}
	}
	// The 100th batch panics after the last datagram was handled.
	for deadline := time.Now().Add(5 * time.Second); h.e.loops[0].m.panics.Get() < 10 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Microsecond) // polling a counter
	}
	if got := h.e.loops[0].m.panics.Get(); got != 10 {
		t.Errorf("%d panics, want 10", got)
	}
	if w := h.clock.Waiters(); w != 0 {
		t.Errorf("%d sleeps on the clock, want none", w)
	}
	if st := h.e.Stats(); st.Restarts != 0 || st.Datagrams != 200 {
		t.Errorf("Stats: %d restarts, %d datagrams; want 0, 200", st.Restarts, st.Datagrams)
	}
	select {
	case x := <-h.exits:
		t.Errorf("the loop ended: %+v", x)
	default:
	}
}

// TestFaultHangUp: the poller reports a hang-up while reads find nothing
// (Linux, after SHUT_RD from outside): the loop ends after one read.
func TestFaultHangUp(t *testing.T) {
	h := newHarness(t, func(i int) *fakeReceiver {
		f := newFake(nil, &step{})
		if i == 0 {
			f.extra = platform.HangUp
		} else {
			f.repeat = nil // the re-opened socket is healthy and idle
		}
		return f
	}, nil)
	f := <-h.fakes
	x := h.nextExit()
	if !x.Restart || !errors.Is(x.Err, errpolicy.ErrHangUp) {
		t.Fatalf("exit %+v, want a restart after a hang-up", x)
	}
	// One read by the loop, one by closeReceiver emptying the socket (a
	// read shutdown leaves what was queued readable).
	if got := f.readCount(); got != 2 {
		t.Errorf("%d reads before the loop ended, want 2", got)
	}
	h.advance(x.Delay)
	<-h.fakes // re-opened
}

// TestFaultRestartsExhausted: with MaxRestarts set, Run gives up and
// returns an error naming the address and wrapping the cause.
func TestFaultRestartsExhausted(t *testing.T) {
	enotconn := &step{err: errno(syscall.ENOTCONN)}
	h := newHarness(t, func(int) *fakeReceiver { return newFake(nil, enotconn) },
		func(c *Config) { c.MaxRestarts = 2 })
	for range 2 {
		h.advance(h.nextExit().Delay)
	}
	if x := h.nextExit(); x.Restart {
		t.Errorf("third exit %+v: want no restart", x)
	}
	select {
	case err := <-h.ran:
		if !errors.Is(err, syscall.ENOTCONN) || !strings.Contains(err.Error(), "127.0.0.1:9") {
			t.Errorf("Run = %v, want an error naming 127.0.0.1:9 and wrapping ENOTCONN", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the restarts ran out")
	}
}

// TestFaultErrorNeverRead: the poller reports a pending error (EPOLLERR)
// that reads never return. The loop must not spin on it: it backs off,
// escalates, and reads on the same socket at the back-off's pace, one read
// per wait.
func TestFaultErrorNeverRead(t *testing.T) {
	h := newHarness(t, func(i int) *fakeReceiver {
		f := newFake(nil, &step{})
		f.extra = platform.ErrorPending
		return f
	}, nil)
	f := <-h.fakes
	const waits = 2*errpolicy.DefaultStreakLimit + 2
	for range waits {
		h.advance(errpolicy.DefaultMax)
	}
	if err := h.clock.BlockUntilContext(h.ctx(), 1); err != nil {
		t.Fatal(err)
	}
	if got := f.readCount(); got != waits+1 {
		t.Errorf("%d reads after %d waits, want one per wait and the first", got, waits)
	}
	select {
	case x := <-h.exits:
		t.Errorf("the loop ended: %+v", x)
	case g := <-h.fakes:
		t.Errorf("a second socket was opened: %p", g)
	default:
	}
}

// TestFaultUnknownErrnoNamed: an errno no row knows (EIO) is logged and
// counted under its own name, not as "unknown", while it is still backed
// off as an unknown errno is.
func TestFaultUnknownErrnoNamed(t *testing.T) {
	if errpolicy.Host() != errpolicy.Linux {
		t.Skip("the harness classifies with the Linux table; errnos are named only by the host's table")
	}
	h := newHarness(t, func(int) *fakeReceiver {
		return newFake([]step{{err: errno(syscall.EIO)}, {n: 2}}, nil)
	}, nil)
	h.advance(errpolicy.DefaultMax)
	h.receive(2)
	lines := h.logs.lines()
	if len(lines) == 0 || !strings.Contains(lines[0], "errno=EIO") || !strings.Contains(lines[0], "verdict=backoff") {
		t.Errorf("first log line %q, want errno=EIO verdict=backoff", lines)
	}
	var b bytes.Buffer
	h.e.set.WritePrometheus(&b)
	if want := `class="backoff",errno="EIO"} 1`; !strings.Contains(b.String(), want) {
		t.Errorf("metrics do not count %s:\n%s", want, b.String())
	}
}

// orderFake is a fakeReceiver that can isolate, close its intake and
// report its queue, and records the order of those calls and of reads and
// Close.
type orderFake struct {
	*fakeReceiver
	mu    sync.Mutex
	calls []string
}

func (o *orderFake) record(c string) {
	o.mu.Lock()
	o.calls = append(o.calls, c)
	o.mu.Unlock()
}

func (o *orderFake) Read(b *batch.Batch) (int, error) {
	n, err := o.fakeReceiver.Read(b)
	o.record("read")
	return n, err
}
func (o *orderFake) CloseIntake() error { o.record("close-intake"); return nil }
func (o *orderFake) Isolate() error     { o.record("isolate"); return nil }
func (o *orderFake) QueueInfo() (platform.QueueInfo, error) {
	o.record("drops")
	return platform.QueueInfo{HasDrops: true}, nil
}
func (o *orderFake) Close() error { o.record("close"); return o.fakeReceiver.Close() }

func (o *orderFake) sequence() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, c := range o.calls { // runs of one call as one
		if len(out) > 0 && out[len(out)-1] == c {
			continue
		}
		out = append(out, c)
	}
	return strings.Join(out, " ")
}

// TestCloseEmptiesThenCountsDrops: a socket the loop ends on after a
// hang-up (a read shutdown leaves the queue readable) is isolated, read
// until empty with every datagram delivered, and only then is its drop
// count read and the socket closed; at Shutdown the same, after the
// intake was closed.
func TestCloseEmptiesThenCountsDrops(t *testing.T) {
	hangup := fmt.Errorf("recvmmsg: %w", errpolicy.ErrHangUp)
	fakes := make(chan *orderFake, 2)
	opened := 0
	handled := make(chan int, 100)
	e, err := New(Config{
		Addr: "udp4://127.0.0.1:9", Loops: 1,
		Handler:        HandlerFunc(func(_ *Writer, b Batch) { handled <- b.Len() }),
		RestartBackoff: errpolicy.BackoffSchedule{Initial: time.Microsecond, Max: time.Microsecond},
		listen: func(string, string, platform.Options) (platform.Receiver, error) {
			o := &orderFake{fakeReceiver: newFake(nil, nil)}
			if opened++; opened == 1 {
				o.steps = []step{{err: hangup}, {n: 5}, {n: 7}}
			}
			fakes <- o
			return o, nil
		},
		policy: errpolicy.Linux,
	})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- e.Run(context.Background()) }()
	first := <-fakes
	for got := 0; got < 12; {
		select {
		case n := <-handled:
			got += n
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of the 12 datagrams queued behind the hang-up delivered", got)
		}
	}
	second := <-fakes // re-opened
	if got, want := first.sequence(), "read isolate read drops close"; got != want {
		t.Errorf("closing after a hang-up: %q, want %q", got, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-ran; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got, want := second.sequence(), "close-intake read isolate read drops close"; got != want {
		t.Errorf("closing at Shutdown: %q, want %q", got, want)
	}
}

// TestFaultReadableButEmpty: the poller reports the socket readable
// forever and every read finds nothing (EAGAIN). Each is counted; runs of
// them turn into back-offs, and the back-off streaks escalate as any
// repeated error's do, on the same socket: with MaxRestarts the third
// escalation ends Run with the error instead of spinning (issue 12,
// case 9).
func TestFaultReadableButEmpty(t *testing.T) {
	h := newHarness(t, func(int) *fakeReceiver { return newFake(nil, &step{}) },
		func(c *Config) { c.MaxRestarts = 2 })
	f := <-h.fakes
	err := h.runUntilDone()
	if !errors.Is(err, errpolicy.ErrEmptyReadable) {
		t.Fatalf("Run = %v, want an error wrapping ErrEmptyReadable", err)
	}
	select {
	case g := <-h.fakes:
		t.Errorf("a second socket was opened: %p", g)
	default:
	}
	st := h.e.Stats()
	if st.Restarts != 0 || st.Errors == 0 || st.Errors > uint64(f.readCount()) {
		t.Errorf("Stats: %d restarts, %d errors for %d reads; want 0 restarts and an error per empty read", st.Restarts, st.Errors, f.readCount())
	}
}
