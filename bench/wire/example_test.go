package wire_test

import (
	"fmt"

	"github.com/udprx/udprx/bench/wire"
)

// A Tracker reads the headers of received payloads: here flow 0's
// datagrams 0, 1, 3 and 3 again, each 40 µs after it was sent.
func ExampleTracker() {
	tr := wire.NewTracker()
	p := make([]byte, 64)
	for _, seq := range []uint64{0, 1, 3, 3} {
		sent := int64(seq) * 1e6
		wire.PutHeader(p, wire.Header{Flow: 0, Seq: seq, SentUnixNano: sent})
		tr.Observe(p, sent+40_000)
	}
	tr.Observe([]byte("not udpbench"), 0)
	s := tr.Summary()
	// Percentiles are the histogram's, to three significant digits (the
	// top of the bucket); Max is exact.
	fmt.Printf("%d datagrams, %d foreign; lost %d of %d, %d duplicate; p50 %v, max %v, jitter %v\n",
		s.Datagrams, s.Foreign, s.Lost, s.Expected, s.Duplicates, s.P50, s.Max, s.Jitter)
	// Output: 4 datagrams, 1 foreign; lost 1 of 4, 1 duplicate; p50 40.031µs, max 40µs, jitter 0s
}
