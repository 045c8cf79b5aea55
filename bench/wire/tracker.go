package wire

import (
	"math"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Tracker reads the udpbench headers of received payloads and keeps, per
// flow, what a receiver can learn from them: loss (gaps in the sequence),
// duplicates, reordering, jitter, and one-way latency (receive time minus
// the sender's SentUnixNano, meaningful when both share a clock: the same
// host). Payloads without a header (foreign traffic, or udpbench payloads
// shorter than HeaderSize) are only counted.
//
// Observe allocates nothing per datagram: the latency histogram is made by
// NewTracker, and a flow's state once, when the flow is first seen. A
// Tracker is for one goroutine; a receiver with several reading loops keeps
// one per loop and combines them with Merge. Flows are told apart by the
// header's Flow alone, so two udpbench senders (both have a flow 0) need a
// Tracker each, keyed by source address.
type Tracker struct {
	flows []flowTrack // by flow id, grown when a higher id is first seen

	hist       *hdrhistogram.Histogram // one-way latency in nanoseconds
	maxLatency int64                   // exact, unlike the histogram's

	datagrams  uint64 // payloads with a header
	foreign    uint64 // payloads without one
	untracked  uint64 // headers with Flow >= MaxFlows: latency only
	negative   uint64 // sent "after" received: no shared clock
	overflow   uint64 // latency above MaxTrackedLatency
	duplicates uint64
	reordered  uint64

	merged flowTotals // flows of trackers merged in
}

// MaxTrackedLatency is the largest one-way latency a Tracker records in its
// histogram; larger ones (clocks that disagree) are counted as out of range.
const MaxTrackedLatency = time.Hour

// seqWindowWords is the size of a flow's duplicate-detection bitmap in
// 64-bit words; seqWindow is how far behind the highest sequence number a
// datagram can arrive and still be told apart from a duplicate. The bitmap
// is a ring indexed by sequence number, cleared a word at a time as the
// highest number advances (the anti-replay window of RFC 6479, as
// wireguard-go's replay filter), so that every word but the one being
// refilled is valid: seqWindow is one word short of the ring.
const (
	seqWindowWords = 16
	seqWindow      = (seqWindowWords - 1) * 64
)

// flowTrack is one flow's sequence and jitter state.
type flowTrack struct {
	started     bool
	hasTransit  bool   // prevTransit is set
	jittered    bool   // jitter has had at least one difference
	base, top   uint64 // lowest and highest sequence number counted
	unique      uint64 // distinct sequence numbers seen within the window
	late        uint64 // arrived more than seqWindow behind top
	prevTransit int64  // receive minus send time of the previous datagram
	jitter      float64
	window      [seqWindowWords]uint64
}

// flowTotals sums the per-flow figures a Summary reports.
type flowTotals struct {
	flows                  int
	expected, unique, late uint64
	jitterSum              float64 // nanoseconds, over flows with a jitter
	jitterFlows            int
}

func (a *flowTotals) add(b flowTotals) {
	a.flows += b.flows
	a.expected += b.expected
	a.unique += b.unique
	a.late += b.late
	a.jitterSum += b.jitterSum
	a.jitterFlows += b.jitterFlows
}

// NewTracker returns an empty Tracker. It allocates the latency histogram
// (about 250 KiB: 1 ns to MaxTrackedLatency at three significant digits).
func NewTracker() *Tracker {
	return &Tracker{hist: hdrhistogram.New(1, int64(MaxTrackedLatency), 3)}
}

// Observe accounts for one received payload, received at now (Unix
// nanoseconds, on the clock the sender's SentUnixNano came from).
func (t *Tracker) Observe(payload []byte, now int64) {
	h, ok := ParseHeader(payload)
	if !ok {
		t.foreign++
		return
	}
	t.datagrams++
	transit := now - h.SentUnixNano
	switch {
	case transit < 0:
		t.negative++
	case transit > int64(MaxTrackedLatency):
		t.overflow++
	default:
		// In range, so RecordValue cannot fail (and does not allocate).
		_ = t.hist.RecordValue(transit)
		t.maxLatency = max(t.maxLatency, transit)
	}
	if h.Flow >= MaxFlows {
		t.untracked++
		return
	}
	f := t.flow(h.Flow)
	switch f.observe(h.Seq) {
	case seqDuplicate:
		t.duplicates++
	case seqReordered:
		t.reordered++
	}
	// RFC 3550, section 6.4.1 and appendix A.8 (iperf3 does the same):
	// D is the difference of successive transit times, in arrival order,
	// and J += (|D| - J)/16.
	if f.hasTransit {
		d := float64(transit - f.prevTransit)
		f.jitter += (math.Abs(d) - f.jitter) / 16
		f.jittered = true
	}
	f.prevTransit, f.hasTransit = transit, true
}

// flow returns the state of flow id (< MaxFlows), growing t.flows if this is
// a new highest id: the only allocation Observe can make.
func (t *Tracker) flow(id uint32) *flowTrack {
	if int(id) >= len(t.flows) {
		n := min(max(int(id)+1, 2*len(t.flows), 4), MaxFlows)
		grown := make([]flowTrack, n)
		copy(grown, t.flows)
		t.flows = grown
	}
	return &t.flows[id]
}

// seqVerdict is what a sequence number tells about its datagram.
type seqVerdict int

const (
	seqInOrder   seqVerdict = iota // the highest so far (possibly after a gap)
	seqReordered                   // fills a gap behind the highest
	seqDuplicate                   // seen before
	seqTooLate                     // more than seqWindow behind: cannot tell
)

// observe records sequence number s.
func (f *flowTrack) observe(s uint64) seqVerdict {
	if !f.started {
		f.started, f.base, f.top, f.unique = true, s, s, 1
		f.window[(s/64)%seqWindowWords] |= 1 << (s % 64)
		return seqInOrder
	}
	if s > f.top {
		// Clear the words between the old top's and s's, which now stand
		// for sequence numbers not seen yet.
		cur, next := f.top/64, s/64
		if next-cur >= seqWindowWords {
			f.window = [seqWindowWords]uint64{}
		} else {
			for w := cur + 1; w <= next; w++ {
				f.window[w%seqWindowWords] = 0
			}
		}
		f.top = s
		f.unique++
		f.window[(s/64)%seqWindowWords] |= 1 << (s % 64)
		return seqInOrder
	}
	if f.top-s >= seqWindow {
		f.late++
		return seqTooLate
	}
	word, bit := &f.window[(s/64)%seqWindowWords], uint64(1)<<(s%64)
	if *word&bit != 0 {
		return seqDuplicate
	}
	*word |= bit
	f.unique++
	f.base = min(f.base, s)
	return seqReordered
}

// totals sums t's own flows.
func (t *Tracker) totals() flowTotals {
	var ft flowTotals
	for i := range t.flows {
		f := &t.flows[i]
		if !f.started {
			continue
		}
		ft.flows++
		ft.expected += f.top - f.base + 1
		ft.unique += f.unique
		ft.late += f.late
		if f.jittered {
			ft.jitterSum += f.jitter
			ft.jitterFlows++
		}
	}
	return ft
}

// Merge adds what o has observed to t, for a receiver that keeps one
// Tracker per reading loop. o's flows stay distinct from t's (with
// SO_REUSEPORT a flow always reaches the same socket), so they only add to
// the Summary; later Observe calls on t do not continue them. o is not
// changed.
func (t *Tracker) Merge(o *Tracker) {
	t.hist.Merge(o.hist)
	t.maxLatency = max(t.maxLatency, o.maxLatency)
	t.datagrams += o.datagrams
	t.foreign += o.foreign
	t.untracked += o.untracked
	t.negative += o.negative
	t.overflow += o.overflow
	t.duplicates += o.duplicates
	t.reordered += o.reordered
	t.merged.add(o.totals())
	t.merged.add(o.merged)
}

// LatencySummary is what a Tracker has learnt. Durations are in
// nanoseconds in JSON.
type LatencySummary struct {
	// Datagrams is the number of payloads with a udpbench header; Foreign
	// the number without one (not udpbench's, or shorter than HeaderSize).
	Datagrams uint64 `json:"datagrams"`
	Foreign   uint64 `json:"foreign"`
	// Flows is the number of flows seen.
	Flows int `json:"flows"`
	// Expected is, summed over flows, the span of sequence numbers seen
	// (highest − lowest + 1): the datagrams the sender sent while this
	// receiver listened, as far as it can tell.
	Expected uint64 `json:"expected"`
	// Lost is Expected minus the distinct sequence numbers received (a
	// datagram arriving later than the duplicate window counts as
	// received): gaps that were never filled. LossPercent is Lost/Expected.
	Lost        uint64  `json:"lost"`
	LossPercent float64 `json:"loss_percent"`
	// Duplicates are sequence numbers seen again; Reordered are datagrams
	// that arrived after a higher sequence number of their flow; Late are
	// those that arrived so late (more than 960 behind) that they cannot be
	// told from duplicates: counted as received.
	Duplicates uint64 `json:"duplicates"`
	Reordered  uint64 `json:"reordered"`
	Late       uint64 `json:"late"`
	// Untracked counts headers with a flow id of MaxFlows or more: their
	// latency is recorded, their sequence numbers are not.
	Untracked uint64 `json:"untracked"`
	// Jitter is the RFC 3550 interarrival jitter (smoothed with gain 1/16),
	// averaged over the flows that have one, as iperf3 reports it.
	Jitter time.Duration `json:"jitter_ns"`
	// One-way latency percentiles and maximum, over LatencySamples
	// datagrams (from an HDR histogram, accurate to three significant
	// digits; Max is exact).
	LatencySamples uint64        `json:"latency_samples"`
	P50            time.Duration `json:"p50_ns"`
	P90            time.Duration `json:"p90_ns"`
	P99            time.Duration `json:"p99_ns"`
	P999           time.Duration `json:"p99_9_ns"`
	Max            time.Duration `json:"max_ns"`
	// ClockSkewed counts datagrams whose latency was negative or above
	// MaxTrackedLatency: sender and receiver do not share a clock.
	ClockSkewed uint64 `json:"clock_skewed"`
}

// Summary returns what t has observed so far. It is not cheap (it walks
// the histogram and every flow): call it for reports, not per datagram.
func (t *Tracker) Summary() LatencySummary {
	ft := t.totals()
	ft.add(t.merged)
	s := LatencySummary{
		Datagrams:      t.datagrams,
		Foreign:        t.foreign,
		Flows:          ft.flows,
		Expected:       ft.expected,
		Duplicates:     t.duplicates,
		Reordered:      t.reordered,
		Late:           ft.late,
		Untracked:      t.untracked,
		LatencySamples: uint64(t.hist.TotalCount()),
		ClockSkewed:    t.negative + t.overflow,
	}
	if got := ft.unique + ft.late; got < ft.expected {
		s.Lost = ft.expected - got
	}
	if s.Expected > 0 {
		s.LossPercent = 100 * float64(s.Lost) / float64(s.Expected)
	}
	if ft.jitterFlows > 0 {
		s.Jitter = time.Duration(ft.jitterSum / float64(ft.jitterFlows))
	}
	if s.LatencySamples > 0 {
		s.P50 = time.Duration(t.hist.ValueAtQuantile(50))
		s.P90 = time.Duration(t.hist.ValueAtQuantile(90))
		s.P99 = time.Duration(t.hist.ValueAtQuantile(99))
		s.P999 = time.Duration(t.hist.ValueAtQuantile(99.9))
		s.Max = time.Duration(t.maxLatency)
	}
	return s
}
