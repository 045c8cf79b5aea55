package pconn

import (
	"sync"
	"time"
)

// deadline is one direction's deadline as a channel that is closed when
// it passes, so that a blocked read or write can select on it along with
// its data and with Close. Waiting on it allocates nothing, and neither
// does moving a deadline that has not passed: the timer is reset, not
// replaced (miekg/dns moves its read deadline before every read).
type deadline struct {
	mu     sync.Mutex
	timer  *time.Timer   // closes fires when it goes off; nil until the first deadline in the future
	fires  chan struct{} // the channel timer closes
	armed  bool          // timer is running, or went off
	passed chan struct{} // closed once the deadline has passed
}

func newDeadline() *deadline { return &deadline{passed: make(chan struct{})} }

// set moves the deadline to t: the zero time means none, a time in the
// past wakes every waiter now.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.armed {
		if !d.timer.Stop() {
			<-d.fires // it went off: wait until its function has closed fires
		}
		d.armed = false
	}
	closed := isClosed(d.passed)
	if t.IsZero() {
		if closed {
			d.passed = make(chan struct{})
		}
		return
	}
	dur := time.Until(t)
	if dur <= 0 {
		if !closed {
			close(d.passed)
		}
		return
	}
	if closed {
		d.passed = make(chan struct{})
	}
	if d.timer == nil || d.fires != d.passed {
		ch := d.passed
		d.fires = ch
		d.timer = time.AfterFunc(dur, func() { close(ch) })
	} else {
		d.timer.Reset(dur) // stopped before it went off: fires is still open
	}
	d.armed = true
}

// wait returns the channel closed when the deadline passes.
func (d *deadline) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.passed
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
