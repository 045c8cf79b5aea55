package bench

import (
	"context"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/udprx/udprx/engine"
	"golang.org/x/sys/unix"
)

// Streaming replies: each 1-byte trigger datagram makes the server send
// streamPer datagrams of streamSize bytes to one destination, a socket
// nobody reads, with UDP_GRO on so that a GSO super-packet reaches it
// whole, as it would leave a NIC with segmentation offload: without it the
// loopback receive path segments it again in the sender's system call,
// a receiver's cost that another host would pay. What the sink cannot
// queue, the kernel drops on arrival.
const (
	streamSize   = 1200
	streamPer    = 64
	streamWindow = 16 // triggers in flight
)

// BenchmarkStreamReply measures a handler that answers with many
// equal-size datagrams to one destination: through the engine's Writer
// (one sendmmsg per batch, the run sent as UDP GSO super-packets on Linux;
// run with UDPRX_GSO=0 for the same without GSO), and one by one with
// WriteToUDPAddrPort, one system call per datagram. It reports
// datagrams/s.
func BenchmarkStreamReply(b *testing.B) {
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	rc, err := sink.SyscallConn()
	if err != nil {
		b.Fatal(err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_UDP, unix.UDP_GRO, 1) }); err != nil || serr != nil {
		b.Skipf("UDP_GRO on the sink: %v %v", err, serr)
	}
	to := sink.LocalAddr().(*net.UDPAddr).AddrPort()

	b.Run("udprx", func(b *testing.B) {
		h := engine.HandlerFunc(func(w *engine.Writer, bt engine.Batch) {
			for range bt.Len() {
				for range streamPer {
					w.WriteTo(w.Buffer()[:streamSize], to)
				}
			}
		})
		e, err := engine.New(engine.Config{Addr: "udp4://127.0.0.1:0", Loops: 1, Handler: h, ReplySlots: streamPer})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go e.Run(ctx)
		defer e.Shutdown(context.Background())
		sent := func() uint64 { s := e.Stats(); return s.Sent + s.SendDrops }
		runStream(b, e.Addr().String(), sent)
		s := e.Stats()
		b.ReportMetric(float64(s.SendCalls)/float64(max(s.Sent, 1))*streamPer, "calls/trigger")
		if s.SendDrops > 0 {
			b.Errorf("%d send drops", s.SendDrops)
		}
		if len(s.Loops) > 0 && !s.Loops[0].Socket.GSO {
			b.Log("GSO off on this socket")
		}
	})

	b.Run("one-by-one", func(b *testing.B) {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		var n, drops atomic.Uint64
		go func() {
			buf := make([]byte, 64)
			p := make([]byte, streamSize)
			for {
				if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
					return
				}
				for range streamPer {
					if _, err := c.WriteToUDPAddrPort(p, to); err != nil {
						drops.Add(1)
					}
					n.Add(1)
				}
			}
		}()
		runStream(b, c.LocalAddr().String(), n.Load)
		if d := drops.Load(); d > 0 {
			b.Errorf("%d sends failed", d)
		}
	})
}

// runStream sends triggers to addr, at most streamWindow ahead of what
// sent reports sent, until b.N datagrams (rounded up to whole triggers)
// have gone out, and reports datagrams/s.
func runStream(b *testing.B, addr string, sent func() uint64) {
	client, err := net.Dial("udp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	base := sent()
	triggers := uint64((b.N + streamPer - 1) / streamPer)
	deadline := time.Now().Add(time.Minute)
	b.ResetTimer()
	for i := uint64(0); i < triggers; i++ {
		for (i-min(i, streamWindow))*streamPer > sent()-base {
			if time.Now().After(deadline) {
				b.Fatalf("stalled at %d of %d datagrams", sent()-base, triggers*streamPer)
			}
			runtime.Gosched()
		}
		if _, err := client.Write([]byte{1}); err != nil {
			b.Fatal(err)
		}
	}
	for sent()-base < triggers*streamPer {
		if time.Now().After(deadline) {
			b.Fatalf("stalled at %d of %d datagrams", sent()-base, triggers*streamPer)
		}
		runtime.Gosched()
	}
	b.StopTimer()
	b.ReportMetric(float64(triggers*streamPer)/b.Elapsed().Seconds(), "datagrams/s")
}
