package engine

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestSecondInstanceRefused: a second engine on the address of a running
// one fails at New with ErrAddrInUse, whatever its loop count, instead of
// silently taking a share of the traffic; with Config.SharePort it may
// join.
func TestSecondInstanceRefused(t *testing.T) {
	first := startEngine(t, Config{Addr: "udp4://127.0.0.1:0", Loops: 2, Handler: newCollector()})
	addr := "udp4://" + first.Addr().String()
	for _, loops := range []int{2, 1} {
		e, err := New(Config{Addr: addr, Loops: loops, Handler: newCollector()})
		if err == nil {
			e.Shutdown(context.Background())
			t.Fatalf("a second engine with %d loops started on %s", loops, addr)
		}
		if !errors.Is(err, ErrAddrInUse) || !errors.Is(err, unix.EADDRINUSE) {
			t.Errorf("second engine with %d loops: %v, want ErrAddrInUse and EADDRINUSE", loops, err)
		}
	}
	shared, err := New(Config{Addr: addr, Loops: 2, SharePort: true, Handler: newCollector()})
	if err != nil {
		t.Fatalf("with SharePort: %v", err)
	}
	shared.Shutdown(context.Background())
}

// TestForeignReusePortGetsNothing: a socket of someone else's that joins
// the engine's SO_REUSEPORT group after it started (same user, same
// address, SO_REUSEPORT) receives none of the traffic: the group's
// program hands every datagram to one of the engine's loops, and still
// spreads flows over all of them.
func TestForeignReusePortGetsNothing(t *testing.T) {
	for _, addr := range []string{"udp4://127.0.0.1:0", "udp6://[::1]:0"} {
		t.Run(addr, func(t *testing.T) { testForeignReusePort(t, addr) })
	}
}

func testForeignReusePort(t *testing.T, addr string) {
	ctx := testContext(t)
	c := newCollector()
	e, err := New(Config{Addr: addr, Loops: 2, RecvBuffer: 4 << 20, Handler: c})
	if err != nil {
		t.Skipf("%s: %v", addr, err) // no IPv6 loopback here
	}
	go e.Run(ctx)
	t.Cleanup(func() { e.Shutdown(context.Background()) })
	for i, ls := range e.Stats().Loops {
		if ls.Socket.ReusePortGroup != 2 {
			t.Skipf("loop %d: no reuseport selection program (Info.ReusePortGroup %d)", i, ls.Socket.ReusePortGroup)
		}
	}
	ua := e.Addr().(*net.UDPAddr)
	family, sa := unix.AF_INET, unix.Sockaddr(nil)
	if ip4 := ua.IP.To4(); ip4 != nil {
		s4 := &unix.SockaddrInet4{Port: ua.Port}
		copy(s4.Addr[:], ip4)
		sa = s4
	} else {
		s6 := &unix.SockaddrInet6{Port: ua.Port}
		copy(s6.Addr[:], ua.IP.To16())
		family, sa = unix.AF_INET6, s6
	}
	foreign, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(foreign)
	if family == unix.AF_INET6 {
		if err := unix.SetsockoptInt(foreign, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.SetsockoptInt(foreign, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(foreign, sa); err != nil {
		t.Fatalf("the foreign socket could not join the group: %v", err)
	}

	const flows, perFlow = 64, 8
	for range flows {
		conn, err := net.DialUDP("udp", nil, ua)
		if err != nil {
			t.Fatal(err)
		}
		for range perFlow {
			if _, err := conn.Write([]byte("x")); err != nil {
				t.Fatal(err)
			}
		}
		conn.Close()
	}
	// Every datagram reaches one side or the other: count both until all
	// are accounted for.
	stolen := 0
	buf := make([]byte, 64)
	deadline := time.Now().Add(10 * time.Second)
	for c.count()+stolen < flows*perFlow {
		if _, _, err := unix.Recvfrom(foreign, buf, 0); err == nil {
			stolen++
			continue
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("engine %d + foreign %d datagrams, want %d", c.count(), stolen, flows*perFlow)
		}
		time.Sleep(time.Millisecond) // polling counts, not ordering events
	}
	if stolen != 0 {
		t.Errorf("the foreign socket received %d of %d datagrams, want 0", stolen, flows*perFlow)
	}
	for i, ls := range e.Stats().Loops {
		if ls.Datagrams == 0 {
			t.Errorf("loop %d received nothing of %d flows: the program does not spread flows", i, flows)
		}
	}
}
