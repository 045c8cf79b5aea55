package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
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

// TestHandleBatchAllocs guards the handler's cost: one allocation per
// datagram, the copy of the payload, and nothing per batch once the
// writer gives batches back (here the test takes each batch off the
// queue and recycles it, as the writer does).
func TestHandleBatchAllocs(t *testing.T) {
	b, err := batch.New(4, 512)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, b, netip.AddrPort{}, false, logger5424, loggerSD, logger3164PID, loggerSocket)
	o := newOutput(&bytes.Buffer{}, false)
	r := &receiver{out: o, now: time.Now}
	n := testing.AllocsPerRun(100, func() {
		r.HandleBatch(nil, engine.BatchOf(b))
		o.recycle(<-o.queue)
	})
	if n > 4 {
		t.Errorf("HandleBatch of 4 datagrams: %v allocations, want at most 4", n)
	}
}

// TestOutputDropsWhenFull: a loop never waits for the output; the
// records of a batch that does not fit in the queue are counted, and the
// rest is written at the stop.
func TestOutputDropsWhenFull(t *testing.T) {
	var buf bytes.Buffer
	o := newOutput(&buf, false)
	m, _ := Parse(loggerSocket, captured)
	const perBatch, extra = 3, 2
	for range queueBatches + extra {
		rs := o.batch(perBatch)
		for range perBatch {
			rs = append(rs, record{Message: m, received: captured})
		}
		o.send(rs) // returns at once: nobody is writing
	}
	if n := o.dropped.Load(); n != extra*perBatch {
		t.Errorf("dropped %d, want %d", n, extra*perBatch)
	}
	go o.run()
	closeOutput(t, o)
	if n := strings.Count(buf.String(), "\n"); n != queueBatches*perBatch {
		t.Errorf("%d lines written, want %d", n, queueBatches*perBatch)
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
	for range 10 {
		o.send([]record{{Message: m}, {Message: m}})
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
			if got := string(appendLine(nil, tt.r)); got != tt.want {
				t.Errorf("appendLine =\n%q\nwant\n%q", got, tt.want)
			}
		})
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
