package main

import (
	"context"
	"io"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/udprx/udprx/batch"
	"github.com/udprx/udprx/engine"
)

// BenchmarkHandleBatch is the example's own cost per message, what it
// spends beyond the engine's reads: HandleBatch on batches of loggen's
// default messages with the writer goroutine writing to io.Discard. Run
// with -cpu 1, as the benchmark scripts run the example: the writer then
// shares the loop's P, and its hand-overs are counted too.
func BenchmarkHandleBatch(b *testing.B) {
	for _, n := range []int{4, 64} { // 4: a wake-up per few messages (20k/s); 64: a full batch
		b.Run(map[int]string{4: "batch4", 64: "batch64"}[n], func(b *testing.B) {
			bt, err := batch.New(n, 512)
			if err != nil {
				b.Fatal(err)
			}
			payloads := make([]string, n)
			for i := range payloads {
				payloads[i] = loggenDefault
			}
			fill(&testing.T{}, bt, netip.MustParseAddrPort("127.0.0.1:40000"), false, payloads...)
			o := newOutput(io.Discard, false)
			r := &receiver{out: o, now: time.Now}
			go o.run()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				r.HandleBatch(nil, engine.BatchOf(bt))
				// The loop waits for its next read here: the writer
				// may run, as it does on the loop's P when the loop
				// parks in the poller.
				runtime.Gosched()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := o.close(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/msg")
			if d := o.dropped.Load(); d > 0 {
				b.Errorf("%d messages dropped: the writer did not keep up, so it was not measured", d)
			}
		})
	}
}
