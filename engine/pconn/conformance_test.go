package pconn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/udprx/udprx/engine"
)

// udpConn is what the conformance suite tests: the methods *net.UDPConn
// and Conn share.
type udpConn interface {
	net.PacketConn
	ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
}

// impls are the implementations under test: the reference first.
func impls() []struct {
	name   string
	listen func(t *testing.T) udpConn
} {
	return []struct {
		name   string
		listen func(t *testing.T) udpConn
	}{
		{"net.UDPConn", func(t *testing.T) udpConn {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			c.SetReadBuffer(1 << 20)
			return c
		}},
		{"pconn", func(t *testing.T) udpConn {
			c, err := New(Config{Engine: engine.Config{Addr: "udp4://127.0.0.1:0", Loops: 2,
				DatagramSize: 16384, RecvBuffer: 1 << 20}})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}},
	}
}

// forEach runs test against every implementation, each with a fresh conn
// closed at the end, a client socket dialled to it, and a deadline.
func forEach(t *testing.T, test func(t *testing.T, c udpConn, client *net.UDPConn)) {
	for _, im := range impls() {
		t.Run(im.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			c := im.listen(t)
			defer c.Close()
			client, err := net.DialUDP("udp4", nil, c.LocalAddr().(*net.UDPAddr))
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			client.SetDeadline(time.Now().Add(10 * time.Second))
			test(t, c, client)
		})
	}
}

// readWithin reads one datagram with a read deadline d from now.
func readWithin(c udpConn, b []byte, d time.Duration) (int, netip.AddrPort, error) {
	c.SetReadDeadline(time.Now().Add(d))
	defer c.SetReadDeadline(time.Time{})
	return c.ReadFromUDPAddrPort(b)
}

func TestConformanceRoundTrip(t *testing.T) {
	forEach(t, func(t *testing.T, c udpConn, client *net.UDPConn) {
		if la, ok := c.LocalAddr().(*net.UDPAddr); !ok || la.Port == 0 {
			t.Fatalf("LocalAddr %v: want a *net.UDPAddr with a port", c.LocalAddr())
		}
		if _, err := client.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			t.Fatalf("ReadFrom: %v", err)
		}
		if string(buf[:n]) != "ping" || from.String() != client.LocalAddr().String() {
			t.Fatalf("ReadFrom: %q from %v, want %q from %v", buf[:n], from, "ping", client.LocalAddr())
		}
		if n, err := c.WriteTo([]byte("pong"), from); err != nil || n != 4 {
			t.Fatalf("WriteTo: %d, %v", n, err)
		}
		n, err = client.Read(buf)
		if err != nil || string(buf[:n]) != "pong" {
			t.Fatalf("client read %q, %v: want pong", buf[:n], err)
		}
	})
}

// TestConformanceSizes sends a zero-length datagram and one longer than
// the reader's buffer, which is truncated to the buffer, the rest lost.
func TestConformanceSizes(t *testing.T) {
	forEach(t, func(t *testing.T, c udpConn, client *net.UDPConn) {
		big := bytes.Repeat([]byte("0123456789"), 900)
		for _, p := range [][]byte{{}, big, []byte("after")} {
			if _, err := client.Write(p); err != nil {
				t.Fatal(err)
			}
		}
		buf := make([]byte, 100)
		for _, want := range [][]byte{{}, big[:100], []byte("after")} {
			n, from, err := readWithin(c, buf, 5*time.Second)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if !bytes.Equal(buf[:n], want) {
				t.Errorf("read %d bytes %.20q, want %d bytes %.20q", n, buf[:n], len(want), want)
			}
			if from.String() != client.LocalAddr().String() {
				t.Errorf("from %v, want %v", from, client.LocalAddr())
			}
		}
		// A zero-length write is a datagram too.
		if n, err := c.WriteToUDPAddrPort(nil, client.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil || n != 0 {
			t.Fatalf("zero-length WriteToUDPAddrPort: %d, %v", n, err)
		}
		n, err := client.Read(buf)
		if err != nil || n != 0 {
			t.Fatalf("client read %d, %v: want an empty datagram", n, err)
		}
	})
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) && errors.As(err, &ne) && ne.Timeout()
}

