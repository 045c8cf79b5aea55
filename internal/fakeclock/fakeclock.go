package fakeclock

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// Clock is a fake clock. Its zero value is not usable; call New. All methods
// are safe for concurrent use.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	seq     uint64 // orders waiters with equal deadlines by their After call
	waiters []waiter
	changed chan struct{} // closed and replaced whenever waiters changes
}

type waiter struct {
	when time.Time
	seq  uint64
	ch   chan time.Time
}

// New returns a Clock whose time is start.
func New(start time.Time) *Clock {
	return &Clock{now: start, changed: make(chan struct{})}
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives the deadline, Now()+d, once Advance
// has moved the clock to or past it. Like time.After, a d of 0 or less fires
// at once, without becoming a waiter. The channel has a buffer of one, so
// firing never blocks and a channel nobody reads is simply dropped.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.seq++
	c.waiters = append(c.waiters, waiter{when: c.now.Add(d), seq: c.seq, ch: ch})
	c.notify()
	return ch
}

// Advance moves the clock forward by d and fires every After channel whose
// deadline has come, in order of deadline (and of the After calls for equal
// deadlines), each receiving its deadline. It panics if d is negative: time
// does not go back.
func (c *Clock) Advance(d time.Duration) {
	if d < 0 {
		panic("fakeclock: Advance with a negative duration")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	slices.SortFunc(c.waiters, func(a, b waiter) int {
		if n := a.when.Compare(b.when); n != 0 {
			return n
		}
		return cmp.Compare(a.seq, b.seq)
	})
	due := 0
	for due < len(c.waiters) && !c.waiters[due].when.After(c.now) {
		c.waiters[due].ch <- c.waiters[due].when
		due++
	}
	if due == 0 {
		return
	}
	c.waiters = slices.Delete(c.waiters, 0, due)
	c.notify()
}

// Waiters returns how many After channels are waiting to fire.
func (c *Clock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// BlockUntil returns once at least n After channels are waiting to fire.
// It waits without a bound; the test's own timeout is the bound. Use
// BlockUntilContext to give up earlier.
func (c *Clock) BlockUntil(n int) {
	_ = c.BlockUntilContext(context.Background(), n)
}

// BlockUntilContext returns nil once at least n After channels are waiting
// to fire, or ctx's error if it is done first.
func (c *Clock) BlockUntilContext(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		if len(c.waiters) >= n {
			c.mu.Unlock()
			return nil
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// notify wakes every BlockUntil. c.mu is held.
func (c *Clock) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}
