package errpolicy_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/udprx/udprx/errpolicy"
	"github.com/udprx/udprx/internal/fakeclock"
)

var _ errpolicy.Clock = (*fakeclock.Clock)(nil)

var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// newTestSuppressor returns a Suppressor logging text lines without times
// to a buffer, with a fake clock.
func newTestSuppressor(interval time.Duration, attrs ...slog.Attr) (*errpolicy.Suppressor, *fakeclock.Clock, *bytes.Buffer) {
	var buf bytes.Buffer
	h := slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	})
	clk := fakeclock.New(epoch)
	return errpolicy.NewSuppressor(slog.New(h), clk, interval, attrs...), clk, &buf
}

func lines(buf *bytes.Buffer) []string {
	s := strings.TrimSuffix(buf.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

var (
	enotconnErr = readErr(107)
	enotconn    = errpolicy.Linux.Classify(enotconnErr)
	enobufsErr  = readErr(105)
	enobufs     = errpolicy.Linux.Classify(enobufsErr)
)

func TestSuppressorMillionWithinInterval(t *testing.T) {
	s, clk, buf := newTestSuppressor(10 * time.Second)
	const n = 1_000_000
	for range n {
		s.Report(enotconn, enotconnErr)
		clk.Advance(5 * time.Microsecond) // 5 s in all
	}
	got := lines(buf)
	if len(got) != 1 || s.Lines() != 1 {
		t.Fatalf("%d lines (Lines() = %d), want 1:\n%s", len(got), s.Lines(), buf)
	}
	want := `level=ERROR msg="receive error" errno=ENOTCONN verdict=fatal reason="` + enotconn.Reason + `" error="` + enotconnErr.Error() + `"`
	if got[0] != want {
		t.Errorf("line\n%s\nwant\n%s", got[0], want)
	}
}

func TestSuppressorSummariesOverAMinute(t *testing.T) {
	s, clk, buf := newTestSuppressor(10 * time.Second)
	const n = 1_000_000
	for range n {
		s.Report(enobufs, enobufsErr)
		clk.Advance(60 * time.Microsecond) // 60 s in all
	}
	if s.Lines() > 1+6 {
		t.Fatalf("Lines() = %d over 60 s with a 10 s interval, want at most 7", s.Lines())
	}
	s.Flush()
	got := lines(buf)
	if uint64(len(got)) != s.Lines() {
		t.Fatalf("buffer has %d lines, Lines() = %d", len(got), s.Lines())
	}
	// The first report at 0 s, summaries at just past 10, 20, 30, 40 and
	// 50 s, and the flushed rest at 60 s.
	if len(got) != 7 {
		t.Fatalf("%d lines, want 7:\n%s", len(got), buf)
	}
	var total uint64
	for i, line := range got[1:] {
		if !strings.HasPrefix(line, `level=WARN msg="receive error repeated" errno=ENOBUFS verdict=backoff count=`) {
			t.Fatalf("summary %d: %s", i, line)
		}
		total += attrUint(t, line, "count")
	}
	if total != n-1 {
		t.Errorf("summaries count %d repeats, want %d", total, n-1)
	}
	if want := "over=10.00002s"; !strings.Contains(got[1], want) {
		t.Errorf("first summary %q lacks %s", got[1], want)
	}
}

func TestSuppressorRecovered(t *testing.T) {
	s, clk, buf := newTestSuppressor(0)
	s.Recovered()
	if s.Lines() != 0 {
		t.Fatalf("Recovered with no errors wrote %d lines", s.Lines())
	}
	for range 1000 {
		s.Report(enotconn, enotconnErr)
		s.Report(enobufs, enobufsErr)
		clk.Advance(time.Millisecond)
	}
	if s.Lines() != 2 {
		t.Fatalf("Lines() = %d, want 2 (one per kind)", s.Lines())
	}
	s.Recovered()
	got := lines(buf)
	if len(got) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(got), buf)
	}
	if want := `level=INFO msg="receive recovered" errors=2000 suppressed=1998 after=1s flaps=0`; got[2] != want {
		t.Errorf("recovery line\n%s\nwant\n%s", got[2], want)
	}
	s.Recovered()
	s.Flush()
	if s.Lines() != 3 {
		t.Fatalf("a second Recovered or Flush wrote lines: %d", s.Lines())
	}
	// After a recovery, a kind written less than an interval ago is only
	// counted; once it has been quiet a whole interval it is written again.
	s.Report(enotconn, enotconnErr)
	if s.Lines() != 3 {
		t.Fatalf("Lines() = %d after an error within the interval, want 3", s.Lines())
	}
	clk.Advance(10 * time.Second)
	s.Flush() // the repeat's summary
	clk.Advance(10 * time.Second)
	s.Report(enotconn, enotconnErr)
	if s.Lines() != 5 {
		t.Fatalf("Lines() = %d after an error following a quiet interval, want 5", s.Lines())
	}
}

