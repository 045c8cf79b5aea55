package engine

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// gsoSend sends count datagrams of size bytes to addr as UDP GSO
// super-packets of segs segments (UDP_SEGMENT), as the GSO sender does.
func gsoSend(t *testing.T, addr *net.UDPAddr, count, size, segs int) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.SOL_UDP, unix.UDP_SEGMENT, size); err != nil {
		t.Skipf("no UDP GSO: %v", err)
	}
	to := &unix.SockaddrInet4{Port: addr.Port}
	copy(to.Addr[:], addr.IP.To4())
	buf := make([]byte, size*segs)
	for sent := 0; sent < count; sent += segs {
		if err := unix.Sendto(fd, buf[:size*min(segs, count-sent)], 0, to); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGRO: with GRO on, a GSO sender's super-packets reach the handler as
// the individual datagrams they were made of.
func TestGRO(t *testing.T) {
	var mu sync.Mutex
	sizes := map[int]int{}
	c := newCollector()
	e := startEngine(t, Config{Addr: "udp4://127.0.0.1:0", Loops: 1, GRO: true, RecvBuffer: 8 << 20,
		Handler: HandlerFunc(func(_ *Writer, b Batch) {
			mu.Lock()
			for _, d := range b.All() {
				sizes[len(d.Payload)]++
			}
			mu.Unlock()
			c.HandleBatch(nil, b)
		})})
	if !e.Stats().Loops[0].Socket.GRO {
		t.Skip("the kernel refused UDP_GRO")
	}
	gsoSend(t, e.Addr().(*net.UDPAddr), 6400, 64, 64)
	c.waitFor(t, testContext(t), 6400)
	mu.Lock()
	defer mu.Unlock()
	if sizes[64] != 6400 || len(sizes) != 1 {
		t.Errorf("datagram sizes %v, want 6400 of 64 bytes", sizes)
	}
	if st := e.Stats(); st.Batches >= 6400/64*2 {
		t.Errorf("%d batches for 6400 datagrams: GRO did not coalesce", st.Batches)
	}
}

// TestGRODatagramSize: with GRO on, DatagramSize still holds: a datagram
// longer than it arrives cut to it and flagged, whole or coalesced, and
// Stats counts each one truncated.
func TestGRODatagramSize(t *testing.T) {
	c := newCollector()
	e := startEngine(t, Config{Addr: "udp4://127.0.0.1:0", Loops: 1, GRO: true, DatagramSize: 100,
		RecvBuffer: 8 << 20, Handler: c})
	if !e.Stats().Loops[0].Socket.GRO {
		t.Skip("the kernel refused UDP_GRO")
	}
	conn, err := net.DialUDP("udp", nil, e.Addr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	long := make([]byte, 65507) // the largest UDP payload over IPv4
	for i := range long {
		long[i] = byte(i)
	}
	if _, err := conn.Write(long); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte("short")); err != nil {
		t.Fatal(err)
	}
	gsoSend(t, e.Addr().(*net.UDPAddr), 64, 300, 64) // one read of 64 coalesced 300-byte datagrams
	c.waitFor(t, testContext(t), 66)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.trunc) != 65 {
		t.Fatalf("%d truncated datagrams, want 65 (the long one and 64 coalesced ones)", len(c.trunc))
	}
	for _, d := range c.trunc {
		if len(d.Payload) != 100 {
			t.Fatalf("a truncated datagram of %d bytes, want 100", len(d.Payload))
		}
	}
	if got := c.trunc[0].Payload; string(got) != string(long[:100]) {
		t.Errorf("the long datagram's payload is not its first 100 bytes")
	}
	if len(c.got["short"]) != 1 {
		t.Errorf("the short datagram did not arrive whole")
	}
	if st := e.Stats(); st.Truncated != 65 {
		t.Errorf("Stats.Truncated = %d, want 65", st.Truncated)
	}
}

// TestKernelDrops overflows a small receive buffer while the handler is
// held, and checks the engine's count equals the kernel's own for the
// socket (SO_MEMINFO), in Stats and in the metrics.
func TestKernelDrops(t *testing.T) {
	h := newHeld()
	e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 1, RecvBuffer: 4096, Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- e.Run(context.Background()) }()
	defer func() { e.Shutdown(context.Background()); <-ran }()
	conn, err := net.DialUDP("udp", nil, e.Addr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("first"))
	<-h.entered // the loop is stuck in the handler: the buffer fills
	for range 500 {
		conn.Write(make([]byte, 100))
	}
	q, ok := e.loops[0].queueInfo()
	if !ok || !q.HasDrops || q.Drops == 0 {
		t.Fatalf("SO_MEMINFO: %+v (ok %v), want drops", q, ok)
	}
	close(h.release)
	// The kernel reports the count with the first datagram queued after
	// a drop: send probes until one gets through and the engine's count
	// catches up with the kernel's current one (a probe may be dropped
	// itself while the queue is still full, moving the kernel's count on).
	deadline := time.Now().Add(10 * time.Second)
	for {
		now, _ := e.loops[0].queueInfo()
		got := e.Stats().KernelDrops
		if got == now.Drops && got >= q.Drops {
			t.Logf("%d kernel drops, counted alike by the engine and SO_MEMINFO", got)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("engine counts %d kernel drops, the kernel %d", got, now.Drops)
		}
		conn.Write([]byte("after"))
		time.Sleep(time.Millisecond) // pacing the probes, not ordering
	}
}

