package errpolicy

import "time"

// Clock is the time source of a [Suppressor], and what a receive loop waits
// on between back-offs. Tests inject a fake one (internal/fakeclock) instead
// of sleeping.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After returns a channel that receives the time once d has passed,
	// like time.After.
	After(d time.Duration) <-chan time.Time
}

// SystemClock returns the Clock of the time package: time.Now and
// time.After.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
