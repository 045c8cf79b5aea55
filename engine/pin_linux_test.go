package engine

import (
	"fmt"
	"net"
	"runtime"
	"testing"

	"github.com/udprx/udprx/internal/kernel"
	"github.com/udprx/udprx/platform"
)

// TestPinCPU runs pinned loops and checks they receive; the pinning itself
// is tested in package platform.
func TestPinCPU(t *testing.T) {
	c := newCollector()
	e := startEngine(t, Config{Addr: "udp4://127.0.0.1:0", Loops: 2, PinCPU: true, Handler: c})
	sendAndCount(t, e, c, 200)
	if st := e.Stats(); st.Errors != 0 || st.Restarts != 0 {
		t.Errorf("pinned loops: %d errors, %d restarts", st.Errors, st.Restarts)
	}
}

// TestIncomingCPU: with PinCPU and IncomingCPU, each loop's socket is set
// to its loop's CPU, and (Linux 6.2 on) datagrams the kernel receives on
// CPU k go to loop k, whatever their flow hash: the test sends from a
// thread pinned to each CPU in turn, each datagram from a new source port.
func TestIncomingCPU(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs 2 CPUs")
	}
	c := newCollector()
	started := make(chan int, 2)
	cfg := Config{Addr: "udp4://127.0.0.1:0", Loops: 2, PinCPU: true, IncomingCPU: true, Handler: c}
	cfg.started = func(loop int) { started <- loop }
	e := startEngine(t, cfg)
	ctx := testContext(t)
	for range 2 {
		select {
		case <-started:
		case <-ctx.Done():
			t.Fatal("loops did not start")
		}
	}
	for i, ls := range e.Stats().Loops {
		if ls.IncomingCPU != i {
			t.Fatalf("loop %d: IncomingCPU %d, want %d", i, ls.IncomingCPU, i)
		}
	}
	if ok, err := kernel.AtLeast(6, 2); err != nil {
		t.Fatal(err)
	} else if !ok {
		t.Skip("selection by SO_INCOMING_CPU needs Linux 6.2")
	}
	const n = 100
	for cpu := range 2 {
		before := e.Stats().Loops[cpu].Datagrams
		base := c.count()
		sendPinned(t, cpu, e.Addr().(*net.UDPAddr), n)
		c.waitFor(t, ctx, base+n)
		if got := e.Stats().Loops[cpu].Datagrams - before; got != n {
			t.Errorf("sent %d from CPU %d: loop %d got %d of them", n, cpu, cpu, got)
		}
	}
}

// sendPinned sends n datagrams to addr, each from a new socket, from a
// thread pinned to cpu (on loopback the kernel's receive work runs there).
func sendPinned(t *testing.T, cpu int, addr *net.UDPAddr, n int) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	_, restore, err := platform.PinThread(cpu)
	if err != nil {
		t.Fatal(err)
	}
	defer restore()
	for i := range n {
		conn, err := net.DialUDP("udp4", nil, addr)
		if err != nil {
			t.Fatal(err)
		}
		_, err = fmt.Fprintf(conn, "from cpu %d: %d", cpu, i)
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
}
