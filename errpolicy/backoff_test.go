package errpolicy_test

import (
	"math"
	"testing"
	"time"

	"github.com/udprx/udprx/errpolicy"
)

func TestBackoffBounds(t *testing.T) {
	// With r at 0 every wait is the lower bound c/2, at 1 the upper
	// bound c, where c = min(Max, Initial*Multiplier^n).
	tests := []struct {
		name string
		b    errpolicy.BackoffSchedule
		r    float64 // NextWith's jitter
		want []time.Duration
	}{
		{"defaults, low", errpolicy.BackoffSchedule{}, 0, []time.Duration{
			5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond,
		}},
		{"defaults, high", errpolicy.BackoffSchedule{}, 1, []time.Duration{
			10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond,
		}},
		{"custom, middle", errpolicy.BackoffSchedule{Initial: 100 * time.Millisecond, Max: time.Second, Multiplier: 3}, 0.5, []time.Duration{
			75 * time.Millisecond, 225 * time.Millisecond, 675 * time.Millisecond, 750 * time.Millisecond, 750 * time.Millisecond,
		}},
		{"initial above max is capped", errpolicy.BackoffSchedule{Initial: time.Minute, Max: time.Second}, 1, []time.Duration{
			time.Second, time.Second,
		}},
		{"multiplier below 1 means the default", errpolicy.BackoffSchedule{Initial: time.Millisecond, Multiplier: 0.5}, 1, []time.Duration{
			time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond,
		}},
		{"NaN multiplier means the default", errpolicy.BackoffSchedule{Initial: time.Millisecond, Multiplier: math.NaN()}, 1, []time.Duration{
			time.Millisecond, 2 * time.Millisecond,
		}},
		{"negative rand is clamped", errpolicy.BackoffSchedule{}, -3, []time.Duration{5 * time.Millisecond}},
		{"rand above 1 is clamped", errpolicy.BackoffSchedule{}, 7, []time.Duration{10 * time.Millisecond}},
		{"NaN rand is clamped", errpolicy.BackoffSchedule{}, math.NaN(), []time.Duration{5 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.b
			for i, want := range tt.want {
				if got := b.NextWith(tt.r); got != want {
					t.Fatalf("NextWith() #%d = %v, want %v", i, got, want)
				}
				if b.Attempt() != i+1 {
					t.Fatalf("Attempt() = %d after %d calls", b.Attempt(), i+1)
				}
			}
		})
	}
}

func TestBackoffCapNeverOverflows(t *testing.T) {
	b := errpolicy.BackoffSchedule{Multiplier: 1e300}
	for i := range 5000 {
		d := b.NextWith(0.999999)
		if d < 0 || d > errpolicy.DefaultMax {
			t.Fatalf("Next() #%d = %v, outside [0, %v]", i, d, errpolicy.DefaultMax)
		}
		if i > 2 && d < errpolicy.DefaultMax/2 {
			t.Fatalf("Next() #%d = %v, below half of Max", i, d)
		}
	}
}

func TestBackoffGrowsWithRealRandomness(t *testing.T) {
	var b errpolicy.BackoffSchedule // math/rand/v2
	lo, hi := errpolicy.DefaultInitial, errpolicy.DefaultInitial
	for i := range 20 {
		d := b.Next()
		if d < lo/2 || d > hi {
			t.Fatalf("Next() #%d = %v, outside [%v, %v]", i, d, lo/2, hi)
		}
		lo, hi = min(lo*2, errpolicy.DefaultMax), min(hi*2, errpolicy.DefaultMax)
	}
}

func TestBackoffReset(t *testing.T) {
	var b errpolicy.BackoffSchedule
	for range 10 {
		b.NextWith(1)
	}
	if b.Attempt() != 10 {
		t.Fatalf("Attempt() = %d, want 10", b.Attempt())
	}
	b.Reset()
	if b.Attempt() != 0 {
		t.Fatalf("Attempt() = %d after Reset", b.Attempt())
	}
	if got := b.NextWith(1); got != errpolicy.DefaultInitial {
		t.Fatalf("NextWith(1) after Reset = %v, want %v", got, errpolicy.DefaultInitial)
	}
}