// TestSuppressorFlapping: a fault that fails and recovers a hundred times
// in a minute is written once, recovered once, and summarised per interval
// (the Hickory DNS storm, in its flapping form).
func TestSuppressorFlapping(t *testing.T) {
	s, clk, buf := newTestSuppressor(10 * time.Second)
	for range 100 {
		s.Report(enobufs, enobufsErr)
		s.Report(enobufs, enobufsErr)
		clk.Advance(300 * time.Millisecond)
		s.Recovered()
		clk.Advance(300 * time.Millisecond)
	}
	s.Flush()
	got := lines(buf)
	// 60 s: the first error, one recovery line per 10 s (6), one summary
	// per 10 s (6), the final flush.
	if len(got) > 14 {
		t.Fatalf("%d lines for 100 flaps in 60s, want at most 14:\n%s", len(got), buf)
	}
	var recoveries, flaps int
	for _, l := range got {
		if strings.Contains(l, "receive recovered") && !strings.Contains(l, "repeatedly") {
			recoveries++
		}
		if strings.Contains(l, "flaps=") {
			var n int
			fmt.Sscanf(l[strings.Index(l, "flaps=")+len("flaps="):], "%d", &n)
			flaps += n
		}
	}
	if recoveries+flaps != 100 {
		t.Errorf("%d recovery lines reporting %d flaps, want them to account for all 100 recoveries", recoveries, flaps)
	}
}

func TestSuppressorKindsAreIndependent(t *testing.T) {
	s, clk, buf := newTestSuppressor(10 * time.Second)
	s.Report(enotconn, enotconnErr) // line 1
	s.Report(enobufs, enobufsErr)   // line 2
	for range 10 {
		s.Report(enotconn, enotconnErr)
	}
	clk.Advance(10 * time.Second)
	// An ENOBUFS a whole interval after its line is written afresh, and
	// makes the due ENOTCONN summarise its 10 repeats.
	s.Report(enobufs, enobufsErr)
	got := lines(buf)
	if len(got) != 4 {
		t.Fatalf("%d lines, want 4:\n%s", len(got), buf)
	}
	for i, want := range []string{"errno=ENOTCONN", "errno=ENOBUFS", `msg="receive error" errno=ENOBUFS`, "errno=ENOTCONN verdict=fatal count=10 over=10s"} {
		if !strings.Contains(got[i], want) {
			t.Errorf("line %d %q lacks %q", i, got[i], want)
		}
	}
	// Nothing pending: Flush writes nothing.
	s.Flush()
	if s.Lines() != 4 {
		t.Fatalf("Flush with nothing pending wrote a line")
	}
}

func TestSuppressorUnnamedDecisionIsUnknown(t *testing.T) {
	s, _, buf := newTestSuppressor(0)
	s.Report(errpolicy.Decision{Verdict: errpolicy.Backoff}, nil)
	s.Report(errpolicy.Decision{Verdict: errpolicy.Backoff, Name: "unknown"}, nil)
	if s.Lines() != 1 || !strings.Contains(buf.String(), "errno=unknown") {
		t.Fatalf("want one line for kind unknown, got:\n%s", buf)
	}
}

func TestSuppressorAttrs(t *testing.T) {
	s, _, buf := newTestSuppressor(0, slog.Int("loop", 3), slog.String("local", "127.0.0.1:53"))
	s.Report(enotconn, enotconnErr)
	s.Report(enotconn, enotconnErr)
	s.Flush()
	s.Recovered()
	got := lines(buf)
	if len(got) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(got), buf)
	}
	for _, line := range got {
		if !strings.Contains(line, "loop=3 local=127.0.0.1:53") {
			t.Errorf("line lacks the suppressor's attributes: %s", line)
		}
	}
}

func TestSuppressorNilLoggerStillCounts(t *testing.T) {
	clk := fakeclock.New(epoch)
	s := errpolicy.NewSuppressor(nil, clk, time.Second)
	for range 100 {
		s.Report(enotconn, enotconnErr)
		clk.Advance(100 * time.Millisecond)
	}
	s.Recovered()
	// First line, summaries at 1.0, 2.0 ... 9.9 s (9), the recovery line.
	if got := s.Lines(); got != 1+9+1 {
		t.Fatalf("Lines() = %d, want 11", got)
	}
}

func TestSuppressorDefaults(t *testing.T) {
	// nil clock and zero interval: the system clock and a 10 s interval,
	// so back-to-back reports write only the first line.
	s := errpolicy.NewSuppressor(nil, nil, 0)
	for range 1000 {
		s.Report(enotconn, enotconnErr)
	}
	if s.Lines() != 1 {
		t.Fatalf("Lines() = %d, want 1", s.Lines())
	}
}

// TestSuppressorConcurrent is for -race.
func TestSuppressorConcurrent(t *testing.T) {
	s, clk, _ := newTestSuppressor(time.Millisecond)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				s.Report(enotconn, enotconnErr)
				if g == 0 {
					clk.Advance(time.Microsecond * 100)
				}
				if i%250 == 0 {
					s.Recovered()
				}
			}
		}()
	}
	wg.Wait()
	s.Flush()
	if s.Lines() == 0 {
		t.Fatal("no lines")
	}
}

// attrUint returns the value of key=N in a text log line.
func attrUint(t *testing.T, line, key string) uint64 {
	t.Helper()
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				t.Fatalf("%s in %q: %v", key, line, err)
			}
			return n
		}
	}
	t.Fatalf("no %s in %q", key, line)
	return 0
}
