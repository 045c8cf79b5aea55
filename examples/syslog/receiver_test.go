package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/udprx/udprx/batch"
	"github.com/udprx/udprx/engine"
)

// fill puts the payloads into b as a read would, the last one flagged
// truncated when trunc is set.
func fill(t *testing.T, b *batch.Batch, src netip.AddrPort, trunc bool, payloads ...string) {
	t.Helper()
	b.Reset()
	for i, p := range payloads {
		n := copy(b.Slots()[i], p)
		var f batch.Flags
		if trunc && i == len(payloads)-1 {
			f = batch.Truncated
		}
		b.Append(i, n, src, f)
	}
}

// closeOutput runs the stop hook with a bound.
func closeOutput(t *testing.T, o *output) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := o.close(ctx); err != nil {
		t.Fatalf("output.close: %v", err)
	}
}

// TestHandleBatchOwnsWhatItKeeps overwrites every payload buffer after
// HandleBatch returns, as the engine's next read does, and only then lets
// the writer run: what is written must be what was received.
func TestHandleBatchOwnsWhatItKeeps(t *testing.T) {
	b, err := batch.New(4, 512)
	if err != nil {
		t.Fatal(err)
	}
	src := netip.MustParseAddrPort("127.0.0.1:40000")
	fill(t, b, src, true, logger5424, "garbage", logger3164)
	var buf bytes.Buffer
	o := newOutput(&buf, true)
	r := &receiver{out: o, now: func() time.Time { return captured }}
	r.HandleBatch(nil, engine.BatchOf(b))
	for _, s := range b.Slots() {
		for i := range s {
			s[i] = 'X'
		}
	}
	go o.run()
	closeOutput(t, o)

	var got []jsonRecord
	dec := json.NewDecoder(&buf)
	for dec.More() {
		var rec jsonRecord
		if err := dec.Decode(&rec); err != nil {
			t.Fatalf("output is not JSON lines: %v\n%s", err, buf.String())
		}
		got = append(got, rec)
	}
	if len(got) != 3 {
		t.Fatalf("%d records, want 3:\n%s", len(got), buf.String())
	}
	for i, want := range []struct{ format, sev, app, text string }{
		{Format5424, "warning", "myapp", "hello 5424"},
		{FormatUnknown, "", "", "garbage"},
		{Format3164, "err", "other", "hello 3164"},
	} {
		g := got[i]
		if g.Format != want.format || g.SeverityName != want.sev || g.App != want.app || g.Text != want.text || g.Src != src || !g.Received.Equal(captured) {
			t.Errorf("record %d = %+v, want %+v from %v", i, g, want, src)
		}
	}
	if got[1].Error == "" {
		t.Errorf("unknown record has no error: %+v", got[1])
	}
	want := "3 messages: emerg=0 alert=0 crit=0 err=1 warning=1 notice=0 info=0 debug=0 unknown=1 dropped=0 truncated=1"
	if s := r.counts().String(); s != want {
		t.Errorf("counts = %q, want %q", s, want)
	}
}

// TestHandleBatchAllocs guards the handler's cost: no allocation at all
// once the writer gives chunks back (here the test takes each chunk off
// the queue and frees it, as the writer does).
func TestHandleBatchAllocs(t *testing.T) {
	b, err := batch.New(4, 512)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, b, netip.AddrPort{}, false, logger5424, loggerSD, logger3164PID, loggerSocket)
	o := newOutput(&bytes.Buffer{}, false)
	o.free <- make([]byte, 0, chunkSize+chunkSize/4) // for the first hand-over
	r := &receiver{out: o, now: time.Now}
	n := testing.AllocsPerRun(2000, func() { // 2000: several chunks handed over
		r.HandleBatch(nil, engine.BatchOf(b))
		select {
		case c := <-o.queue:
			o.free <- c.b[:0]
		default:
		}
	})
	if n != 0 {
		t.Errorf("HandleBatch of 4 datagrams: %v allocations, want 0", n)
	}
}

// addLines adds n records of m to loop i's chunk, numbered in their text
// from first on.
func addLines(o *output, i, first, n int, m Message) {
	lo := o.begin(i)
	defer o.end(lo)
	for k := range n {
		m.Text = strconv.Itoa(first + k)
		o.add(lo, record{Message: m, received: captured})
	}
}

