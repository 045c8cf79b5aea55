package engine

import (
	"context"
	"net"
	"testing"
)

// TestSteadyStateAllocs checks that the read path (wait on the poller, one
// batch read, the handler call) allocates nothing, on every backend.
func TestSteadyStateAllocs(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			const runs = 50
			var handled int
			e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 1, Portable: be.portable, BatchSize: 8,
				RecvBuffer: 4 << 20, Handler: HandlerFunc(func(_ *Writer, b Batch) { handled += b.Len() })})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Shutdown(context.Background())
			conn, err := net.DialUDP("udp", nil, e.Addr().(*net.UDPAddr))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			// Queue enough for every run to find a full batch waiting
			// (AllocsPerRun adds one warm-up run).
			payload := make([]byte, 100)
			for range (runs + 1) * 8 {
				if _, err := conn.Write(payload); err != nil {
					t.Fatal(err)
				}
			}
			l := e.loops[0]
			r := l.receiver()
			allocs := testing.AllocsPerRun(runs, func() {
				if _, err := r.Wait(); err != nil {
					t.Fatal(err)
				}
				if _, err := l.readBurst(r, 1); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%v allocations per wait+read+handle, want 0", allocs)
			}
			if handled == 0 {
				t.Error("the handler saw no datagram: the test measured nothing")
			}
		})
	}
}

// BenchmarkReadPath measures one loop's wait+read+handle on a socket kept
// full by a sender on another goroutine.
func BenchmarkReadPath(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 1, Portable: be.portable,
				RecvBuffer: 8 << 20, Handler: HandlerFunc(func(*Writer, Batch) {})})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Shutdown(context.Background())
			conn, err := net.DialUDP("udp", nil, e.Addr().(*net.UDPAddr))
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				p := make([]byte, 64)
				for {
					select {
					case <-stop:
						return
					default:
						conn.Write(p)
					}
				}
			}()
			l := e.loops[0]
			r := l.receiver()
			b.ReportAllocs()
			b.ResetTimer()
			before := l.m.datagrams.Get()
			for b.Loop() {
				if _, err := r.Wait(); err != nil {
					b.Fatal(err)
				}
				if _, err := l.readBurst(r, 1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(l.m.datagrams.Get()-before)/float64(b.N), "datagrams/op")
		})
	}
}
