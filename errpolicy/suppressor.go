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
// second. For each kind of error (a [Decision]'s Name) it writes the first
// occurrence since the last recovery as one line, then only counts repeats and
// writes at most one summary line per kind per interval. When reads succeed
// again, one line says so. A kind is identified by name only: all unknown
// errnos are one kind, "unknown".
//
// The lines, with the attributes given to NewSuppressor added to each:
//
//	level by verdict  msg="receive error"          errno verdict reason error
//	level by verdict  msg="receive error repeated" errno verdict count over
//	INFO              msg="receive recovered"      errors suppressed after
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

	kinds  []kindState // seen since the last recovery, in order of first occurrence
	errors uint64      // errors since the last recovery
	first  time.Time   // time of the first of them
	lines  uint64
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
	if k := s.kind(name); k != nil {
		k.pending++
		k.verdict = d.Verdict
	} else {
		s.kinds = append(s.kinds, kindState{name: name, verdict: d.Verdict, since: now})
		s.log(levelFor(d.Verdict), "receive error",
			slog.String("errno", name),
			slog.String("verdict", d.Verdict.String()),
			slog.String("reason", d.Reason),
			slog.Any("error", err))
	}
	s.summarize(now, false)
}

// Recovered records a successful read. If errors came since the last
// recovery, it writes one line with how many, folding in any summaries still
// pending, and forgets every kind, so the next error is written again.
func (s *Suppressor) Recovered() {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errors == 0 {
		return
	}
	s.log(slog.LevelInfo, "receive recovered",
		slog.Uint64("errors", s.errors),
		slog.Uint64("suppressed", s.errors-uint64(len(s.kinds))),
		slog.Duration("after", now.Sub(s.first)))
	clear(s.kinds) // drop references before reusing the backing array
	s.kinds = s.kinds[:0]
	s.errors = 0
}

// Flush writes the pending summaries now, whatever the interval; call it when
// the loop ends.
func (s *Suppressor) Flush() {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.summarize(now, true)
}

// Lines returns how many lines the Suppressor has written, including those a
// nil logger or the handler's level discarded.
func (s *Suppressor) Lines() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lines
}

// kind returns the state of the named kind, or nil if it has not occurred
// since the last recovery. The kinds are few (each is a table row), so a
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