// TestOutputDropsWhenFull: a loop never waits for the output; the lines
// of a chunk that does not fit in the queue are counted, and the rest is
// written at the stop.
func TestOutputDropsWhenFull(t *testing.T) {
	var buf bytes.Buffer
	o := newOutput(&buf, false)
	m, _ := Parse(loggerSocket, captured)
	m.Text = "x"
	line := len(appendLine(nil, record{Message: m}, nil))
	perChunk := (chunkSize + line - 1) / line // a chunk goes once it holds chunkSize bytes
	const extra = 2
	lo := o.begin(0)
	for range (queueChunks + extra) * perChunk {
		o.add(lo, record{Message: m}) // returns at once: nobody is writing
	}
	o.end(lo)
	if n := o.dropped.Load(); n != uint64(extra*perChunk) {
		t.Errorf("dropped %d, want %d", n, extra*perChunk)
	}
	go o.run()
	closeOutput(t, o)
	if n := strings.Count(buf.String(), "\n"); n != queueChunks*perChunk {
		t.Errorf("%d lines written, want %d", n, queueChunks*perChunk)
	}
}

// TestOutputKeepsEachLoopsOrder: two loops add at once while the writer
// writes and flushes on its timer; every line is written once, and each
// loop's in the order it added them.
func TestOutputKeepsEachLoopsOrder(t *testing.T) {
	var buf bytes.Buffer
	o := newOutput(&buf, false)
	o.setLoops(2)
	go o.run()
	m, _ := Parse(logger5424, captured)
	const batches, perBatch = 400, 50
	var wg sync.WaitGroup
	for i := range 2 {
		mi := m
		mi.App = "loop" + strconv.Itoa(i)
		empty := func() bool {
			lo := o.begin(i)
			defer o.end(lo)
			return lo.lines == 0
		}
		wg.Go(func() {
			for k := range batches {
				addLines(o, i, k*perBatch, perBatch, mi)
				if k%100 == 0 {
					// Let the timer seal a partial chunk now and then.
					deadline := time.Now().Add(10 * time.Second)
					for !empty() && time.Now().Before(deadline) {
						runtime.Gosched()
					}
				}
			}
		})
	}
	wg.Wait()
	closeOutput(t, o)
	if n := o.dropped.Load(); n != 0 {
		t.Fatalf("dropped %d lines", n)
	}
	next := [2]int{}
	for l := range strings.Lines(buf.String()) {
		var i int
		var seq string
		switch {
		case strings.Contains(l, " loop0: "):
			i, seq = 0, l[strings.Index(l, " loop0: ")+8:]
		case strings.Contains(l, " loop1: "):
			i, seq = 1, l[strings.Index(l, " loop1: ")+8:]
		default:
			t.Fatalf("unexpected line %q", l)
		}
		if got := strings.TrimSpace(seq); got != strconv.Itoa(next[i]) {
			t.Fatalf("loop %d: line %q, want number %d", i, l, next[i])
		}
		next[i]++
	}
	if next != [2]int{batches * perBatch, batches * perBatch} {
		t.Errorf("lines per loop %v, want %d each", next, batches*perBatch)
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

// TestOutputWriteError: a failing output is reported by the stop hook,
// and does not keep the writer from draining the queue.
func TestOutputWriteError(t *testing.T) {
	o := newOutput(failingWriter{}, true)
	go o.run()
	m, _ := Parse(loggerSocket, captured)
	for k := range 10 {
		addLines(o, 0, 2*k, 2, m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := o.close(ctx); !errors.Is(err, errDiskFull) {
		t.Errorf("close = %v, want %v", err, errDiskFull)
	}
}

func TestAppendLine(t *testing.T) {
	received := time.Date(2026, 11, 22, 5, 36, 40, 390548804, time.UTC)
	parse := func(s string) Message {
		m, _ := Parse(s, captured)
		return m
	}
	_, perr := Parse("hello\n", captured)
	tests := []struct {
		name string
		r    record
		want string
	}{
		{"rfc5424", record{Message: parse(logger5424)},
			"2026-11-22T05:32:17.114795Z local0.warning vm myapp: hello 5424\n"},
		{"rfc3164 with pid", record{Message: parse(logger3164PID)},
			"2026-11-22T05:32:32Z local7.debug vm other[31872]: pid 3164\n"},
		{"local form: no host", record{Message: parse(loggerSocket)},
			"2026-11-22T05:32:28Z daemon.info - unixapp: hello unix\n"},
		{"nil values", record{Message: parse("<0>1 - - - - - -")},
			"- kern.emerg - -: \n"},
		{"control bytes escaped", record{Message: parse("<14>1 - h a - - - red \x1b[31m\ttab")},
			"- user.info h a: red \\x1b[31m\ttab\n"},
		{"unknown from udp", record{Message: unknown("hello\n"), src: netip.MustParseAddrPort("127.0.0.1:40000"), received: received, err: perr},
			"2026-11-22T05:36:40.390548804Z unknown 127.0.0.1:40000: \"hello\\n\" (syslog: byte 0: want <PRI>)\n"},
		{"unknown from a unix socket", record{Message: unknown("x"), received: received},
			"2026-11-22T05:36:40.390548804Z unknown local: \"x\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendLine(nil, tt.r, nil)); got != tt.want {
				t.Errorf("appendLine =\n%q\nwant\n%q", got, tt.want)
			}
			// Through a cache that last formatted another time, then
			// through the same cache again: the same line.
			c := &stampCache{}
			appendStamp(nil, captured.Add(time.Second), c)
			for range 2 {
				if got := string(appendLine(nil, tt.r, c)); got != tt.want {
					t.Errorf("appendLine with a cache =\n%q\nwant\n%q", got, tt.want)
				}
			}
		})
	}
}

// TestAppendSafe puts every byte value at every offset of a string long
// enough for two words and a tail: the word-at-a-time scan escapes what
// a byte-at-a-time one does.
func TestAppendSafe(t *testing.T) {
	slow := func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
				fmt.Fprintf(&b, "\\x%02x", c)
			} else {
				b.WriteByte(c)
			}
		}
		return b.String()
	}
	base := []byte("abcdefghijklmnopqrs")
	for c := range 256 {
		for i := range base {
			s := []byte(string(base))
			s[i] = byte(c)
			if got, want := string(appendSafe(nil, string(s))), slow(string(s)); got != want {
				t.Fatalf("appendSafe(%q) = %q, want %q", s, got, want)
			}
		}
	}
	for _, s := range []string{"", "\x1f\x7f\x00\t\x80\xff\x20~", "\t\t\t\t\t\t\t\t\x01", strings.Repeat("\x7f", 17)} {
		if got, want := string(appendSafe(nil, s)), slow(s); got != want {
			t.Errorf("appendSafe(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestAppendStampCache: the cache formats what time.Time.AppendFormat
// would, whatever came before: the same instant in another location, the
// same second with another fraction, the zero time.
func TestAppendStampCache(t *testing.T) {
	east := time.FixedZone("", 2*3600)
	times := []time.Time{
		captured, captured, captured.In(east), captured, captured.Add(time.Nanosecond),
		captured.Add(time.Nanosecond), {}, captured.Add(time.Hour).In(east), captured.Local(),
	}
	c := &stampCache{}
	for i, tm := range times {
		want := tm.Format(time.RFC3339Nano)
		if got := string(appendStamp([]byte("x"), tm, c)); got != "x"+want {
			t.Errorf("time %d: appendStamp = %q, want %q", i, got, "x"+want)
		}
	}
}

func TestWriteMetrics(t *testing.T) {
	b, err := batch.New(2, 512)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, b, netip.AddrPort{}, false, logger5424, "x")
	r := &receiver{out: newOutput(&bytes.Buffer{}, false), now: time.Now}
	r.HandleBatch(nil, engine.BatchOf(b))
	var buf bytes.Buffer
	r.writeMetrics(&buf)
	for _, want := range []string{
		`syslog_messages_total{severity="warning"} 1`,
		`syslog_messages_total{severity="err"} 0`,
		`syslog_messages_total{severity="unknown"} 1`,
		"syslog_output_dropped_total 0",
		"syslog_truncated_total 0",
	} {
		if !strings.Contains(buf.String(), want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, buf.String())
		}
	}
}
