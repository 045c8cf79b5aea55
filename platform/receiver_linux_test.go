package platform

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/udprx/udprx/batch"
)

func listenT(t *testing.T, network, address string, opts Options) Receiver {
	t.Helper()
	r, err := Listen(network, address, opts)
	if err != nil {
		t.Fatalf("Listen(%s, %s): %v", network, address, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// waitT runs Wait with a bound.
func waitT(t *testing.T, r Receiver) Event {
	t.Helper()
	type result struct {
		ev  Event
		err error
	}
	ch := make(chan result, 1)
	go func() { ev, err := r.Wait(); ch <- result{ev, err} }()
	select {
	case res := <-ch:
		if res.err != nil {
			t.Fatalf("Wait: %v", res.err)
		}
		return res.ev
	case <-time.After(5 * time.Second):
		r.Wake() // let the goroutine go
		t.Fatal("Wait did not return within 5s")
	}
	return Event{}
}

// readQueued reads from r until a Read finds nothing, and returns how many
// datagrams it read.
func readQueued(t *testing.T, r Receiver, b *batch.Batch) int {
	t.Helper()
	total := 0
	for {
		n, err := r.Read(b)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

func newBatch(t *testing.T, slots, size int) *batch.Batch {
	b, err := batch.New(slots, size)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLinuxRecvBuffer(t *testing.T) {
	t.Parallel()
	const want = 3 << 20
	r := listenT(t, "udp4", "127.0.0.1:0", Options{RecvBuffer: want})
	info := r.Info()
	if info.RecvBufferRequested != want {
		t.Errorf("requested %d, want %d", info.RecvBufferRequested, want)
	}
	// Root may force past rmem_max; others get at most rmem_max. Either
	// way the report must be what the kernel holds, not the request.
	got, err := unix.GetsockoptInt(r.(*linuxReceiver).fd, unix.SOL_SOCKET, unix.SO_RCVBUF)
	if err != nil {
		t.Fatal(err)
	}
	if info.RecvBufferGranted != got/2 {
		t.Errorf("granted %d, kernel holds %d (reports %d)", info.RecvBufferGranted, got/2, got)
	}
}

// TestLinuxDualStack binds "udp" to the wildcard and receives from IPv4
// and IPv6 loopback, reporting the IPv4 sender unmapped.
func TestLinuxDualStack(t *testing.T) {
	t.Parallel()
	r := listenT(t, "udp", ":0", Options{})
	port := r.LocalAddr().(*net.UDPAddr).Port
	var want []netip.AddrPort
	for _, dst := range []string{"127.0.0.1", "::1"} {
		c, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.ParseIP(dst), Port: port})
		if err != nil {
			t.Skipf("no %s: %v", dst, err)
		}
		defer c.Close()
		if _, err := c.Write([]byte(dst)); err != nil {
			t.Fatal(err)
		}
		want = append(want, c.LocalAddr().(*net.UDPAddr).AddrPort())
	}
	b := newBatch(t, 8, 64)
	var got []netip.AddrPort
	for len(got) < 2 {
		waitT(t, r)
		if _, err := r.Read(b); err != nil {
			t.Fatal(err)
		}
		for _, d := range b.Datagrams() {
			got = append(got, d.Src)
		}
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("datagram %d from %v, want %v", i, got[i], want[i])
		}
	}
}

func TestLinuxReusePort(t *testing.T) {
	t.Parallel()
	a := listenT(t, "udp4", "127.0.0.1:0", Options{ReusePort: true})
	b := listenT(t, "udp4", a.LocalAddr().String(), Options{ReusePort: true})
	if !a.Info().ReusePort || !b.Info().ReusePort {
		t.Error("Info.ReusePort not reported")
	}
	if _, err := Listen("udp4", a.LocalAddr().String(), Options{}); err == nil {
		t.Error("a third socket without SO_REUSEPORT bound the same port")
	}
}

func TestListenErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ network, address string }{
		{"tcp", "127.0.0.1:0"},
		{"udp4", "no-such-host.invalid:0"},
		{"udp4", "[::1]:0"},
		{"udp4", "192.0.2.1:0"}, // not a local address: EADDRNOTAVAIL
	} {
		if r, err := Listen(tc.network, tc.address, Options{}); err == nil {
			r.Close()
			t.Errorf("Listen(%s, %s) succeeded, want an error", tc.network, tc.address)
		}
	}
}

// TestLinuxOneShotRearm: the socket's epoll registration is one-shot, so
// datagrams queued while it is disarmed (after Wait reported the socket,
// before the next Wait) raise no event of their own. The next Wait must
// still report them: re-arming checks readiness. Both with data left
// unread and with the queue emptied and refilled while disarmed.
func TestLinuxOneShotRearm(t *testing.T) {
	t.Parallel()
	r := listenT(t, "udp4", "127.0.0.1:0", Options{})
	c, err := net.DialUDP("udp4", nil, r.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := newBatch(t, 4, 2048)

	c.Write([]byte("one"))
	if ev := waitT(t, r); ev.Events&Readable == 0 {
		t.Fatalf("first Wait: %v, want Readable", ev.Events)
	}
	// Disarmed now. Left unread, and joined by more: reported again.
	c.Write([]byte("two"))
	if ev := waitT(t, r); ev.Events&Readable == 0 {
		t.Fatalf("Wait with data left unread: %v, want Readable", ev.Events)
	}
	// Disarmed again: empty the queue, then queue one more.
	if n, err := r.Read(b); n != 2 || err != nil {
		t.Fatalf("Read = %d, %v: want the 2 queued", n, err)
	}
	c.Write([]byte("three"))
	if ev := waitT(t, r); ev.Events&Readable == 0 {
		t.Fatalf("Wait after a datagram queued while disarmed: %v, want Readable", ev.Events)
	}
	if n, err := r.Read(b); n != 1 || err != nil || string(b.Datagrams()[0].Payload) != "three" {
		t.Fatalf("Read = %d, %v: want the one sent while disarmed", n, err)
	}
}
