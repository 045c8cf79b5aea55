package engine

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/udprx/udprx/batch"
	"github.com/udprx/udprx/platform"
)

// sendStep is one scripted Send result: sent messages go out, then
// msgs[sent] fails with err, a send that carried failed messages (0: 1).
// A step with no err sends everything.
type sendStep struct {
	sent   int
	err    error
	failed int
}

// sendScript is a fakeReceiver's send side: Send replays steps (then
// sends everything), WaitWritable answers from writable (then false, as
// if its bound passed), and what was sent is recorded. The fake's mu
// guards it.
type sendScript struct {
	steps    []sendStep
	writable []bool
	gso      bool // what Info reports until DisableGSO

	sent     []byte          // the first payload byte of each message sent, in order
	calls    int             // Send calls
	waits    []time.Duration // the bound of each WaitWritable call
	disabled int             // DisableGSO calls
	segments []int           // len(msgs) of each Send call
}

var _ platform.Sender = (*fakeReceiver)(nil)

func (f *fakeReceiver) Send(msgs []batch.Message) (sent, failed int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.send
	if s == nil {
		return len(msgs), 0, nil
	}
	s.calls++
	s.segments = append(s.segments, len(msgs))
	st := sendStep{sent: len(msgs)}
	if len(s.steps) > 0 {
		st, s.steps = s.steps[0], s.steps[1:]
	}
	if st.err == nil || st.sent >= len(msgs) {
		st.sent, st.err = len(msgs), nil
	}
	for _, m := range msgs[:st.sent] {
		s.sent = append(s.sent, m.Payload[0])
	}
	if st.err == nil {
		return st.sent, 0, nil
	}
	return st.sent, min(max(st.failed, 1), len(msgs)-st.sent), st.err
}

func (f *fakeReceiver) WaitWritable(d time.Duration) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.send
	if s == nil {
		return true, nil
	}
	s.waits = append(s.waits, d)
	if len(s.writable) == 0 {
		return false, nil
	}
	ok := s.writable[0]
	s.writable = s.writable[1:]
	return ok, nil
}

func (f *fakeReceiver) DisableGSO() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.send != nil {
		f.send.gso = false
		f.send.disabled++
	}
}

// sendSnapshot returns a copy of the fake's send record.
func (f *fakeReceiver) sendSnapshot() sendScript {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := *f.send
	s.sent = append([]byte(nil), s.sent...)
	s.waits = append([]time.Duration(nil), s.waits...)
	return s
}

// sendErrno builds the chain platform Send returns.
func sendErrno(e syscall.Errno) error { return os.NewSyscallError("sendmmsg", e) }

// echo answers every datagram with its own payload (the fake's payloads
// are one byte: the datagram's index in its read).
var echo = HandlerFunc(func(w *Writer, b Batch) {
	for _, d := range b.All() {
		if err := w.Reply(d, d.Payload); err != nil {
			panic(err)
		}
	}
})

// waitSendsResolved waits until n messages are sent or dropped.
func waitSendsResolved(t *testing.T, e *Engine, n uint64) Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := e.Stats()
		if st.Sent+st.SendDrops >= n {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sent and %d dropped within 10s, want %d in all", st.Sent, st.SendDrops, n)
		}
		time.Sleep(time.Millisecond) // polling counters, not ordering events
	}
}

// dropsBy reads loop l's udprx_send_drops_total for reason.
func dropsBy(l *loop, reason string) uint64 {
	return l.m.set.GetOrCreateCounter(fmt.Sprintf("udprx_send_drops_total{%s,reason=%q}", l.m.label, reason)).Get()
}

