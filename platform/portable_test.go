package platform

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/udprx/udprx/batch"
)

// ptBound bounds every wait in these tests; the package also runs with
// go test -timeout.
const ptBound = 5 * time.Second

// ptListen opens the portable backend through Listen, closed when the test
// ends. An IPv6 address skips the test where the host has no IPv6.
func ptListen(t *testing.T, network, address string, opts Options) Receiver {
	t.Helper()
	opts.Portable = true
	r, err := Listen(network, address, opts)
	if err != nil {
		if strings.Contains(address, "::") && !ptHasIPv6() {
			t.Skipf("no IPv6 on this host: Listen(%s, %s): %v", network, address, err)
		}
		t.Fatalf("Listen(%s, %s, portable): %v", network, address, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func ptHasIPv6() bool {
	c, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// ptDial returns a client socket sending to the receiver's port at host
// (the receiver may be bound to a wildcard).
func ptDial(t *testing.T, r Receiver, host string) *net.UDPConn {
	t.Helper()
	port := r.LocalAddr().(*net.UDPAddr).Port
	to := net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(host), uint16(port)))
	c, err := net.DialUDP("udp", nil, to)
	if err != nil {
		t.Fatalf("dial %v: %v", to, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ptSend(t *testing.T, c *net.UDPConn, payload []byte) {
	t.Helper()
	if _, err := c.Write(payload); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// ptSrc is the address the receiver must report for datagrams from c.
func ptSrc(c *net.UDPConn) netip.AddrPort {
	ap := c.LocalAddr().(*net.UDPAddr).AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func ptBatch(t *testing.T, slots, size int) *batch.Batch {
	t.Helper()
	b, err := batch.New(slots, size)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ptWaitErr runs Wait in a goroutine and fails the test if it does not
// return within ptBound.
func ptWaitErr(t *testing.T, r Receiver) (Event, error) {
	t.Helper()
	type result struct {
		ev  Event
		err error
	}
	ch := make(chan result, 1)
	go func() {
		ev, err := r.Wait()
		ch <- result{ev, err}
	}()
	timer := time.NewTimer(ptBound)
	defer timer.Stop()
	select {
	case res := <-ch:
		return res.ev, res.err
	case <-timer.C:
		r.Wake() // let the goroutine go
		t.Fatalf("Wait did not return within %v", ptBound)
		return Event{}, nil
	}
}

// ptWait is ptWaitErr for a Wait that must succeed with exactly want.
func ptWait(t *testing.T, r Receiver, want Events) {
	t.Helper()
	ev, err := ptWaitErr(t, r)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if ev.Events != want {
		t.Fatalf("Wait = %v, want %v", ev.Events, want)
	}
}

// ptReadOne reads and checks exactly one datagram.
func ptReadOne(t *testing.T, r Receiver, b *batch.Batch, payload []byte, src netip.AddrPort, flags batch.Flags) {
	t.Helper()
	n, err := r.Read(b)
	if err != nil || n != 1 || b.Len() != 1 {
		t.Fatalf("Read = %d, %v (Len %d), want 1 datagram", n, err, b.Len())
	}
	d := b.Datagrams()[0]
	if !bytes.Equal(d.Payload, payload) {
		t.Errorf("payload %q, want %q", d.Payload, payload)
	}
	if d.Src != src {
		t.Errorf("source %v, want %v", d.Src, src)
	}
	if d.Flags != flags {
		t.Errorf("flags %v, want %v", d.Flags, flags)
	}
}

func ptReadNone(t *testing.T, r Receiver, b *batch.Batch) {
	t.Helper()
	if n, err := r.Read(b); n != 0 || err != nil || b.Len() != 0 {
		t.Fatalf("Read = %d, %v (Len %d), want 0, nil", n, err, b.Len())
	}
}

// TestPortableReceive: a dual-stack socket (the contract suite,
// contract_test.go, covers udp4 and udp6) reports an IPv4 sender
// unmapped.
func TestPortableReceive(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, network, address, client string
	}{
		{"dual-stack from v4 is unmapped", "udp", "[::]:0", "127.0.0.1"},
		{"dual-stack from v6", "udp", "[::]:0", "::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ptListen(t, tc.network, tc.address, Options{})
			if got := r.Info().Backend; got != "portable" {
				t.Errorf("Info().Backend = %q, want portable", got)
			}
			if r.LocalAddr().(*net.UDPAddr).Port == 0 {
				t.Errorf("LocalAddr %v: port 0 not resolved", r.LocalAddr())
			}
			c := ptDial(t, r, tc.client)
			b := ptBatch(t, 4, 2048)
			// The first Wait comes before any Read (the spare buffer and
			// a copy), the others after (straight into the batch). The
			// empty datagram is real: it has a source and must not be
			// taken for a read shutdown.
			for i, p := range [][]byte{[]byte("first"), {}, bytes.Repeat([]byte{0xa5}, 1400), []byte("last")} {
				ptSend(t, c, p)
				ptWait(t, r, Readable)
				ptReadOne(t, r, b, p, ptSrc(c), 0)
				ptReadNone(t, r, b)
				if t.Failed() {
					t.Fatalf("datagram %d", i)
				}
			}
		})
	}
}

func TestPortableWaitTwiceWithoutRead(t *testing.T) {
	t.Parallel()
	r := ptListen(t, "udp4", "127.0.0.1:0", Options{})
	c := ptDial(t, r, "127.0.0.1")
	b := ptBatch(t, 4, 2048)
	ptReadNone(t, r, b)
	ptSend(t, c, []byte("one"))
	ptSend(t, c, []byte("two"))
	ptWait(t, r, Readable)
	ptWait(t, r, Readable) // reports the held datagram again, reads nothing
	ptReadOne(t, r, b, []byte("one"), ptSrc(c), 0)
	ptWait(t, r, Readable)
	ptReadOne(t, r, b, []byte("two"), ptSrc(c), 0)
}

func TestPortableTruncation(t *testing.T) {
	t.Parallel()
	long := []byte("0123456789abcdefghijklmnopqrstuvwxyz")
	for _, tc := range []struct {
		name string
		prep func(r Receiver, small, big *batch.Batch) // what Read saw before the Wait
	}{
		// Wait receives into the small slot: the kernel truncates (MSG_TRUNC).
		{"into the batch", func(r Receiver, small, _ *batch.Batch) { r.Read(small) }},
		// Wait receives into the spare buffer; Read truncates the copy.
		{"before any Read", func(Receiver, *batch.Batch, *batch.Batch) {}},
		// Wait receives into a larger batch; Read truncates the copy.
		{"batch changed", func(r Receiver, _, big *batch.Batch) { r.Read(big) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ptListen(t, "udp4", "127.0.0.1:0", Options{})
			c := ptDial(t, r, "127.0.0.1")
			small := ptBatch(t, 4, 16)
			tc.prep(r, small, ptBatch(t, 4, 2048))
			ptSend(t, c, long)
			ptWait(t, r, Readable)
			ptReadOne(t, r, small, long[:16], ptSrc(c), batch.Truncated)
			ptSend(t, c, []byte("short"))
			ptWait(t, r, Readable)
			ptReadOne(t, r, small, []byte("short"), ptSrc(c), 0)
		})
	}
}

func TestPortableSteadyStateAllocs(t *testing.T) {
	for _, tc := range []struct{ name, network, address, client string }{
		{"v4", "udp4", "127.0.0.1:0", "127.0.0.1"},
		{"dual-stack v6", "udp", "[::]:0", "::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ptListen(t, tc.network, tc.address, Options{})
			c := ptDial(t, r, tc.client)
			b := ptBatch(t, 4, 2048)
			ptReadNone(t, r, b)
			const runs = 50
			for range runs + 1 { // AllocsPerRun adds a warm-up run
				ptSend(t, c, []byte("steady"))
			}
			// A watchdog in place of a goroutine per Wait (which would
			// allocate): if a datagram is missing it wakes the Wait.
			watchdog := time.AfterFunc(ptBound, func() { r.Wake() })
			defer watchdog.Stop()
			var bad error
			allocs := testing.AllocsPerRun(runs, func() {
				ev, err := r.Wait()
				n, rerr := r.Read(b)
				if bad == nil && (err != nil || rerr != nil || ev.Events != Readable || n != 1) {
					bad = fmt.Errorf("Wait = %v, %v; Read = %d, %v", ev.Events, err, n, rerr)
				}
			})
			if bad != nil {
				t.Fatal(bad)
			}
			if allocs != 0 {
				t.Errorf("Wait+Read allocates %v times per datagram, want 0", allocs)
			}
		})
	}
}

// TestPortableWaitAfterClose: in this backend a Wait after Close returns
// package net's error, matching net.ErrClosed (the contract suite checks
// Close itself).
func TestPortableWaitAfterClose(t *testing.T) {
	t.Parallel()
	r := ptListen(t, "udp4", "127.0.0.1:0", Options{})
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := ptWaitErr(t, r); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Wait after Close = %v, want an error matching net.ErrClosed", err)
	}
}

func TestPortableListenOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ network, address string }{
		{"tcp", "127.0.0.1:0"},
		{"unixgram", ""}, // an empty path; unixgram itself is supported (unixgram_test.go)
		{"ip4", "127.0.0.1"},
		{"udp4", "[::1]:0"},
		{"udp4", "127.0.0.1:99999"},
	} {
		if r, err := Listen(tc.network, tc.address, Options{Portable: true}); err == nil {
			r.Close()
			t.Errorf("Listen(%s, %s, portable) succeeded, want an error", tc.network, tc.address)
		}
	}

	const want = 1 << 20
	r := ptListen(t, "udp4", "127.0.0.1:0", Options{RecvBuffer: want})
	info := r.Info()
	if info.RecvBufferRequested != want {
		t.Errorf("RecvBufferRequested = %d, want %d", info.RecvBufferRequested, want)
	}
	// Never more than granted: at most the request; and on the systems
	// with a native backend the portable one reads it back too.
	if g := info.RecvBufferGranted; g > want || (NativeBackend != "" && g <= 0) {
		t.Errorf("RecvBufferGranted = %d for a request of %d", g, want)
	}
	t.Logf("requested %d, granted %d", want, info.RecvBufferGranted)

	a, err := Listen("udp4", "127.0.0.1:0", Options{Portable: true, ReusePort: true})
	if !ReusePortBalances {
		if !errors.Is(err, errReusePortUnbalanced) {
			t.Errorf("ReusePort where it does not balance: err = %v, want errReusePortUnbalanced", err)
		}
		if a != nil {
			a.Close()
		}
		return
	}
	if err != nil {
		t.Fatalf("ReusePort: %v", err)
	}
	defer a.Close()
	b, err := Listen("udp4", a.LocalAddr().String(), Options{Portable: true, ReusePort: true})
	if err != nil {
		t.Fatalf("second ReusePort socket on %v: %v", a.LocalAddr(), err)
	}
	defer b.Close()
	if !a.Info().ReusePort || !b.Info().ReusePort {
		t.Error("Info.ReusePort not reported")
	}
}
