package peers

import (
	"context"
	"net"
	"testing"
	"time"
)

// TestRawmmsgReceiver receives on each address family and with two
// loops, counts exactly what was sent, and stops.
func TestRawmmsgReceiver(t *testing.T) {
	for _, tc := range []struct {
		listen, dial string
		loops        int
	}{
		{"udp4://127.0.0.1:0", "127.0.0.1", 1},
		{"udp6://[::1]:0", "::1", 1},
		{"udp://:0", "127.0.0.1", 1},
		{"udp4://127.0.0.1:0", "127.0.0.1", 2},
	} {
		t.Run(tc.listen, func(t *testing.T) {
			r, err := newRawmmsgReceiver(RecvConfig{Listen: tc.listen, Loops: tc.loops, RecvBuffer: 1 << 20})
			if err != nil {
				t.Skip(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			runErr := make(chan error, 1)
			go func() { runErr <- r.Run(ctx) }()
			port := r.Addr().(*net.UDPAddr).Port
			const n = 500
			for range n {
				c, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.ParseIP(tc.dial), Port: port})
				if err != nil {
					t.Fatal(err)
				}
				c.Write(make([]byte, 10))
				c.Close()
			}
			waitDatagrams(t, ctx, r, n)
			if err := r.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-runErr; err != nil {
				t.Errorf("Run: %v", err)
			}
			c := r.Counts()
			if c.Datagrams != n || c.Bytes != 10*n || c.Loops != tc.loops || c.Backend != "rawmmsg" || c.Batches == 0 {
				t.Errorf("Counts %+v", c)
			}
			if err := r.Stop(ctx); err != nil {
				t.Errorf("second Stop: %v", err)
			}
		})
	}
}
