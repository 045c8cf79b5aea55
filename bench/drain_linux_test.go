package bench

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"
)

// BenchmarkDrain measures each receiver's capacity alone, as FACTS.md
// does: fill its socket's queue while it is not reading (64-byte
// datagrams, sendmmsg without GSO, whose segments would carry a larger
// truesize), then start it and time how long it takes to empty the queue.
// No sender competes for the CPU while it reads. Every receiver asks for
// the same 4 MiB buffer, which 8000 datagrams fit. gnet is left out: it
// starts reading as it binds, so it would drain while the queue fills.
//
//	go test -run '^$' -bench Drain -benchtime 20x -count 5 ./bench
func BenchmarkDrain(b *testing.B) {
	const n = 8000
	for _, name := range []string{"rawmmsg", "udprx", "stdlib", "xnet"} {
		b.Run(name, func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				total += timeDrain(b, name, RecvConfig{}, n)
			}
			b.ReportMetric(float64(n)*float64(b.N)/total.Seconds(), "datagrams/s")
		})
	}
}

// timeDrain fills a fresh receiver's queue with n datagrams, then times how
// long it takes to empty it. cfg's Listen, Loops and RecvBuffer are set
// here, the same for every receiver.
func timeDrain(b *testing.B, name string, cfg RecvConfig, n int) time.Duration {
	b.StopTimer()
	defer b.StartTimer()
	cfg.Listen, cfg.Loops, cfg.RecvBuffer = "udp4://127.0.0.1:0", 1, 4<<20
	r, err := NewReceiver(name, cfg)
	if err != nil {
		b.Fatal(err)
	}
	st, err := Send(context.Background(), SendConfig{To: r.Addr().(*net.UDPAddr).String(), Size: 64, Count: int64(n)}, nil)
	if err != nil || st.Datagrams != uint64(n) {
		b.Fatalf("filling the queue: sent %d of %d: %v", st.Datagrams, n, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	go r.Run(ctx)
	deadline := start.Add(10 * time.Second)
	for r.Counts().Datagrams < uint64(n) {
		if time.Now().After(deadline) {
			b.Fatalf("%s received %d of %d queued datagrams", name, r.Counts().Datagrams, n)
		}
		time.Sleep(50 * time.Microsecond) // polling a counter while timing
	}
	d := r.Counts().Last.Sub(start)
	r.Stop(context.Background())
	return d
}

// BenchmarkDrainBatch drains the same queue with the udprx receiver at
// several batch sizes (datagrams per recvmmsg), the data behind the
// engine's default.
//
//	go test -run '^$' -bench DrainBatch -benchtime 20x -count 5 ./bench
func BenchmarkDrainBatch(b *testing.B) {
	const n = 8000
	for _, size := range []int{8, 16, 32, 64, 128, 256} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				total += timeDrain(b, "udprx", RecvConfig{BatchSize: size}, n)
			}
			b.ReportMetric(float64(n)*float64(b.N)/total.Seconds(), "datagrams/s")
		})
	}
}