// TestDstAddrAndTimestamps: a socket on the wildcard address learns each
// datagram's destination and the kernel's receive time.
func TestDstAddrAndTimestamps(t *testing.T) {
	type seen struct {
		dst   netip.Addr
		ifidx uint32
		ts    int64
	}
	got := make(chan seen, 1)
	e := startEngine(t, Config{Addr: "udp4://0.0.0.0:0", Loops: 1, DstAddr: true, Timestamps: true,
		Handler: HandlerFunc(func(_ *Writer, b Batch) {
			d := b.At(0)
			select {
			case got <- seen{d.Dst, d.IfIndex, d.Timestamp}:
			default:
			}
		})})
	info := e.Stats().Loops[0].Socket
	if !info.PktInfo || !info.Timestamps {
		t.Fatalf("Socket %+v: want PktInfo and Timestamps on", info)
	}
	port := e.Addr().(*net.UDPAddr).Port
	conn, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	before := time.Now()
	conn.Write([]byte("where"))
	s := <-got
	lo, _ := net.InterfaceByName("lo")
	if s.dst != netip.MustParseAddr("127.0.0.1") || (lo != nil && s.ifidx != uint32(lo.Index)) {
		t.Errorf("Dst %v IfIndex %d, want 127.0.0.1 on lo", s.dst, s.ifidx)
	}
	if ts := time.Unix(0, s.ts); ts.Before(before.Add(-time.Second)) || ts.After(time.Now().Add(time.Second)) {
		t.Errorf("Timestamp %v, want about %v", ts, before)
	}
}

// TestGROCarryOverDelivered: a super-packet of more segments than a
// batch holds (128, from a local GSO sender, into batches of 64) is
// delivered whole with no further traffic, even when the read budget ends
// the burst with the rest still carried over in user space, where the
// poller cannot see it.
func TestGROCarryOverDelivered(t *testing.T) {
	c := newCollector()
	e := startEngine(t, Config{Addr: "udp4://127.0.0.1:0", Loops: 1, GRO: true, BatchSize: 1, ReadBudget: 1,
		RecvBuffer: 1 << 20, Handler: c})
	if !e.Stats().Loops[0].Socket.GRO {
		t.Skip("the kernel refused UDP_GRO")
	}
	gsoSend(t, e.Addr().(*net.UDPAddr), 128, 64, 128)
	c.waitFor(t, testContext(t), 128)
}

// TestGROKernelDropsCountReads: with GRO, the kernel drops a coalesced
// read as one unit and counts it once. A local GSO sender of full
// super-packets (64 segments each) into a small buffer behind a held
// handler shows it exactly: every datagram sent is delivered or in a
// dropped read of 64, and KernelDrops counts reads, not datagrams.
func TestGROKernelDropsCountReads(t *testing.T) {
	const segs, supers = 64, 64
	h := newHeld()
	e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 1, GRO: true, RecvBuffer: 64 << 10, Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	if !e.Stats().Loops[0].Socket.GRO {
		t.Skip("the kernel refused UDP_GRO")
	}
	ctx := testContext(t)
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	addr := e.Addr().(*net.UDPAddr)
	gsoSend(t, addr, segs, 64, segs) // the first read, which the handler holds
	<-h.entered
	gsoSend(t, addr, segs*supers, 64, segs)
	close(h.release)
	if err := e.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s := e.Stats()
	sent := uint64(segs * (supers + 1))
	t.Logf("sent %d in %d super-packets: delivered %d, kernel drops %d", sent, supers+1, s.Datagrams, s.KernelDrops)
	if s.KernelDrops == 0 {
		t.Fatal("no drops: the buffer held every super-packet, so nothing was shown")
	}
	if got := s.Datagrams + s.KernelDrops*segs; got != sent {
		t.Errorf("delivered %d + %d dropped reads x %d = %d, want %d sent", s.Datagrams, s.KernelDrops, segs, got, sent)
	}
}