// indices returns the bytes 0 to n-1 without skip.
func indices(n int, skip ...int) []byte {
	var b []byte
	for i := range n {
		if !containsInt(skip, i) {
			b = append(b, byte(i))
		}
	}
	return b
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// sendHarness runs the echo handler over one fake that reads script and
// sends as snd says.
func sendHarness(t *testing.T, script []step, snd *sendScript, tweak func(*Config)) (*harness, *fakeReceiver) {
	t.Helper()
	h := newHarness(t, func(int) *fakeReceiver {
		f := newFake(script, nil)
		f.send = snd
		return f
	}, func(c *Config) {
		c.Handler = echo
		if tweak != nil {
			tweak(c)
		}
	})
	return h, <-h.fakes
}

// TestSendFaultEAGAINThenWritable: the send buffer fills after 10 of 64
// replies; the loop waits for writability and sends the other 54: nothing
// lost, nothing dropped.
func TestSendFaultEAGAINThenWritable(t *testing.T) {
	snd := &sendScript{steps: []sendStep{{sent: 10, err: sendErrno(syscall.EAGAIN)}}, writable: []bool{true}}
	h, f := sendHarness(t, []step{{n: 64}}, snd, nil)
	st := waitSendsResolved(t, h.e, 64)
	got := f.sendSnapshot()
	if st.Sent != 64 || st.SendDrops != 0 || st.SendCalls != 2 {
		t.Errorf("Stats: %d sent, %d dropped, %d send calls; want 64, 0, 2", st.Sent, st.SendDrops, st.SendCalls)
	}
	if string(got.sent) != string(indices(64)) {
		t.Errorf("sent %v, want 0 to 63 in order", got.sent)
	}
	if len(got.waits) != 1 || got.waits[0] <= 0 || got.waits[0] > h.e.cfg.SendTimeout {
		t.Errorf("waited %v, want one wait bounded by SendTimeout %v", got.waits, h.e.cfg.SendTimeout)
	}
}

// TestSendFaultEAGAINPastTimeout: the buffer stays full past SendTimeout:
// what was not sent is dropped, every one counted as "full", and
// SendDrops matches exactly. The waits share one bound.
func TestSendFaultEAGAINPastTimeout(t *testing.T) {
	eagain := sendErrno(syscall.EAGAIN)
	snd := &sendScript{steps: []sendStep{{sent: 3, err: eagain}, {sent: 2, err: eagain}}, writable: []bool{true, false}}
	h, f := sendHarness(t, []step{{n: 64}}, snd, func(c *Config) { c.SendTimeout = 50 * time.Millisecond })
	st := waitSendsResolved(t, h.e, 64)
	got := f.sendSnapshot()
	if st.Sent != 5 || st.SendDrops != 59 {
		t.Errorf("Stats: %d sent, %d dropped; want 5 and 59", st.Sent, st.SendDrops)
	}
	if full := dropsBy(h.e.loops[0], labelFull); full != st.SendDrops {
		t.Errorf("%d drops counted as full, SendDrops %d: want them equal", full, st.SendDrops)
	}
	if string(got.sent) != string(indices(5)) {
		t.Errorf("sent %v, want 0 to 4", got.sent)
	}
	if len(got.waits) != 2 || got.waits[0] > 50*time.Millisecond || got.waits[1] > got.waits[0] {
		t.Errorf("waits %v: want two, within one 50ms bound", got.waits)
	}
	// The loop goes on: it was not ended or restarted.
	select {
	case x := <-h.exits:
		t.Errorf("the loop ended: %+v", x)
	default:
	}
}

// TestSendFaultPartial: sendmmsg stops at message 5, which fails with a
// stale ECONNREFUSED: that one is dropped and counted "refused", the rest
// are sent in order.
func TestSendFaultPartial(t *testing.T) {
	snd := &sendScript{steps: []sendStep{{sent: 5, err: sendErrno(syscall.ECONNREFUSED)}}}
	h, f := sendHarness(t, []step{{n: 64}}, snd, nil)
	st := waitSendsResolved(t, h.e, 64)
	got := f.sendSnapshot()
	if st.Sent != 63 || st.SendDrops != 1 || dropsBy(h.e.loops[0], "refused") != 1 {
		t.Errorf("Stats: %d sent, %d dropped (%d refused); want 63, 1, 1", st.Sent, st.SendDrops, dropsBy(h.e.loops[0], "refused"))
	}
	if string(got.sent) != string(indices(64, 5)) {
		t.Errorf("sent %v, want 0 to 63 without 5", got.sent)
	}
	if got.calls != 2 || got.segments[1] != 58 {
		t.Errorf("%d Send calls of %v messages, want 2: the second from message 6 (58)", got.calls, got.segments)
	}
}

// TestSendFaultGSOFallback: a segmented send of 8 messages fails with EIO
// (a device without checksum offload): GSO is turned off once, the same
// messages are sent again unsegmented, nothing is dropped, and the
// socket's facts and metrics say so.
func TestSendFaultGSOFallback(t *testing.T) {
	eio := fmt.Errorf("%w of %d messages: %w", platform.ErrSegmented, 8, sendErrno(syscall.EIO))
	snd := &sendScript{gso: true, steps: []sendStep{{sent: 8, err: eio, failed: 8}}}
	gate := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(gate) }) }
	defer release() // before the harness's Shutdown, if the test fails early
	h, f := sendHarness(t, []step{{n: 64}}, snd, func(c *Config) {
		c.Handler = HandlerFunc(func(w *Writer, b Batch) { <-gate; echo(w, b) })
	})
	if !h.e.Stats().Loops[0].Socket.GSO {
		t.Fatal("the fake socket does not start with GSO on: the test tests nothing")
	}
	release()
	st := waitSendsResolved(t, h.e, 64)
	got := f.sendSnapshot()
	if st.Sent != 64 || st.SendDrops != 0 {
		t.Errorf("Stats: %d sent, %d dropped; want 64 and 0", st.Sent, st.SendDrops)
	}
	if string(got.sent) != string(indices(64)) {
		t.Errorf("sent %v, want 0 to 63 once each, in order", got.sent)
	}
	if got.disabled != 1 || got.segments[1] != 56 {
		t.Errorf("DisableGSO called %d times, resent %v; want once, from message 8 (56 messages)", got.disabled, got.segments)
	}
	l := h.e.loops[0]
	if n := l.m.gsoDisabled.Get(); n != 1 {
		t.Errorf("udprx_gso_disabled_total %d, want 1", n)
	}
	if st.Loops[0].Socket.GSO {
		t.Error("LoopStats.Socket.GSO still true")
	}
	var warned int
	for _, line := range h.logs.lines() {
		if strings.Contains(line, "GSO") {
			warned++
		}
	}
	if warned != 1 {
		t.Errorf("%d log lines about GSO, want 1:\n%s", warned, strings.Join(h.logs.lines(), "\n"))
	}
}

