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

// TestTrickleHold: naps which gather too little hold napping off for
// twice as many short reads each time, up to trickleHoldMax, and a nap
// which gathers, or a full read, ends the hold.
func TestTrickleHold(t *testing.T) {
	var tr trickle
	now := time.Unix(1000, 0)
	// read is a short read of n, 10µs after the last: the loop is chasing.
	read := func(n int) bool {
		now = now.Add(10 * time.Microsecond)
		return tr.short(now, n)
	}
	nap := func() { tr.napped(now) }
	read(1)
	if !read(1) {
		t.Fatal("a chasing short read: no nap, want one")
	}
	nap()
	if read(1) { // the nap gathered 1: held off for trickleHoldMin reads
		t.Fatal("right after a nap that gathered 1: nap, want none")
	}
	for i := 1; i < trickleHoldMin; i++ {
		if read(1) {
			t.Fatalf("short read %d of a hold of %d: nap, want none", i+1, trickleHoldMin)
		}
	}
	if !read(1) {
		t.Fatal("after the hold: no nap, want one to try")
	}
	nap()
	read(1) // gathered 1 again: the hold doubles
	if tr.hold != 2*trickleHoldMin-1 {
		t.Errorf("hold %d after the second lost nap, want %d", tr.hold, 2*trickleHoldMin-1)
	}
	for range 20 {
		tr.napped(now)
		read(0)
	}
	if tr.holdLen != trickleHoldMax {
		t.Errorf("hold length %d after many lost naps, want the most, %d", tr.holdLen, trickleHoldMax)
	}
	for tr.hold > 0 {
		if read(1) {
			t.Fatal("nap during a hold")
		}
	}
	if !read(1) {
		t.Fatal("after the hold: no nap, want one to try")
	}
	nap()
	if !read(trickleYield) { // it gathered: naps pay again
		t.Fatal("after a nap that gathered: no nap, want one")
	}
	if tr.hold != 0 || tr.holdLen != 0 {
		t.Errorf("hold %d, length %d after a nap that gathered, want 0, 0", tr.hold, tr.holdLen)
	}
	nap()
	read(1)
	if tr.hold == 0 {
		t.Fatal("a lost nap set no hold")
	}
	tr.reset()
	read(1)
	if !read(1) {
		t.Errorf("after a full read: no nap, want naps at once (hold %d)", tr.hold)
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
		{"first short read", func() bool { return tr.short(at(0), 1) }, false},
		{"another 10µs later", func() bool { return tr.short(at(10*time.Microsecond), 1) }, true},
		{"after a nap that gathered 3, 5µs past its end", func() bool {
			tr.napped(at(40 * time.Microsecond))
			return tr.short(at(45*time.Microsecond), 3)
		}, true},
		{"after a quiet spell", func() bool { return tr.short(at(45*time.Microsecond+trickleGap), 1) }, false},
		{"right after it", func() bool { return tr.short(at(46*time.Microsecond+trickleGap), 1) }, true},
		{"after a full read", func() bool {
			tr.reset()
			return tr.short(at(47*time.Microsecond+trickleGap), 1)
		}, false},
	}
	for _, st := range steps {
		if got := st.do(); got != st.want {
			t.Errorf("%s: nap %v, want %v", st.name, got, st.want)
		}
	}
}
