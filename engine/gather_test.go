package engine

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"
)

// TestGather: with a positive Config.Gather a loop that read a short batch waits
// before it reads again, and the datagrams that arrive meanwhile are read
// together; without it each is read as it comes. The wait is long (100 ms)
// so that the sender's datagrams, sent one at a time, all land in it.
func TestGather(t *testing.T) {
	for _, tc := range []struct {
		name    string
		gather  time.Duration
		batches func(sizes []int) bool // what the batch sizes after the first must satisfy
	}{
		{"off", -1, func(sizes []int) bool { return len(sizes) == 8 }}, // one each
		// All 8 in one batch, unless the sender was held up for 100 ms:
		// then in more, but never one each.
		{"100ms", 100 * time.Millisecond, func(sizes []int) bool { return len(sizes) < 8 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var sizes []int
			got := make(chan struct{}, 64)
			e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 1, BatchSize: 64, Gather: tc.gather,
				Handler: HandlerFunc(func(w *Writer, b Batch) {
					mu.Lock()
					sizes = append(sizes, b.Len())
					mu.Unlock()
					got <- struct{}{}
				})})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			go e.Run(ctx)
			defer e.Shutdown(context.Background())
			c, err := net.DialUDP("udp4", nil, e.Addr().(*net.UDPAddr))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			// One datagram, read alone (a short batch), starts the wait;
			// then 8 more, one at a time, each after the last was read
			// or, with gathering, while the loop waits.
			c.Write([]byte("first"))
			select {
			case <-got:
			case <-ctx.Done():
				t.Fatal("the first datagram was not delivered")
			}
			for i := range 8 {
				c.Write([]byte{byte(i)})
				if tc.gather < 0 {
					select {
					case <-got:
					case <-ctx.Done():
						t.Fatalf("datagram %d was not delivered", i)
					}
				}
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				mu.Lock()
				total := 0
				for _, n := range sizes[1:] {
					total += n
				}
				rest := append([]int(nil), sizes[1:]...)
				mu.Unlock()
				if total == 8 {
					if !tc.batches(rest) {
						t.Errorf("batches after the first: %v", rest)
					}
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("delivered %d of 8 after the first (batches %v)", total, rest)
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
}

// TestTrickle: the default gathering naps only for a short read that
// comes within trickleGap of the previous short read (a loop chasing a
// trickle), never for the first short read after a quiet spell or a full
// read (sparse traffic is read at once), and a nap does not count as a
// gap.
func TestTrickle(t *testing.T) {
	var tr trickle
	t0 := time.Unix(1000, 0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	steps := []struct {
		name string
		do   func() bool
		want bool
	}{
		{"first short read", func() bool { return tr.short(at(0)) }, false},
		{"another 10µs later", func() bool { return tr.short(at(10 * time.Microsecond)) }, true},
		{"after a nap, 5µs past its end", func() bool {
			tr.napped(at(40 * time.Microsecond))
			return tr.short(at(45 * time.Microsecond))
		}, true},
		{"after a quiet spell", func() bool { return tr.short(at(45*time.Microsecond + trickleGap)) }, false},
		{"right after it", func() bool { return tr.short(at(46*time.Microsecond + trickleGap)) }, true},
		{"after a full read", func() bool {
			tr.reset()
			return tr.short(at(47*time.Microsecond + trickleGap))
		}, false},
	}
	for _, st := range steps {
		if got := st.do(); got != st.want {
			t.Errorf("%s: nap %v, want %v", st.name, got, st.want)
		}
	}
}
