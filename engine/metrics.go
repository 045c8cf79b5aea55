package engine

import (
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"sync/atomic"

	"github.com/VictoriaMetrics/metrics"

	"github.com/udprx/udprx/batch"
	"github.com/udprx/udprx/errpolicy"
)

// fillBuckets is the number of batch-fill histogram buckets: upper bounds
// 1, 2, 4, ... 1024 (batch.MaxSlots) datagrams per read.
const fillBuckets = 11

// loopMetrics are one loop's counters. The hot path touches only plain
// atomic adds, once per batch; everything else happens on error paths or
// at scrape time.
type loopMetrics struct {
	set       *metrics.Set
	label     string // `loop="3"`
	datagrams *metrics.Counter
	bytes     *metrics.Counter
	batches   *metrics.Counter
	truncated *metrics.Counter
	errors    *metrics.Counter // all classes, for Stats
	restarts  *metrics.Counter
	panics    *metrics.Counter
	discarded *metrics.Counter
	backoff   *metrics.FloatCounter
	sockErrs  atomic.Uint64 // error-queue entries, all kinds, for Stats
	fill      [fillBuckets]atomic.Uint64

	sentDgrams  *metrics.Counter
	sentBytes   *metrics.Counter
	sendCalls   *metrics.Counter
	sendDrops   *metrics.Counter // all reasons, for Stats
	gsoDisabled *metrics.Counter

	appDrops *metrics.Counter // hand-off queue full (Queue, Workers)
}

func newLoopMetrics(set *metrics.Set, loop int) *loopMetrics {
	l := `loop="` + strconv.Itoa(loop) + `"`
	return &loopMetrics{
		set:       set,
		label:     l,
		datagrams: set.NewCounter("udprx_datagrams_total{" + l + "}"),
		bytes:     set.NewCounter("udprx_bytes_total{" + l + "}"),
		batches:   set.NewCounter("udprx_batches_total{" + l + "}"),
		truncated: set.NewCounter("udprx_truncated_total{" + l + "}"),
		errors:    set.NewCounter("udprx_receive_errors_total{" + l + "}"),
		restarts:  set.NewCounter("udprx_loop_restarts_total{" + l + "}"),
		panics:    set.NewCounter("udprx_handler_panics_total{" + l + "}"),
		discarded: set.NewCounter("udprx_discarded_total{" + l + "}"),
		backoff:   set.NewFloatCounter("udprx_backoff_seconds_total{" + l + "}"),

		sentDgrams:  set.NewCounter("udprx_sent_datagrams_total{" + l + "}"),
		sentBytes:   set.NewCounter("udprx_sent_bytes_total{" + l + "}"),
		sendCalls:   set.NewCounter("udprx_send_calls_total{" + l + "}"),
		sendDrops:   set.NewCounter("udprx_send_dropped_total{" + l + "}"),
		gsoDisabled: set.NewCounter("udprx_gso_disabled_total{" + l + "}"),

		appDrops: set.NewCounter("udprx_app_drops_total{" + l + "}"),
	}
}

// sent records one send call and the messages it sent.
func (m *loopMetrics) sent(msgs []batch.Message) {
	m.sendCalls.Inc()
	if len(msgs) == 0 {
		return
	}
	n := 0
	for i := range msgs {
		n += len(msgs[i].Payload)
	}
	m.sentDgrams.Add(len(msgs))
	m.sentBytes.Add(n)
}

// sendDrop counts n messages dropped for reason (a send table's Label or
// one of the engine's own). It allocates (the series name), which is fine
// off the hot path.
func (m *loopMetrics) sendDrop(reason string, n int) {
	if n <= 0 {
		return
	}
	if reason == "" {
		reason = "unknown"
	}
	m.sendDrops.Add(n)
	m.set.GetOrCreateCounter(fmt.Sprintf("udprx_send_drops_total{%s,reason=%q}", m.label, reason)).Add(n)
}

// batch records one non-empty read of n datagrams.
func (m *loopMetrics) batch(n, nbytes, truncated int) {
	m.datagrams.Add(n)
	m.bytes.Add(nbytes)
	m.batches.Inc()
	if truncated > 0 {
		m.truncated.Add(truncated)
	}
	m.fill[min(bits.Len(uint(n-1)), fillBuckets-1)].Add(1)
}

// error counts one classified error under its class and errno labels.
// It allocates (the series name), which is fine off the hot path.
func (m *loopMetrics) error(d errpolicy.Decision) {
	m.errors.Inc()
	m.set.GetOrCreateCounter(fmt.Sprintf("udprx_errors_total{%s,class=%q,errno=%q}", m.label, d.Verdict, d.Name)).Inc()
}

// socketError counts one entry of the socket's error queue under its
// errno and origin labels. It allocates (the series name), which is fine
// off the hot path.
func (m *loopMetrics) socketError(errno, origin string) {
	m.sockErrs.Add(1)
	m.set.GetOrCreateCounter(fmt.Sprintf("udprx_socket_errors_total{%s,errno=%q,origin=%q}", m.label, errno, origin)).Inc()
}

// writeSocket writes what the kernel says of the loop's socket, read at
// scrape time (SO_MEMINFO, where the platform has it): drops, kept across
// re-opens, and the receive queue's fill and limit; and its
// SO_INCOMING_CPU where set (LoopStats.IncomingCPU).
func (l *loop) writeSocket(w io.Writer) {
	fmt.Fprintf(w, "udprx_kernel_drops_total{%s} %d\n", l.m.label, l.kernelDrops())
	if q, ok := l.queueInfo(); ok {
		fmt.Fprintf(w, "udprx_socket_queue_bytes{%s} %d\n", l.m.label, q.Queued)
		fmt.Fprintf(w, "udprx_socket_queue_limit_bytes{%s} %d\n", l.m.label, q.Limit)
	}
	gso := 0
	if l.info().GSO {
		gso = 1
	}
	fmt.Fprintf(w, "udprx_gso_enabled{%s} %d\n", l.m.label, gso)
	fmt.Fprintf(w, "udprx_send_queue_depth{%s} %d\n", l.m.label, l.queued())
	if cpu := l.incomingCPU(); cpu >= 0 {
		fmt.Fprintf(w, "udprx_socket_incoming_cpu{%s} %d\n", l.m.label, cpu)
	}
}

// writeFill writes the batch-fill histogram in Prometheus' cumulative
// bucket form: the count is the batch counter, the sum the datagram one.
func (m *loopMetrics) writeFill(w io.Writer) {
	var cum uint64
	for i := range fillBuckets {
		cum += m.fill[i].Load()
		fmt.Fprintf(w, "udprx_batch_fill_bucket{%s,le=\"%d\"} %d\n", m.label, 1<<i, cum)
	}
	fmt.Fprintf(w, "udprx_batch_fill_bucket{%s,le=\"+Inf\"} %d\n", m.label, cum)
	fmt.Fprintf(w, "udprx_batch_fill_sum{%s} %d\n", m.label, m.datagrams.Get())
	fmt.Fprintf(w, "udprx_batch_fill_count{%s} %d\n", m.label, cum)
}
