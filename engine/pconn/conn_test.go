package pconn

import (
	"errors"
	"net"
	"runtime"
	"testing"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/udprx/udprx/engine"
)

func listenTest(t *testing.T, cfg Config) *Conn {
	t.Helper()
	if cfg.Engine.Addr == "" {
		cfg.Engine.Addr = "udp4://127.0.0.1:0"
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func dial(t *testing.T, c *Conn) *net.UDPConn {
	t.Helper()
	cl, err := net.DialUDP("udp4", nil, c.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	cl.SetDeadline(time.Now().Add(10 * time.Second))
	cl.SetReadBuffer(4 << 20)
	return cl
}

// TestSteadyStateAllocs checks that an echo through ReadFromUDPAddrPort
// and WriteToUDPAddrPort allocates nothing, the engine's loop included.
func TestSteadyStateAllocs(t *testing.T) {
	const runs = 200
	c := listenTest(t, Config{Engine: engine.Config{Loops: 1, RecvBuffer: 4 << 20, SendQueue: 1024}})
	cl := dial(t, c)
	payload := make([]byte, 100)
	for range runs + 1 {
		if _, err := cl.Write(payload); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 2048)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	allocs := testing.AllocsPerRun(runs, func() {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.WriteToUDPAddrPort(buf[:n], from); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per read+write, want 0", allocs)
	}
	for i := range runs + 1 {
		if _, err := cl.Read(buf); err != nil {
			t.Fatalf("echo %d: %v", i, err)
		}
	}
}

// TestReadBatch reads queued datagrams in one ReadBatch and checks
// payloads, sources and truncation, and that an address already in a
// message is kept when it is the source and never written to otherwise:
// quic-go hands a read datagram's address on and reads the next batch
// into the same messages.
func TestReadBatch(t *testing.T) {
	c := listenTest(t, Config{Engine: engine.Config{Loops: 1}})
	cl := dial(t, c)
	for _, p := range []string{"one", "two", "three-longer"} {
		cl.Write([]byte(p))
	}
	src := cl.LocalAddr().(*net.UDPAddr)
	other := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 9), Port: 1}
	ms := make([]ipv4.Message, 8)
	addrs := make([]net.Addr, len(ms))
	for i := range ms {
		ms[i].Buffers = [][]byte{make([]byte, 4), make([]byte, 4)}
		if i%2 == 0 {
			ms[i].Addr = &net.UDPAddr{IP: src.IP, Port: src.Port}
		} else {
			ms[i].Addr = other
		}
		addrs[i] = ms[i].Addr
	}
	var got []string
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for len(got) < 3 {
		n, err := c.ReadBatch(ms, 0)
		if err != nil {
			t.Fatalf("ReadBatch: %v", err)
		}
		for i := range n {
			m := ms[i]
			p := append(append([]byte(nil), m.Buffers[0]...), m.Buffers[1]...)
			got = append(got, string(p[:m.N]))
			if m.Addr.String() != src.String() {
				t.Errorf("message %d: Addr %v, want %v", i, m.Addr, src)
			}
			if kept := m.Addr == addrs[i]; kept != (i%2 == 0) {
				t.Errorf("message %d: the *net.UDPAddr given kept: %v, want %v", i, kept, i%2 == 0)
			}
		}
	}
	if other.String() != "127.0.0.9:1" {
		t.Errorf("an address given in a message was written to: %v", other)
	}
	want := []string{"one", "two", "three-lo"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("message %d: %q, want %q", i, got[i], want[i])
		}
	}
}

// TestQueueFullCounted fills the readers' queue with nobody reading and
// checks the overflow and what Close discards are application drops:
// every datagram is read or counted, exactly.
func TestQueueFullCounted(t *testing.T) {
	const queue, sent, read = 16, 100, 5
	c, err := New(Config{Engine: engine.Config{Addr: "udp4://127.0.0.1:0", Loops: 1, RecvBuffer: 1 << 20}, Queue: queue})
	if err != nil {
		t.Fatal(err)
	}
	cl := dial(t, c)
	for range sent {
		cl.Write([]byte("x"))
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.Engine().Stats().Datagrams < sent && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // polling a condition with a deadline
	}
	buf := make([]byte, 8)
	for range read {
		if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	s := c.Engine().Stats()
	if s.Datagrams != sent || s.KernelDrops != 0 {
		t.Fatalf("engine read %d with %d kernel drops, want %d and 0", s.Datagrams, s.KernelDrops, sent)
	}
	if s.AppDrops != sent-read {
		t.Errorf("app drops %d, want %d (sent %d, read %d)", s.AppDrops, sent-read, sent, read)
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := New(Config{Engine: engine.Config{Addr: "udp4://127.0.0.1:0", Handler: engine.HandlerFunc(func(*engine.Writer, engine.Batch) {})}}); err == nil {
		t.Error("New accepted a Handler")
	}
	if _, err := ListenPacket("tcp", "127.0.0.1:0"); err == nil {
		t.Error("ListenPacket accepted tcp")
	} else if ue := net.UnknownNetworkError(""); !errors.As(err, &ue) {
		t.Errorf("ListenPacket tcp: %v, want a net.UnknownNetworkError", err)
	}
	c, err := ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Engine().Stats().Loops[0].Socket.GRO; !got && runtime.GOOS == "linux" {
		t.Error("ListenPacket's socket has no GRO, want it on (Linux)")
	}
	c.Close()
}

// TestWriteWaitsForRoom writes a burst far larger than the engine's send
// queue from several goroutines: writers wait for room, as on a
// *net.UDPConn, and every datagram arrives (a burst of DNS answers lost
// 244 of 500 when writes failed on a full queue instead).
func TestWriteWaitsForRoom(t *testing.T) {
	const writers, per = 4, 125
	c := listenTest(t, Config{Engine: engine.Config{Loops: 2, SendQueue: 4}})
	cl, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cl.SetReadBuffer(4 << 20)
	to := cl.LocalAddr().(*net.UDPAddr).AddrPort()
	errs := make(chan error, writers)
	for range writers {
		go func() {
			for range per {
				if _, err := c.WriteToUDPAddrPort([]byte("answer"), to); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	cl.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 16)
	for i := range writers * per {
		if _, err := cl.Read(buf); err != nil {
			t.Fatalf("datagram %d: %v (stats %+v)", i, err, c.Engine().Stats())
		}
	}
	if s := c.Engine().Stats(); s.SendDrops != 0 {
		t.Errorf("%d send drops, want 0", s.SendDrops)
	}
}
