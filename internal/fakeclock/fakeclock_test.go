package fakeclock_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/udprx/udprx/internal/fakeclock"
)

var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// fired returns the value waiting on ch, if any, without blocking.
func fired(ch <-chan time.Time) (time.Time, bool) {
	select {
	case t := <-ch:
		return t, true
	default:
		return time.Time{}, false
	}
}

func TestNowAndAdvance(t *testing.T) {
	c := fakeclock.New(epoch)
	if got := c.Now(); !got.Equal(epoch) {
		t.Fatalf("Now() = %v, want %v", got, epoch)
	}
	c.Advance(1500 * time.Millisecond)
	c.Advance(0)
	if got, want := c.Now(), epoch.Add(1500*time.Millisecond); !got.Equal(want) {
		t.Fatalf("Now() = %v, want %v", got, want)
	}
}

func TestAdvanceNegativePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Advance(-1) did not panic")
		}
	}()
	fakeclock.New(epoch).Advance(-1)
}

func TestAfter(t *testing.T) {
	tests := []struct {
		name    string
		after   time.Duration
		advance []time.Duration
		fires   bool
	}{
		{"zero fires at once", 0, nil, true},
		{"negative fires at once", -time.Second, nil, true},
		{"not yet due", time.Second, []time.Duration{999 * time.Millisecond}, false},
		{"exactly due", time.Second, []time.Duration{time.Second}, true},
		{"past due", time.Second, []time.Duration{time.Hour}, true},
		{"due in steps", time.Second, []time.Duration{400 * time.Millisecond, 600 * time.Millisecond}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fakeclock.New(epoch)
			ch := c.After(tt.after)
			for _, d := range tt.advance {
				c.Advance(d)
			}
			got, ok := fired(ch)
			if ok != tt.fires {
				t.Fatalf("fired = %v, want %v", ok, tt.fires)
			}
			if want := epoch.Add(max(tt.after, 0)); ok && !got.Equal(want) {
				t.Errorf("received %v, want the deadline %v", got, want)
			}
			if want := 1; !ok && c.Waiters() != want {
				t.Errorf("Waiters() = %d, want %d", c.Waiters(), want)
			}
			if ok && c.Waiters() != 0 {
				t.Errorf("Waiters() = %d after firing, want 0", c.Waiters())
			}
		})
	}
}

func TestAdvanceFiresEveryDueChannel(t *testing.T) {
	c := fakeclock.New(epoch)
	// Created out of order, with two equal deadlines.
	durations := []time.Duration{3 * time.Second, time.Second, 2 * time.Second, time.Second, 10 * time.Second}
	chans := make([]<-chan time.Time, len(durations))
	for i, d := range durations {
		chans[i] = c.After(d)
	}
	if got := c.Waiters(); got != len(durations) {
		t.Fatalf("Waiters() = %d, want %d", got, len(durations))
	}

	// The channels are buffered, so the order of the sends is not
	// observable from outside; what is: every due channel fired with its
	// own deadline, in one Advance, and the one not due did not.
	c.Advance(5 * time.Second)
	var got []time.Time
	for i, ch := range chans {
		if v, ok := fired(ch); ok {
			got = append(got, v)
			if want := epoch.Add(durations[i]); !v.Equal(want) {
				t.Errorf("channel %d received %v, want %v", i, v, want)
			}
		}
	}
	if len(got) != 4 {
		t.Fatalf("%d channels fired, want 4", len(got))
	}
	if c.Waiters() != 1 {
		t.Fatalf("Waiters() = %d, want 1 (the 10s one)", c.Waiters())
	}
	if _, ok := fired(chans[4]); ok {
		t.Fatal("10s channel fired at 5s")
	}
	c.Advance(5 * time.Second)
	if _, ok := fired(chans[4]); !ok {
		t.Fatal("10s channel did not fire at 10s")
	}
}

// TestAdvanceFiresByDeadline checks, with a parked receiver, that a later
// deadline does not fire before its time while earlier ones do.
func TestAdvanceFiresByDeadline(t *testing.T) {
	c := fakeclock.New(epoch)
	a := c.After(2 * time.Second)
	b := c.After(time.Second)
	cc := c.After(time.Second)
	order := make(chan string, 3)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 3 {
			select {
			case <-a:
				order <- "a"
				a = nil
			case <-b:
				order <- "b"
				b = nil
			case <-cc:
				order <- "c"
				cc = nil
			}
		}
	}()
	c.Advance(time.Second)
	first, second := <-order, <-order
	if !(first == "b" && second == "c" || first == "c" && second == "b") {
		t.Fatalf("fired %s, %s at 1s; want b and c", first, second)
	}
	c.Advance(time.Second)
	if got := <-order; got != "a" {
		t.Fatalf("fired %s at 2s, want a", got)
	}
	wg.Wait()
}

func TestBlockUntil(t *testing.T) {
	c := fakeclock.New(epoch)
	const n = 3
	done := make(chan time.Time, n)
	for range n {
		go func() { done <- <-c.After(time.Minute) }()
	}
	c.BlockUntil(n)
	if got := c.Waiters(); got != n {
		t.Fatalf("Waiters() = %d after BlockUntil(%d)", got, n)
	}
	c.Advance(time.Minute)
	for range n {
		if got := <-done; !got.Equal(epoch.Add(time.Minute)) {
			t.Errorf("received %v, want %v", got, epoch.Add(time.Minute))
		}
	}
	c.BlockUntil(0) // returns at once
}

func TestBlockUntilContext(t *testing.T) {
	c := fakeclock.New(epoch)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.BlockUntilContext(ctx, 1) }()
	cancel()
	if err := <-errc; err != context.Canceled {
		t.Fatalf("BlockUntilContext = %v, want context.Canceled", err)
	}
	c.After(time.Second)
	if err := c.BlockUntilContext(context.Background(), 1); err != nil {
		t.Fatalf("BlockUntilContext with a waiter = %v", err)
	}
}

// TestConcurrent exercises every method from several goroutines; run it
// with -race.
func TestConcurrent(t *testing.T) {
	c := fakeclock.New(epoch)
	const goroutines, each = 4, 100
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				ch := c.After(time.Duration(i%5+1) * time.Millisecond)
				_ = c.Now()
				_ = c.Waiters()
				<-ch
			}
		}()
	}
	stop := make(chan struct{})
	go func() { wg.Wait(); close(stop) }()
	for {
		select {
		case <-stop:
			if got := c.Waiters(); got != 0 {
				t.Fatalf("Waiters() = %d at the end", got)
			}
			return
		default:
			c.Advance(time.Millisecond)
		}
	}
}
