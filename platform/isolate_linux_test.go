package platform

import (
	"net"
	"testing"
	"time"
)

// TestLinuxIsolate: after Isolate a socket keeps what it had queued and
// matches no new datagram, from any source: its SO_REUSEPORT sibling gets
// them all, and its own drop count stays where it was. On a wildcard
// (dual-stack) socket too.
func TestLinuxIsolate(t *testing.T) {
	for _, tc := range []struct{ network, bind, dial string }{
		{"udp4", "127.0.0.1:0", "127.0.0.1"},
		{"udp", "[::]:0", "127.0.0.1"},
		{"udp", "[::]:0", "::1"},
	} {
		t.Run(tc.network+" "+tc.bind+" from "+tc.dial, func(t *testing.T) {
			a := listenT(t, tc.network, tc.bind, Options{ReusePort: true})
			port := a.LocalAddr().(*net.UDPAddr).Port
			to := &net.UDPAddr{IP: net.ParseIP(tc.dial), Port: port}
			send := func() {
				c, err := net.DialUDP("udp", nil, to)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if _, err := c.Write([]byte("x")); err != nil {
					t.Fatal(err)
				}
			}
			send() // only a exists: queued there
			b := listenT(t, tc.network, a.LocalAddr().String(), Options{ReusePort: true})
			if err := a.(Isolator).Isolate(); err != nil {
				t.Fatal(err)
			}
			dropsBefore := meminfoDrops(t, a)
			const n = 40 // from 40 source ports: a flow hash would pick a for some
			for range n {
				send()
			}
			bb := newBatch(t, 64, 2048)
			got, deadline := 0, time.Now().Add(5*time.Second)
			for got < n && time.Now().Before(deadline) {
				got += readQueued(t, b, bb)
			}
			if got != n {
				t.Errorf("the sibling received %d of %d", got, n)
			}
			if q := readQueued(t, a, bb); q != 1 {
				t.Errorf("the isolated socket read %d datagrams, want the 1 queued before", q)
			}
			if d := meminfoDrops(t, a); d != dropsBefore {
				t.Errorf("the isolated socket's drops went from %d to %d", dropsBefore, d)
			}
		})
	}
}
