package load

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestPacerUnpaced(t *testing.T) {
	p := newPacer(time.Now(), 0, 64)
	for _, tc := range []struct {
		remaining uint64
		want      int
	}{{math.MaxUint64, 64}, {10, 10}, {1, 1}} {
		if n, wait := p.next(time.Now(), 0, tc.remaining); n != tc.want || wait != 0 {
			t.Errorf("next(remaining %d) = %d, %v; want %d, 0", tc.remaining, n, wait, tc.want)
		}
	}
}

func TestPacerGroup(t *testing.T) {
	for _, tc := range []struct {
		perSec float64
		batch  int
		want   int
	}{
		{0.5, 64, 1},
		{999, 64, 1},
		{10_000, 64, 10},
		{50_000, 64, 50},
		{1_000_000, 64, 64},
		{1_000_000, 16, 16},
	} {
		if got := newPacer(time.Time{}, tc.perSec, tc.batch).group; got != tc.want {
			t.Errorf("group at %v/s, batch %d = %d, want %d", tc.perSec, tc.batch, got, tc.want)
		}
	}
}

func TestPacerSchedule(t *testing.T) {
	start := time.Unix(1000, 0)
	p := newPacer(start, 10_000, 64) // groups of 10, one every millisecond
	// At the start datagram 0 is due, but a group is 10: wait for the 10th.
	if n, wait := p.next(start, 0, math.MaxUint64); n != 0 || !near(wait, 900*time.Microsecond) {
		t.Fatalf("at start: %d, %v; want 0, 900µs", n, wait)
	}
	if n, _ := p.next(start.Add(900*time.Microsecond), 0, math.MaxUint64); n != 10 {
		t.Fatalf("at 900µs: %d, want 10", n)
	}
	// Late by 5 ms: everything due goes at once, in calls of up to batch.
	if n, _ := p.next(start.Add(10*time.Millisecond), 10, math.MaxUint64); n != 64 {
		t.Fatalf("10 ms late: %d, want 64", n)
	}
	// The last 3 of a count go when the last of them is due.
	if n, wait := p.next(start.Add(time.Millisecond), 10, 3); n != 0 || !near(wait, 200*time.Microsecond) {
		t.Fatalf("last 3 of a count at 1 ms: %d, %v; want 0, 200µs", n, wait)
	}
	if n, _ := p.next(start.Add(1200*time.Microsecond), 10, 3); n != 3 {
		t.Fatalf("last 3 of a count at 1.2 ms: %d, want 3", n)
	}
}

// near reports whether d is within a microsecond of want (the schedule is
// computed in floating point).
func near(d, want time.Duration) bool {
	return d > want-time.Microsecond && d < want+time.Microsecond
}

// TestPacerLateWakeups runs the schedule on a simulated clock whose sleeps
// wake up to 2 ms late, and checks that the count at any time stays within
// one call of rate × time.
func TestPacerLateWakeups(t *testing.T) {
	for _, rate := range []float64{1_000, 10_000, 100_000, 1_000_000} {
		rng := rand.New(rand.NewPCG(1, uint64(rate)))
		start := time.Unix(0, 0)
		p := newPacer(start, rate, 64)
		now, sent := start, uint64(0)
		end := start.Add(2 * time.Second)
		for now.Before(end) {
			n, wait := p.next(now, sent, math.MaxUint64)
			if n > 0 {
				sent += uint64(n)
				now = now.Add(time.Microsecond) // a send call takes time too
				continue
			}
			now = now.Add(wait + time.Duration(rng.Int64N(int64(2*time.Millisecond))))
			want := rate * now.Sub(start).Seconds()
			// Just before sleeping, no more than one group ahead.
			if float64(sent) > want+float64(p.group)+1 {
				t.Fatalf("rate %v: %d sent at %v, ahead of %v", rate, sent, now.Sub(start), want)
			}
		}
		want := rate * now.Sub(start).Seconds()
		// Behind by at most the last wake-up's lateness plus a group.
		if d := want - float64(sent); d > rate*0.002+float64(p.group)+1 || d < -float64(p.group)-1 {
			t.Errorf("rate %v: %d sent in %v, want %.0f", rate, sent, now.Sub(start), want)
		}
	}
}
