package errpolicy_test

import (
	"testing"

	"github.com/udprx/udprx/errpolicy"
)

func dec(v errpolicy.Verdict) errpolicy.Decision {
	return errpolicy.Decision{Verdict: v, Name: v.String()}
}

// step is one Observe (or, with success set, one Success) and what it must
// return.
type step struct {
	in      errpolicy.Verdict
	success bool
	want    errpolicy.Verdict
	times   int // repeat this step; 0 means once
}

func TestStreak(t *testing.T) {
	const (
		R = errpolicy.Retry
		W = errpolicy.Wait
		C = errpolicy.Count
		B = errpolicy.Backoff
		F = errpolicy.Fatal
		S = errpolicy.Stop
	)
	ok := step{success: true}
	tests := []struct {
		name   string
		limit  int
		retry  int
		steps  []step
		endLen int
	}{
		{"backoff escalates at the default limit", 0, 0, []step{
			{in: B, want: B, times: errpolicy.DefaultStreakLimit - 1}, {in: B, want: F},
		}, 0},
		{"fatal starts afresh", 3, 0, []step{
			{in: B, want: B, times: 2}, {in: B, want: F}, {in: B, want: B, times: 2}, {in: B, want: F},
		}, 0},
		{"success resets the count", 3, 0, []step{
			{in: B, want: B, times: 2}, ok, {in: B, want: B, times: 2}, ok, {in: B, want: B, times: 2},
		}, 2},
		{"wait, retry and count do not reset backoffs", 3, 0, []step{
			{in: B, want: B}, {in: W, want: W}, {in: R, want: R}, {in: C, want: C}, {in: B, want: B}, {in: W, want: W}, {in: B, want: F},
		}, 0},
		{"retry escalates beyond the default bound", 0, 0, []step{
			{in: R, want: R, times: errpolicy.DefaultRetryLimit}, {in: R, want: B}, {in: R, want: R},
		}, errpolicy.DefaultRetryLimit + 2},
		{"count is bounded the same way", 0, 4, []step{
			{in: C, want: C, times: 2}, {in: R, want: R, times: 2}, {in: C, want: B}, {in: C, want: C},
		}, 6},
		{"wait resets the re-read bound", 0, 3, []step{
			{in: R, want: R, times: 3}, {in: W, want: W}, {in: R, want: R, times: 3}, {in: R, want: B},
		}, 7},
		{"success resets the re-read bound", 0, 3, []step{
			{in: C, want: C, times: 3}, ok, {in: C, want: C, times: 3}, {in: C, want: B},
		}, 4},
		{"an endless retry storm ends fatal", 2, 2, []step{
			{in: R, want: R, times: 2}, {in: R, want: B}, {in: R, want: R, times: 2}, {in: R, want: F}, {in: R, want: R},
		}, 1},
		{"count and wait alone never escalate", 0, 0, []step{
			{in: C, want: C}, {in: W, want: W}, {in: C, want: C}, {in: W, want: W, times: 10000},
		}, 2},
		{"fatal and stop pass through and reset", 0, 0, []step{
			{in: B, want: B}, {in: F, want: F}, {in: B, want: B}, {in: S, want: S},
		}, 0},
		{"zero decision changes nothing", 2, 0, []step{
			{in: B, want: B}, {in: 0, want: 0, times: 5}, {in: B, want: F},
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := errpolicy.Streak{Limit: tt.limit, RetryLimit: tt.retry}
			for i, st := range tt.steps {
				for n := range max(st.times, 1) {
					if st.success {
						s.Success()
						if s.Len() != 0 {
							t.Fatalf("step %d: Len() = %d after Success", i, s.Len())
						}
						continue
					}
					if got := s.Observe(dec(st.in)); got != st.want {
						t.Fatalf("step %d, repeat %d: Observe(%v) = %v, want %v", i, n, st.in, got, st.want)
					}
				}
			}
			if s.Len() != tt.endLen {
				t.Errorf("Len() = %d at the end, want %d", s.Len(), tt.endLen)
			}
		})
	}
}

func TestStreakLenIgnoresWait(t *testing.T) {
	var s errpolicy.Streak
	s.Observe(dec(errpolicy.Count))
	s.Observe(dec(errpolicy.Wait))
	s.Observe(dec(errpolicy.Retry))
	s.Observe(dec(errpolicy.Backoff))
	if got := s.Len(); got != 3 {
		t.Fatalf("Len() = %d, want 3", got)
	}
}
