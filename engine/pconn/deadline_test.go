package pconn

import (
	"testing"
	"time"
)

// passedWithin reports whether d's channel is closed within limit.
func passedWithin(d *deadline, limit time.Duration) bool {
	select {
	case <-d.wait():
		return true
	case <-time.After(limit):
		return false
	}
}

// TestDeadlineSequences moves one deadline through every transition
// (none, future, moved, cleared, past, future again) and checks after each
// whether it has passed: a stopped timer is reused, never waited on.
func TestDeadlineSequences(t *testing.T) {
	d := newDeadline()
	steps := []struct {
		name   string
		at     time.Duration // from now; 0: the zero time (no deadline)
		passes bool          // expected to pass within 2 s
	}{
		{"far future", time.Hour, false},
		{"moved far", 2 * time.Hour, false},
		{"cleared", 0, false},
		{"future after clear", time.Hour, false},
		{"past", -time.Second, true},
		{"future after past", time.Hour, false},
		{"near future", 20 * time.Millisecond, true},
		{"moved after it went off", time.Hour, false},
		{"near future again", 20 * time.Millisecond, true},
	}
	for _, s := range steps {
		at := time.Time{}
		if s.at != 0 {
			at = time.Now().Add(s.at)
		}
		done := make(chan struct{})
		go func() { d.set(at); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: set did not return", s.name)
		}
		limit := 100 * time.Millisecond
		if s.passes {
			limit = 2 * time.Second
		}
		if got := passedWithin(d, limit); got != s.passes {
			t.Errorf("%s: passed %v, want %v", s.name, got, s.passes)
		}
	}
}

// TestDeadlineMoveAllocs checks that moving a deadline that has not
// passed allocates nothing: miekg/dns moves its read deadline before
// every read.
func TestDeadlineMoveAllocs(t *testing.T) {
	d := newDeadline()
	d.set(time.Now().Add(time.Hour))
	allocs := testing.AllocsPerRun(100, func() { d.set(time.Now().Add(time.Hour)) })
	if allocs != 0 {
		t.Errorf("%v allocations per deadline move, want 0", allocs)
	}
}
