package main

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/udprx/udprx/engine"
)

// receiver is the engine.Handler. It parses each datagram on the loop's
// own goroutine (a few hundred nanoseconds: no I/O, one allocation),
// counts it, and hands it to the output without waiting (see output). With
// several loops HandleBatch runs concurrently, once per loop: the counts
// are atomics and the output queue is a channel of batches, so nothing
// here locks.
type receiver struct {
	out       *output
	now       func() time.Time
	bySev     [8]atomic.Uint64 // messages parsed, by severity
	unparsed  atomic.Uint64    // datagrams Parse rejected, kept as FormatUnknown
	truncated atomic.Uint64    // datagrams longer than the engine's DatagramSize
}

// HandleBatch implements engine.Handler.
func (r *receiver) HandleBatch(_ *engine.Writer, b engine.Batch) {
	now := r.now() // one clock read per batch, not per datagram
	recs := r.out.batch(b.Len())
	for _, d := range b.All() {
		// d.Payload is the engine's buffer, overwritten by the next read
		// once HandleBatch returns, and the record outlives this call on
		// the output queue: copy. string() is that copy, one allocation,
		// and Parse returns substrings of it only, so the record owns
		// everything it refers to.
		m, err := Parse(string(d.Payload), now)
		if err != nil {
			r.unparsed.Add(1)
		} else {
			r.bySev[m.Severity].Add(1)
		}
		if d.Truncated() {
			r.truncated.Add(1) // parsed all the same: the start is there
		}
		recs = append(recs, record{Message: m, src: d.Src, received: now, err: err})
	}
	r.out.send(recs)
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
