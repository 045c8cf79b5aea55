package bench

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/udprx/udprx/bench/load"
	"github.com/udprx/udprx/bench/peers"
	"github.com/udprx/udprx/bench/report"
)

// The drain benchmarks measure a receiver's capacity alone, as docs/kernel.md
// does: fill its socket's queue while it is not reading (64-byte
// datagrams, sendmmsg without GSO, whose segments would carry a larger
// truesize), then start it and time how long it takes to empty the queue.
// No sender competes for the CPU while it reads. Every receiver asks for
// the same 4 MiB buffer, which drainN datagrams fit.
//
// Each benchmark compares variants (receivers, or settings of one), and
// this machine drifts by more than the differences measured: so every
// iteration is a round that drains once with each variant, starting one
// variant further along each round, and each variant's median over the
// rounds is reported, as "<variant>-datagrams/s". Ratios between variants
// are taken round by round (two drains a few milliseconds apart see the
// same machine) and reported as their medians.
const drainN = 8000

// drainVariant is one thing a drain benchmark measures.
type drainVariant struct {
	name     string // the metric's prefix
	receiver string // peers.NewReceiver name
	cfg      peers.RecvConfig
}

// drainRounds runs b.N rounds over variants and reports each variant's
// median rate, and for each pair in ratios ({a, b}: a's rate over b's) the
// median of the per-round ratios, as "a/b".
func drainRounds(b *testing.B, variants []drainVariant, ratios [][2]string) {
	rates := map[string][]float64{}
	round := 0
	for b.Loop() {
		for i := range variants {
			v := variants[(i+round)%len(variants)]
			d := timeDrain(b, v.receiver, v.cfg, drainN)
			rates[v.name] = append(rates[v.name], drainN/d.Seconds())
		}
		round++
	}
	for _, v := range variants {
		b.ReportMetric(report.StatOf(rates[v.name]).Median, v.name+"-datagrams/s")
	}
	for _, r := range ratios {
		var q []float64
		for i := range rates[r[0]] {
			q = append(q, rates[r[0]][i]/rates[r[1]][i])
		}
		b.ReportMetric(report.StatOf(q).Median, r[0]+"/"+r[1])
	}
}

// BenchmarkDrain compares the receivers' capacity: udprx against the
// plainest recvmmsg loop (rawmmsg), x/net's ReadBatch, the standard
// library and gnet/v2 (which reads nothing before Run, like the others).
//
//	go test -run '^$' -bench 'Drain$' -benchtime 20x -count 5 ./bench
func BenchmarkDrain(b *testing.B) {
	var vs []drainVariant
	for _, name := range []string{"udprx", "rawmmsg", "xnet", "stdlib", "gnet"} {
		vs = append(vs, drainVariant{name: name, receiver: name})
	}
	drainRounds(b, vs, [][2]string{{"udprx", "rawmmsg"}, {"udprx", "xnet"}, {"udprx", "stdlib"}, {"udprx", "gnet"}})
}

// timeDrain fills a fresh receiver's queue with n datagrams, then times how
// long it takes to empty it. cfg's Listen, Loops and RecvBuffer are set
// here, the same for every receiver.
func timeDrain(b *testing.B, name string, cfg peers.RecvConfig, n int) time.Duration {
	b.StopTimer()
	defer b.StartTimer()
	cfg.Listen, cfg.Loops, cfg.RecvBuffer = "udp4://127.0.0.1:0", 1, 4<<20
	r, err := peers.NewReceiver(name, cfg)
	if err != nil {
		b.Fatal(err)
	}
	st, err := load.Send(context.Background(), load.SendConfig{To: r.Addr().(*net.UDPAddr).String(), Size: 64, Count: int64(n)}, nil)
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

// BenchmarkDrainBudget drains with the udprx receiver at several read
// budgets (batches read per wake-up before the loop goes back to
// epoll_wait), the data behind the engine's default: a small budget costs
// an epoll_wait per few batches; a large one keeps the loop from its
// poller (a stop request, a hang-up) for longer under a flood.
//
//	go test -run '^$' -bench DrainBudget -benchtime 20x -count 5 ./bench
func BenchmarkDrainBudget(b *testing.B) {
	var vs []drainVariant
	for _, budget := range []int{1, 4, 16, 64, 1024} {
		vs = append(vs, drainVariant{name: fmt.Sprintf("budget%d", budget), receiver: "udprx", cfg: peers.RecvConfig{ReadBudget: budget}})
	}
	drainRounds(b, vs, [][2]string{{"budget1", "budget16"}, {"budget4", "budget16"}, {"budget1024", "budget16"}})
}

// BenchmarkDrainBatch drains with the udprx receiver at several batch
// sizes (datagrams per recvmmsg), the data behind the engine's default.
//
//	go test -run '^$' -bench DrainBatch -benchtime 20x -count 5 ./bench
func BenchmarkDrainBatch(b *testing.B) {
	var vs []drainVariant
	for _, size := range []int{8, 16, 32, 64, 128, 256} {
		vs = append(vs, drainVariant{name: fmt.Sprintf("batch%d", size), receiver: "udprx", cfg: peers.RecvConfig{BatchSize: size}})
	}
	drainRounds(b, vs, [][2]string{{"batch16", "batch64"}, {"batch32", "batch64"}, {"batch128", "batch64"}})
}
