package bench_test

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/udprx/udprx/bench"
	"github.com/udprx/udprx/bench/report"
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
	if err := report.SaveChart("compare.svg", rep); err != nil {
		log.Fatal(err)
	}
}
