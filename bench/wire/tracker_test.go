package wire

import (
	"math"
	"testing"
	"time"
)

// payloadFor returns a 64-byte payload with a header.
func payloadFor(flow uint32, seq uint64, sent int64) []byte {
	p := make([]byte, 64)
	PutHeader(p, Header{Flow: flow, Seq: seq, SentUnixNano: sent})
	return p
}

// TestTrackerSequences feeds crafted sequence numbers and checks loss,
// duplicates, reordering and late arrivals exactly.
func TestTrackerSequences(t *testing.T) {
	for _, tc := range []struct {
		name string
		seqs []uint64
		want LatencySummary // only the sequence fields are compared
	}{
		{"in order", []uint64{0, 1, 2, 3}, LatencySummary{Expected: 4}},
		{"gap", []uint64{0, 1, 4, 5}, LatencySummary{Expected: 6, Lost: 2}},
		{"reordered fills the gap", []uint64{0, 2, 1, 3}, LatencySummary{Expected: 4, Reordered: 1}},
		{"duplicate of the latest", []uint64{0, 1, 1, 2}, LatencySummary{Expected: 3, Duplicates: 1}},
		{"duplicate of an older one", []uint64{0, 1, 2, 3, 1}, LatencySummary{Expected: 4, Duplicates: 1}},
		{"reordered then duplicated", []uint64{0, 1, 2, 4, 3, 3, 7}, LatencySummary{Expected: 8, Lost: 2, Reordered: 1, Duplicates: 1}},
		{"starts mid-stream", []uint64{100, 101, 103}, LatencySummary{Expected: 4, Lost: 1}},
		{"below the first seen, within the window", []uint64{10, 8, 11}, LatencySummary{Expected: 4, Lost: 1, Reordered: 1}},
		{"jump beyond the window", []uint64{0, 5000, 1}, LatencySummary{Expected: 5001, Lost: 4998, Late: 1}},
		{"just inside the window", []uint64{0, seqWindow - 1, 0, 1}, LatencySummary{Expected: seqWindow, Lost: seqWindow - 3, Duplicates: 1, Reordered: 1}},
		{"just outside the window", []uint64{0, seqWindow, 0}, LatencySummary{Expected: seqWindow + 1, Lost: seqWindow - 2, Late: 1}},
		{"window words reused", []uint64{0, 64, 128, 64 * seqWindowWords, 64*seqWindowWords + 1, 128}, LatencySummary{Expected: 64*seqWindowWords + 2, Lost: 64*seqWindowWords + 2 - 5, Duplicates: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTracker()
			for _, s := range tc.seqs {
				tr.Observe(payloadFor(3, s, 1000), 2000)
			}
			got := tr.Summary()
			tc.want.Datagrams = uint64(len(tc.seqs))
			tc.want.Flows = 1
			if got.Datagrams != tc.want.Datagrams || got.Flows != tc.want.Flows ||
				got.Expected != tc.want.Expected || got.Lost != tc.want.Lost ||
				got.Duplicates != tc.want.Duplicates || got.Reordered != tc.want.Reordered ||
				got.Late != tc.want.Late {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			if want := 100 * float64(tc.want.Lost) / float64(tc.want.Expected); math.Abs(got.LossPercent-want) > 1e-9 {
				t.Errorf("LossPercent = %v, want %v", got.LossPercent, want)
			}
		})
	}
}

// TestTrackerFlows checks that flows are counted apart, that payloads
// without a header are foreign, and that flow ids past MaxFlows are not
// sequence-tracked.
func TestTrackerFlows(t *testing.T) {
	tr := NewTracker()
	tr.Observe(payloadFor(0, 0, 0), 10)
	tr.Observe(payloadFor(1, 0, 0), 10)
	tr.Observe(payloadFor(0, 2, 0), 10) // flow 0 lost 1
	tr.Observe(payloadFor(1, 1, 0), 10)
	tr.Observe(payloadFor(MaxFlows, 7, 0), 10)
	tr.Observe(make([]byte, 64), 10)        // zeros: no magic
	tr.Observe([]byte("hello"), 10)         // too short
	tr.Observe(payloadFor(0, 1, 0)[:23], 9) // header cut short
	s := tr.Summary()
	if s.Datagrams != 5 || s.Foreign != 3 || s.Flows != 2 || s.Expected != 5 || s.Lost != 1 || s.Untracked != 1 || s.LatencySamples != 5 {
		t.Errorf("summary %+v", s)
	}
}

// TestTrackerJitter checks the RFC 3550 estimator on a constructed
// sequence: transit times 100, 110, 100, 130 ns give differences 10, 10,
// 30, so J = 10/16, then + (10 - J)/16, then + (30 - J)/16.
func TestTrackerJitter(t *testing.T) {
	tr := NewTracker()
	for i, transit := range []int64{100, 110, 100, 130} {
		sent := int64(i) * 1_000_000
		tr.Observe(payloadFor(0, uint64(i), sent), sent+transit)
	}
	j := 0.0
	for _, d := range []float64{10, 10, 30} {
		j += (d - j) / 16
	}
	s := tr.Summary()
	if s.Jitter != time.Duration(j) {
		t.Errorf("Jitter = %v, want %v (%.4f ns)", s.Jitter, time.Duration(j), j)
	}
	if s.Max != 130 || s.P50 != 100 || s.LatencySamples != 4 {
		t.Errorf("latency: max %v p50 %v samples %d, want 130ns 100ns 4", s.Max, s.P50, s.LatencySamples)
	}

	// Two flows: the summary's jitter is their mean; a flow of one
	// datagram has none and is left out.
	tr = NewTracker()
	tr.Observe(payloadFor(0, 0, 0), 100)
	tr.Observe(payloadFor(0, 1, 0), 132) // flow 0: J = 32/16 = 2
	tr.Observe(payloadFor(1, 0, 0), 100)
	tr.Observe(payloadFor(1, 1, 0), 164) // flow 1: J = 64/16 = 4
	tr.Observe(payloadFor(2, 0, 0), 100) // flow 2: no jitter
	if s := tr.Summary(); s.Jitter != 3 {
		t.Errorf("two flows: Jitter = %v, want 3ns", s.Jitter)
	}
}

// TestTrackerLatency checks the percentiles on a known distribution and
// the counting of latencies a shared clock cannot give.
func TestTrackerLatency(t *testing.T) {
	tr := NewTracker()
	for i := range 1000 {
		// 1, 2, ..., 1000 microseconds.
		tr.Observe(payloadFor(0, uint64(i), 0), int64(i+1)*1000)
	}
	tr.Observe(payloadFor(0, 1000, 5000), 0)                          // negative
	tr.Observe(payloadFor(0, 1001, 0), int64(MaxTrackedLatency)+1000) // too large
	s := tr.Summary()
	near := func(got time.Duration, want time.Duration) bool {
		return math.Abs(float64(got-want)) <= float64(want)/1000+1
	}
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{
		{"p50", s.P50, 500 * time.Microsecond},
		{"p90", s.P90, 900 * time.Microsecond},
		{"p99", s.P99, 990 * time.Microsecond},
		{"p99.9", s.P999, 999 * time.Microsecond},
		{"max", s.Max, 1000 * time.Microsecond},
	} {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if s.Max != time.Millisecond {
		t.Errorf("Max = %v, want exactly 1ms", s.Max)
	}
	if s.ClockSkewed != 2 || s.LatencySamples != 1000 || s.Datagrams != 1002 {
		t.Errorf("ClockSkewed %d, samples %d, datagrams %d: want 2, 1000, 1002", s.ClockSkewed, s.LatencySamples, s.Datagrams)
	}
}

// TestTrackerMerge checks that merging per-loop trackers adds up.
func TestTrackerMerge(t *testing.T) {
	a, b := NewTracker(), NewTracker()
	for i := range 10 {
		a.Observe(payloadFor(0, uint64(i), 0), 1000)
	}
	for _, s := range []uint64{0, 1, 3, 3} {
		b.Observe(payloadFor(0, s, 0), 3000)
	}
	b.Observe([]byte{1}, 0)
	a.Merge(b)
	s := a.Summary()
	if s.Datagrams != 14 || s.Foreign != 1 || s.Flows != 2 || s.Expected != 14 || s.Lost != 1 || s.Duplicates != 1 || s.LatencySamples != 14 || s.Max != 3000 {
		t.Errorf("merged summary %+v", s)
	}
}

// TestTrackerObserveAllocs guards the per-datagram path: no allocation once
// the flow has been seen.
func TestTrackerObserveAllocs(t *testing.T) {
	tr := NewTracker()
	p := payloadFor(5, 0, 0)
	foreign := make([]byte, 64)
	tr.Observe(p, 1) // the flow's first datagram grows the table
	seq := uint64(1)
	allocs := testing.AllocsPerRun(1000, func() {
		PutSeqTime(p, seq, int64(seq))
		seq += 1 + seq%3 // gaps, so the window advances by words too
		tr.Observe(p, int64(seq)+12345)
		tr.Observe(foreign, 0)
	})
	if allocs != 0 {
		t.Errorf("Observe allocates %v times per call, want 0", allocs)
	}
}

func BenchmarkTrackerObserve(b *testing.B) {
	tr := NewTracker()
	p := payloadFor(0, 0, 0)
	b.ReportAllocs()
	for i := range b.N {
		PutSeqTime(p, uint64(i), int64(i))
		tr.Observe(p, int64(i)+50_000)
	}
}

// FuzzTrackerObserve feeds arbitrary payloads and checks the summary's
// invariants.
func FuzzTrackerObserve(f *testing.F) {
	f.Add(payloadFor(0, 0, 0), int64(10), uint8(1))
	f.Add(payloadFor(4095, math.MaxUint64, math.MinInt64), int64(math.MaxInt64), uint8(3))
	f.Add([]byte("udpb"), int64(0), uint8(0))
	f.Fuzz(func(t *testing.T, payload []byte, now int64, repeat uint8) {
		tr := NewTracker()
		n := int(repeat%4) + 1
		for range n {
			tr.Observe(payload, now)
		}
		// A second flow id derived from the payload, to cross flows.
		if len(payload) >= HeaderSize {
			q := append([]byte(nil), payload...)
			q[7] ^= 1
			tr.Observe(q, now)
			n++
		}
		s := tr.Summary()
		if s.Datagrams+s.Foreign != uint64(n) {
			t.Fatalf("datagrams %d + foreign %d != %d observed", s.Datagrams, s.Foreign, n)
		}
		if s.Lost > s.Expected || s.LatencySamples+s.ClockSkewed != s.Datagrams {
			t.Fatalf("summary %+v inconsistent", s)
		}
		if s.LossPercent < 0 || s.LossPercent > 100 || s.Jitter < 0 {
			t.Fatalf("summary %+v out of range", s)
		}
	})
}
