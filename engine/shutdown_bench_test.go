package engine

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"
)

// BenchmarkShutdown times a graceful stop with 1 and 4 loops, with an
// empty socket and with datagrams queued by the kernel (sent after New
// bound the sockets, before Run), which the stop must deliver first.
func BenchmarkShutdown(b *testing.B) {
	for _, loops := range []int{1, 4} {
		for _, queued := range []int{0, 20000} {
			b.Run(fmt.Sprintf("loops=%d/queued=%d", loops, queued), func(b *testing.B) {
				var total time.Duration
				for b.Loop() {
					total += timeShutdown(b, loops, queued)
				}
				b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs/stop")
			})
		}
	}
}

func timeShutdown(b *testing.B, loops, queued int) time.Duration {
	started := make(chan int, loops)
	e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: loops, RecvBuffer: 32 << 20,
		started: func(i int) { started <- i }, Handler: HandlerFunc(func(*Writer, Batch) {})})
	if err != nil {
		b.Fatal(err)
	}
	var conns []*net.UDPConn
	for range 16 { // flows, so every loop's socket gets a share
		c, err := net.DialUDP("udp", nil, e.Addr().(*net.UDPAddr))
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
	}
	p := make([]byte, 64)
	for i := range queued {
		conns[i%len(conns)].Write(p)
	}
	go e.Run(context.Background())
	// Stop as soon as the first loop is about to wait: the queue is then
	// still (nearly) whole, and the stop has to deliver it.
	<-started
	start := time.Now()
	if err := e.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}
	d := time.Since(start)
	for _, c := range conns {
		c.Close()
	}
	if st := e.Stats(); st.Datagrams != uint64(queued) {
		b.Fatalf("stop delivered %d of %d queued datagrams", st.Datagrams, queued)
	}
	return d
}
