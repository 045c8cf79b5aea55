package main

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/VictoriaMetrics/metrics"
	"github.com/udprx/udprx/engine"
)

// receiver is the engine.Handler. It parses each datagram on the loop's
// own goroutine (a few hundred nanoseconds: no I/O, no allocation),
// counts it, and formats its line onto the loop's chunk of the output,
// which a writer goroutine writes (see output). With several loops
// HandleBatch runs concurrently, once per loop: the counts are atomics,
// added once per batch, and each loop has its own chunk.
type receiver struct {
	out       *output
	now       func() time.Time
	bySev     [8]atomic.Uint64 // messages parsed, by severity
	unparsed  atomic.Uint64    // datagrams Parse rejected, kept as FormatUnknown
	truncated atomic.Uint64    // datagrams longer than the engine's DatagramSize
}

// HandleBatch implements engine.Handler.
func (r *receiver) HandleBatch(w *engine.Writer, b engine.Batch) {
	now := r.now() // one clock read per batch, not per datagram
	loop := 0
	if w != nil { // tests call it without a Writer
		loop = w.Loop()
	}
	var bySev [8]uint64
	var unparsed, truncated uint64
	lo := r.out.begin(loop)
	for _, d := range b.All() {
		// d.Payload is the engine's buffer, overwritten by the next read
		// once HandleBatch returns. The line is made before that, and
		// Parse returns substrings of raw only, so raw may share the
		// payload's memory instead of copying it (which was the one
		// allocation per message): nothing that refers to it outlives
		// this iteration, and the payload is not written meanwhile.
		raw := unsafe.String(unsafe.SliceData(d.Payload), len(d.Payload))
		m, err := parse(raw, now, &lo.times)
		if err != nil {
			unparsed++
		} else {
			bySev[m.Severity]++
		}
		if d.Truncated() {
			truncated++ // parsed all the same: the start is there
		}
		r.out.add(lo, record{Message: m, src: d.Src, received: now, err: err})
	}
	r.out.end(lo)
	for i, n := range bySev {
		if n > 0 {
			r.bySev[i].Add(n)
		}
	}
	if unparsed > 0 {
		r.unparsed.Add(unparsed)
	}
	if truncated > 0 {
		r.truncated.Add(truncated)
	}
}

// counts is a snapshot of the receiver's and the output's counters.
type counts struct {
	bySev                        [8]uint64
	unparsed, dropped, truncated uint64
}

func (r *receiver) counts() counts {
	var c counts
	for i := range r.bySev {
		c.bySev[i] = r.bySev[i].Load()
	}
	c.unparsed = r.unparsed.Load()
	c.dropped = r.out.dropped.Load()
	c.truncated = r.truncated.Load()
	return c
}

// total is every message received, parsed or not.
func (c counts) total() uint64 {
	n := c.unparsed
	for _, v := range c.bySev {
		n += v
	}
	return n
}

// String is the exit summary, one line:
//
//	3 messages: emerg=0 alert=0 crit=0 err=1 warning=1 notice=0 info=1 debug=0 unknown=0 dropped=0 truncated=0
//
// unknown counts datagrams that did not parse (written as Format
// "unknown"), dropped those not written because the output queue was
// full, truncated those longer than the receive buffer.
func (c counts) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d messages:", c.total())
	for i, v := range c.bySev {
		fmt.Fprintf(&b, " %s=%d", severityNames[i], v)
	}
	fmt.Fprintf(&b, " unknown=%d dropped=%d truncated=%d", c.unparsed, c.dropped, c.truncated)
	return b.String()
}

// Metric names, built once: writeMetrics runs on every scrape.
var severitySeries = func() (s [8]string) {
	for i, name := range severityNames {
		s[i] = `syslog_messages_total{severity="` + name + `"}`
	}
	return s
}()

// writeMetrics writes the receiver's counters in Prometheus text format,
// for metrics.Set.RegisterMetricsWriter: the hot path stays on plain
// atomics and a scrape reads them.
func (r *receiver) writeMetrics(w io.Writer) {
	c := r.counts()
	for i, v := range c.bySev {
		metrics.WriteCounterUint64(w, severitySeries[i], v)
	}
	metrics.WriteCounterUint64(w, `syslog_messages_total{severity="unknown"}`, c.unparsed)
	metrics.WriteCounterUint64(w, "syslog_output_dropped_total", c.dropped)
	metrics.WriteCounterUint64(w, "syslog_truncated_total", c.truncated)
}
