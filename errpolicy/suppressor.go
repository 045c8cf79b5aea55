package errpolicy

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// DefaultSuppressInterval is the shortest time between two summary lines for
// one kind of error, when NewSuppressor is given 0.
const DefaultSuppressInterval = 10 * time.Second

// Suppressor keeps the log readable when a socket fails a million times a
// second, or fails and recovers over and over. For each kind of error (a
// [Decision]'s Name) it writes the first occurrence as one line, then only
// counts repeats and writes at most one summary line per kind per interval.
// When reads succeed again, one line says so, at most once per interval:
// a fault that flaps (fail, recover, fail) is counted, not re-announced,
// until a whole interval passes without a line about it. A kind is
// identified by name only: an errno in no row is its own kind under its
// host name ("EIO"), and errors with no name at all are one kind,
// "unknown". The kinds are bounded by the platform's errno names.
//
// The lines, with the attributes given to NewSuppressor added to each:
//
//	level by verdict  msg="receive error"          errno verdict reason error
//	level by verdict  msg="receive error repeated" errno verdict count over
//	INFO              msg="receive recovered"      errors suppressed after flaps
//	INFO              msg="receive recovered repeatedly" flaps over (Flush)
//
// The level is ERROR for Fatal, INFO for Stop and WARN for the rest. count is
// the repeats since the kind's previous line and over the time since then;
// errors is every error since the first after the last recovery, suppressed
// the part of them that got no line of its own, and after the time since the
// first.
//
// Summaries are written by Report, for every kind whose interval has passed,
// so a kind that stops occurring is summarised on the next error of any kind,
// by Flush, or folded into the recovery line.
//
// A Suppressor is safe for concurrent use, though one per receive loop is the
// intent: a mutex costs little next to a failed system call. Report does not
// allocate unless it writes a line.
type Suppressor struct {
	mu       sync.Mutex
	logger   *slog.Logger
	clock    Clock
	interval time.Duration

	kinds     []kindState // kinds seen, in order of first occurrence
	errors    uint64      // errors since the last recovery
	announced uint64      // of them, those written as a line of their own
	first     time.Time   // time of the first of them
	recovered time.Time   // time of the last recovery line
	flaps     uint64      // recoveries since then that got no line
	lines     uint64
}

// kindState is what a Suppressor knows about one kind of error.
type kindState struct {
	name    string
	verdict Verdict
	pending uint64    // repeats not yet in a line
	since   time.Time // time of the kind's last line
}

// NewSuppressor returns a Suppressor writing to logger, telling time by clock
// (nil means SystemClock), with at most one summary per kind per interval
// (0 or less means DefaultSuppressInterval). attrs are added to every line,
// for example the loop's index and local address. A nil logger discards the
// lines, but everything is still counted, [Suppressor.Lines] included.
func NewSuppressor(logger *slog.Logger, clock Clock, interval time.Duration, attrs ...slog.Attr) *Suppressor {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if len(attrs) > 0 {
		logger = slog.New(logger.Handler().WithAttrs(attrs))
	}
	if clock == nil {
		clock = SystemClock()
	}
	if interval <= 0 {
		interval = DefaultSuppressInterval
	}
	return &Suppressor{logger: logger, clock: clock, interval: interval}
}

// Report records one error with its decision. The first error of its kind
// since the last recovery is written at once; repeats are counted, and any
// kind whose interval has passed gets its summary line now.
func (s *Suppressor) Report(d Decision, err error) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	name := d.Name
	if name == "" {
		name = "unknown"
	}
	if s.errors == 0 {
		s.first = now
	}
	s.errors++
	k := s.kind(name)
	switch {
	case k != nil && (k.pending > 0 || now.Sub(k.since) < s.interval):
		k.pending++ // written within the interval: count it
		k.verdict = d.Verdict
	default: // new, or quiet for a whole interval: write it
		if k == nil {
			s.kinds = append(s.kinds, kindState{name: name})
			k = &s.kinds[len(s.kinds)-1]
		}
		k.verdict, k.since = d.Verdict, now
		s.announced++
		s.log(levelFor(d.Verdict), "receive error",
			slog.String("errno", name),
			slog.String("verdict", d.Verdict.String()),
			slog.String("reason", d.Reason),
			slog.Any("error", err))
	}
	s.summarize(now, false)
}

// Recovered records a successful read after errors. It writes one line
// with how many errors came since the last recovery, unless it wrote one
// less than an interval ago: then the recovery is counted as a flap and
// reported with the next recovery line. Kinds are remembered either way, so
// an error that comes back within its interval is counted, not re-written.
func (s *Suppressor) Recovered() {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errors == 0 {
		return
	}
	if !s.recovered.IsZero() && now.Sub(s.recovered) < s.interval {
		s.flaps++
	} else {
		s.log(slog.LevelInfo, "receive recovered",
			slog.Uint64("errors", s.errors),
			slog.Uint64("suppressed", s.errors-s.announced),
			slog.Duration("after", now.Sub(s.first)),
			slog.Uint64("flaps", s.flaps))
		s.recovered, s.flaps = now, 0
		for i := range s.kinds {
			s.kinds[i].pending = 0 // counted in this line's errors
		}
	}
	s.errors, s.announced = 0, 0
}

// Flush writes the pending summaries now, whatever the interval, and the
// recoveries not yet reported; call it when the loop ends.
func (s *Suppressor) Flush() {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.summarize(now, true)
	if s.flaps > 0 {
		s.log(slog.LevelInfo, "receive recovered repeatedly",
			slog.Uint64("flaps", s.flaps),
			slog.Duration("over", now.Sub(s.recovered)))
		s.recovered, s.flaps = now, 0
	}
}

// Lines returns how many lines the Suppressor has written, including those a
// nil logger or the handler's level discarded.
func (s *Suppressor) Lines() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lines
}

// kind returns the state of the named kind, or nil if it has never
// occurred. The kinds are few (each is a table row), so a
// linear search is the fastest.
func (s *Suppressor) kind(name string) *kindState {
	for i := range s.kinds {
		if s.kinds[i].name == name {
			return &s.kinds[i]
		}
	}
	return nil
}

// summarize writes a summary for every kind with pending repeats whose
// interval has passed, or for all of them if force is set. s.mu is held.
func (s *Suppressor) summarize(now time.Time, force bool) {
	for i := range s.kinds {
		k := &s.kinds[i]
		if k.pending == 0 || (!force && now.Sub(k.since) < s.interval) {
			continue
		}
		s.log(levelFor(k.verdict), "receive error repeated",
			slog.String("errno", k.name),
			slog.String("verdict", k.verdict.String()),
			slog.Uint64("count", k.pending),
			slog.Duration("over", now.Sub(k.since)))
		k.pending = 0
		k.since = now
	}
}

// log writes one line and counts it. s.mu is held.
func (s *Suppressor) log(level slog.Level, msg string, attrs ...slog.Attr) {
	s.lines++
	s.logger.LogAttrs(context.Background(), level, msg, attrs...)
}

// levelFor returns the level of the lines about errors with verdict v.
func levelFor(v Verdict) slog.Level {
	switch v {
	case Fatal:
		return slog.LevelError
	case Stop:
		return slog.LevelInfo
	}
	return slog.LevelWarn
}
