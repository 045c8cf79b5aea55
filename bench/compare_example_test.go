package bench_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/udprx/udprx/bench"
)

// Compare udprx with the standard library's loop at two sizes, the sender
// being a udpbench binary, and print the table and a chart.
func ExampleCompare() {
	rep, err := bench.Compare(context.Background(), bench.CompareConfig{
		TrialSetup: bench.TrialSetup{SenderCommand: []string{"/usr/local/bin/udpbench", "send"}},
		Receivers:  []string{"udprx", "stdlib"},
		Sizes:      []int{64, 1400},
		Duration:   3 * time.Second,
	}, func(p bench.Progress) {
		if p.Done != nil {
			log.Printf("%s %d B: %.0f datagrams/s", p.Receiver, p.Size, p.Done.RatePPS)
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	rep.WriteText(os.Stdout)
	if err := bench.SaveChart("compare.svg", rep); err != nil {
		log.Fatal(err)
	}
}

// A Tracker reads the headers of received payloads: here flow 0's
// datagrams 0, 1, 3 and 3 again, each 40 µs after it was sent.
func ExampleTracker() {
	tr := bench.NewTracker()
	p := make([]byte, 64)
	for _, seq := range []uint64{0, 1, 3, 3} {
		sent := int64(seq) * 1e6
		bench.PutHeader(p, bench.Header{Flow: 0, Seq: seq, SentUnixNano: sent})
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
