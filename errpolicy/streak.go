package errpolicy

// Default bounds of a [Streak].
const (
	// DefaultStreakLimit is how many Backoff verdicts with no datagram read
	// between them make the last one Fatal. With the default
	// [BackoffSchedule] the seven waits before the eighth add up to 0.64 to
	// 1.27 s: long enough for a transient shortage (ENOBUFS, ENOMEM,
	// EMFILE) to clear, short enough that a failure that lasts is escalated
	// within about a second (the engine then counts it against
	// Config.MaxRestarts and reads on at the schedule's cap; it re-opens only
	// for errors whose own verdict is Fatal).
	DefaultStreakLimit = 8
	// DefaultRetryLimit is how many immediate re-reads in a row (Retry or
	// Count verdicts, with no datagram read, no Wait and no Backoff between
	// them) are allowed; the next one becomes Backoff. Real EINTRs and ICMP
	// errors are one-shot and interleave with data or EAGAIN; 64 in a row
	// means the error is not one-shot after all (a signal storm, a
	// persistent error a table calls one-shot), and re-reading at once
	// would spin a core.
	DefaultRetryLimit = 64
)

// Streak escalates repeated failures with no successful read between them, so
// that no error is retried without bound and none is fatal at once.
//
// Observe returns the decision's verdict unchanged except in two cases:
//
//   - Backoff: the Limit-th Backoff since the last [Streak.Success] becomes
//     Fatal: an escalation, for the caller to bound (the engine reads on
//     the same socket, and counts it against Config.MaxRestarts). Retry,
//     Count and Wait verdicts in between do not restart the count; only a
//     datagram does.
//   - Retry and Count: both mean "read again at once". The RetryLimit+1-th of
//     them in a row (no Success, Wait or Backoff between) becomes Backoff, so
//     an EINTR storm, or an error a table believes one-shot that keeps
//     coming, cannot spin a core; the escalated Backoff counts toward Limit,
//     so a storm that never ends is eventually Fatal too. A single Count is
//     never escalated, and real one-shot ICMP errors interleave with data or
//     EAGAIN, so they never reach the bound.
//
// Wait never escalates: it sends the loop back to the poller, which blocks.
// After Observe returns Fatal or Stop the streak starts afresh, as for a new
// socket.
//
// The zero Streak is ready to use. A Streak belongs to one receive loop and is
// not safe for concurrent use.
type Streak struct {
	// Limit is the number of Backoff verdicts without a datagram read
	// that escalates to Fatal; 0 means DefaultStreakLimit.
	Limit int
	// RetryLimit is the number of Retry or Count verdicts in a row that
	// may be re-read at once; the next one escalates to Backoff. 0 means
	// DefaultRetryLimit.
	RetryLimit int

	failures int // errors since the last Success, Wait not counted
	backoffs int // Backoff verdicts returned since the last Success
	rereads  int // Retry and Count verdicts since the last Success, Wait or Backoff
}

// Observe records one classified error and returns the verdict the loop should
// act on: d.Verdict, or an escalation of it as described on [Streak]. The zero
// Decision (from a nil error) changes nothing and returns its zero Verdict.
func (s *Streak) Observe(d Decision) Verdict {
	v := d.Verdict
	switch v {
	case Wait:
		s.rereads = 0
		return Wait
	case Retry, Count:
		s.failures++
		s.rereads++
		if s.rereads <= positiveOr(s.RetryLimit, DefaultRetryLimit) {
			return v
		}
		return s.backoff()
	case Backoff:
		s.failures++
		return s.backoff()
	case Fatal, Stop:
		s.reset()
		return v
	}
	return v
}

// backoff records a Backoff verdict and escalates it at the limit.
func (s *Streak) backoff() Verdict {
	s.rereads = 0
	s.backoffs++
	if s.backoffs >= positiveOr(s.Limit, DefaultStreakLimit) {
		s.reset()
		return Fatal
	}
	return Backoff
}

// Success records that a datagram was read, which ends the streak.
func (s *Streak) Success() { s.reset() }

// Len returns the number of errors observed since the last [Streak.Success]
// (or since the streak last started afresh), not counting Wait verdicts:
// an empty socket is not a failure.
func (s *Streak) Len() int { return s.failures }

func (s *Streak) reset() { s.failures, s.backoffs, s.rereads = 0, 0, 0 }

// positiveOr returns n if it is positive, and def otherwise.
func positiveOr(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}