// TestSendFaultENOBUFS: ENOBUFS on the first reply drops it ("no_buffer")
// and backs off on the loop's clock; then the loop sends the rest and
// goes on reading and answering.
func TestSendFaultENOBUFS(t *testing.T) {
	snd := &sendScript{steps: []sendStep{{sent: 0, err: sendErrno(syscall.ENOBUFS)}}}
	h, f := sendHarness(t, []step{{n: 64}, {n: 2}}, snd, nil)
	// The read backoff's first delay, 3/4 of 10ms with halfJitter.
	h.advance(7500 * time.Microsecond)
	st := waitSendsResolved(t, h.e, 66)
	got := f.sendSnapshot()
	l := h.e.loops[0]
	if st.Sent != 65 || st.SendDrops != 1 || dropsBy(l, "no_buffer") != 1 {
		t.Errorf("Stats: %d sent, %d dropped (%d no_buffer); want 65, 1, 1", st.Sent, st.SendDrops, dropsBy(l, "no_buffer"))
	}
	if want := append(indices(64, 0), 0, 1); string(got.sent) != string(want) {
		t.Errorf("sent %v, want %v", got.sent, want)
	}
	if b := l.m.backoff.Get(); b < 0.00749 || b > 0.00751 {
		t.Errorf("backed off %vs, want 0.0075", b)
	}
	if len(got.waits) != 0 {
		t.Errorf("waited for writability %d times on ENOBUFS, want never", len(got.waits))
	}
	if st.Restarts != 0 {
		t.Errorf("%d restarts, want 0", st.Restarts)
	}
}

// TestSendFaultEBADF: a send that finds the descriptor gone drops what
// was queued ("gone"), ends the loop as a receive EBADF does, and the
// supervisor re-opens a socket whose replies go out.
func TestSendFaultEBADF(t *testing.T) {
	h := newHarness(t, func(i int) *fakeReceiver {
		if i == 0 {
			f := newFake([]step{{n: 64}}, nil)
			f.send = &sendScript{steps: []sendStep{{err: sendErrno(syscall.EBADF)}}}
			return f
		}
		f := newFake([]step{{n: 3}}, nil)
		f.send = &sendScript{}
		return f
	}, func(c *Config) { c.Handler = echo })
	<-h.fakes
	x := h.nextExit()
	if !x.Restart || !errors.Is(x.Err, syscall.EBADF) {
		t.Fatalf("exit %+v, want a restart after EBADF", x)
	}
	h.advance(x.Delay)
	f := <-h.fakes
	st := waitSendsResolved(t, h.e, 67)
	l := h.e.loops[0]
	if st.Sent != 3 || st.SendDrops != 64 || dropsBy(l, "gone") != 64 {
		t.Errorf("Stats: %d sent, %d dropped (%d gone); want 3, 64, 64", st.Sent, st.SendDrops, dropsBy(l, "gone"))
	}
	if got := f.sendSnapshot(); string(got.sent) != string(indices(3)) {
		t.Errorf("the re-opened socket sent %v, want 0 1 2", got.sent)
	}
	if st.Restarts != 1 {
		t.Errorf("%d restarts, want 1", st.Restarts)
	}
}
