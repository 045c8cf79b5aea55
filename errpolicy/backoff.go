package errpolicy

import (
	"math"
	"math/rand/v2"
	"time"
)

// Default parameters of a [BackoffSchedule].
const (
	// DefaultInitial is the upper bound of the first wait: short, because
	// most shortages clear within milliseconds.
	DefaultInitial = 10 * time.Millisecond
	// DefaultMax is the upper bound of every wait: a stuck loop still
	// tries every few seconds.
	DefaultMax = 5 * time.Second
	// DefaultMultiplier doubles the bound with each attempt.
	DefaultMultiplier = 2.0
)

// BackoffSchedule produces the waits between attempts after a [Backoff]
// verdict: exponential growth with equal jitter. (It cannot be called Backoff:
// that is the verdict's name.)
//
// The n-th call to Next (counting from 0 after Reset) returns a duration in
// [c/2, c], where c = min(Max, Initial*Multiplier^n): half of it fixed, half
// uniformly random. Equal jitter rather than AWS's "full jitter" (uniform in
// [0, c]), on purpose: full jitter spreads many clients contending for one
// server best, but a receive loop backs off from a local shortage (ENOBUFS,
// ENOMEM, EMFILE) or a socket about to be re-opened, where what matters is
// that the pause really grows. Full jitter returns near-zero waits at any
// attempt with fair probability, so several loops of one process could retry
// at once, again and again; equal jitter guarantees each wait is at least
// half the schedule while still spreading the loops by up to a factor of two.
// With the defaults the waits are 5-10 ms, 10-20 ms, ... up to 2.5-5 s.
//
// The zero BackoffSchedule is ready to use with the defaults. A BackoffSchedule belongs to one
// receive loop and is not safe for concurrent use.
type BackoffSchedule struct {
	// Initial is the upper bound of the first wait; 0 (or less) means
	// DefaultInitial. It is capped at Max.
	Initial time.Duration
	// Max is the upper bound of every wait; 0 (or less) means DefaultMax.
	Max time.Duration
	// Multiplier is the growth per attempt; 0, anything below 1 and NaN
	// mean DefaultMultiplier.
	Multiplier float64
	attempt    int
}

// Next returns the next wait and counts an attempt, its jitter drawn from
// math/rand/v2.
func (b *BackoffSchedule) Next() time.Duration { return b.NextWith(rand.Float64()) }

// NextWith is Next with the jitter given by the caller: r in [0, 1] picks
// the wait from the lower bound c/2 (0) to the upper bound c (1); values
// outside are clamped, NaN is 0. It is for a caller that keeps its own
// random source, such as a seeded one for a reproducible run.
func (b *BackoffSchedule) NextWith(r float64) time.Duration {
	initial, limit, mult := b.params()
	// The float computation cannot overflow: a huge power is +Inf, which
	// the comparison with limit caps. Durations up to DefaultMax and far
	// beyond are exact in a float64's 53 bits.
	ceil := float64(limit)
	if c := float64(initial) * math.Pow(mult, float64(b.attempt)); c < ceil {
		ceil = c
	}
	if b.attempt < math.MaxInt {
		b.attempt++
	}
	r = clampUnit(r)
	half := ceil / 2
	d := time.Duration(half + r*(ceil-half))
	return min(d, limit)
}

// Reset starts the schedule again from Initial; call it after a success.
func (b *BackoffSchedule) Reset() { b.attempt = 0 }

// Attempt returns how many times Next was called since the last Reset.
func (b *BackoffSchedule) Attempt() int { return b.attempt }

// params returns Initial, Max and Multiplier with the defaults applied.
func (b *BackoffSchedule) params() (initial, limit time.Duration, mult float64) {
	initial, limit, mult = b.Initial, b.Max, b.Multiplier
	if limit <= 0 {
		limit = DefaultMax
	}
	if initial <= 0 {
		initial = DefaultInitial
	}
	initial = min(initial, limit)
	if !(mult >= 1) || math.IsInf(mult, 1) {
		mult = DefaultMultiplier
	}
	return initial, limit, mult
}

// clampUnit returns r clamped to [0, 1], NaN as 0.
func clampUnit(r float64) float64 {
	switch {
	case !(r >= 0): // also NaN
		return 0
	case r > 1:
		return 1
	}
	return r
}