// TestConformanceDeadlines: a past deadline fails a read at once, even
// with a datagram queued; a future one wakes a blocked read; moving it
// into the past wakes a blocked read; clearing it lets reads succeed.
func TestConformanceDeadlines(t *testing.T) {
	forEach(t, func(t *testing.T, c udpConn, client *net.UDPConn) {
		buf := make([]byte, 64)
		c.SetReadDeadline(time.Now().Add(-time.Second))
		if _, _, err := c.ReadFromUDPAddrPort(buf); !isTimeout(err) {
			t.Fatalf("read past its deadline: %v, want a timeout matching os.ErrDeadlineExceeded", err)
		}
		start := time.Now()
		c.SetReadDeadline(start.Add(50 * time.Millisecond))
		_, _, err := c.ReadFromUDPAddrPort(buf)
		if d := time.Since(start); !isTimeout(err) || d < 45*time.Millisecond || d > 5*time.Second {
			t.Fatalf("read with a 50ms deadline: %v after %v", err, d)
		}
		c.SetReadDeadline(time.Time{})
		woke := make(chan error, 1)
		go func() {
			_, _, err := c.ReadFromUDPAddrPort(buf)
			woke <- err
		}()
		// Set the deadline into the past until the reader is woken: the
		// first call may come before it waits, which is as good.
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		deadline := time.After(5 * time.Second)
	wait:
		for {
			c.SetReadDeadline(time.Now().Add(-time.Second))
			select {
			case err := <-woke:
				if !isTimeout(err) {
					t.Fatalf("blocked read after its deadline moved to the past: %v", err)
				}
				break wait
			case <-tick.C:
			case <-deadline:
				t.Fatal("a blocked read was not woken by a past deadline within 5s")
			}
		}
		// A datagram queued while the deadline is past is still there
		// once it is cleared.
		client.Write([]byte("kept"))
		if _, _, err := c.ReadFromUDPAddrPort(buf); !isTimeout(err) {
			t.Fatalf("read past its deadline: %v", err)
		}
		c.SetReadDeadline(time.Time{})
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, _, err := c.ReadFromUDPAddrPort(buf); err != nil || string(buf[:n]) != "kept" {
			t.Fatalf("read after clearing the deadline: %q, %v", buf[:n], err)
		}
		c.SetWriteDeadline(time.Now().Add(-time.Second))
		if _, err := c.WriteToUDPAddrPort([]byte("x"), client.LocalAddr().(*net.UDPAddr).AddrPort()); !isTimeout(err) {
			t.Fatalf("write past its deadline: %v", err)
		}
		c.SetWriteDeadline(time.Time{})
	})
}

// TestConformanceClose: Close wakes every blocked reader with an error
// matching net.ErrClosed, and reads and writes after it fail the same way.
func TestConformanceClose(t *testing.T) {
	forEach(t, func(t *testing.T, c udpConn, client *net.UDPConn) {
		const readers = 4
		errs := make(chan error, readers)
		var started sync.WaitGroup
		for range readers {
			started.Add(1)
			go func() {
				started.Done()
				_, _, err := c.ReadFrom(make([]byte, 64))
				errs <- err
			}()
		}
		started.Wait()
		if err := c.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		for range readers {
			select {
			case err := <-errs:
				if !errors.Is(err, net.ErrClosed) {
					t.Errorf("blocked read after Close: %v, want net.ErrClosed", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("a blocked read was not woken by Close within 5s")
			}
		}
		if _, _, err := c.ReadFrom(make([]byte, 64)); !errors.Is(err, net.ErrClosed) {
			t.Errorf("read after Close: %v", err)
		}
		if _, err := c.WriteTo([]byte("x"), client.LocalAddr()); !errors.Is(err, net.ErrClosed) {
			t.Errorf("write after Close: %v", err)
		}
		if err := c.Close(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("second Close: %v, want net.ErrClosed", err)
		}
	})
}

// TestConformanceConcurrent has several readers echo what several
// clients send, and checks each datagram is read exactly once and each
// client gets its echoes.
func TestConformanceConcurrent(t *testing.T) {
	forEach(t, func(t *testing.T, c udpConn, _ *net.UDPConn) {
		const clients, per, readers = 4, 200, 4
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var mu sync.Mutex
		seen := map[string]int{}
		var rg sync.WaitGroup
		for range readers {
			rg.Add(1)
			go func() {
				defer rg.Done()
				buf := make([]byte, 64)
				for {
					n, from, err := c.ReadFromUDPAddrPort(buf)
					if err != nil {
						return
					}
					mu.Lock()
					seen[string(buf[:n])]++
					mu.Unlock()
					c.WriteToUDPAddrPort(buf[:n], from)
				}
			}()
		}
		var cg sync.WaitGroup
		echoes := make([]int, clients)
		for i := range clients {
			cg.Add(1)
			go func() {
				defer cg.Done()
				cl, err := net.DialUDP("udp4", nil, c.LocalAddr().(*net.UDPAddr))
				if err != nil {
					t.Error(err)
					return
				}
				defer cl.Close()
				cl.SetReadBuffer(1 << 20)
				dl, _ := ctx.Deadline()
				cl.SetDeadline(dl)
				buf := make([]byte, 64)
				// Lock-step: each datagram's echo before the next, so no
				// buffer anywhere can overflow and every count is exact.
				for k := range per {
					fmt.Fprintf(cl, "c%d-%d", i, k)
					if _, err := cl.Read(buf); err != nil {
						t.Errorf("client %d: echo %d: %v", i, k, err)
						return
					}
					echoes[i]++
				}
			}()
		}
		cg.Wait()
		c.SetReadDeadline(time.Now().Add(-time.Second))
		rg.Wait()
		if len(seen) != clients*per {
			t.Errorf("read %d distinct datagrams, want %d", len(seen), clients*per)
		}
		for p, n := range seen {
			if n != 1 {
				t.Errorf("%q read %d times", p, n)
			}
		}
		for i, n := range echoes {
			if n != per {
				t.Errorf("client %d got %d echoes, want %d", i, n, per)
			}
		}
	})
}
