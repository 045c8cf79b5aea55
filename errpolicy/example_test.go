package errpolicy_test

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/udprx/udprx/errpolicy"
	"github.com/udprx/udprx/internal/fakeclock"
)

// The same errno number means different things on different platforms; the
// chain is the one a failed recvmmsg produces.
func Example() {
	err := &net.OpError{Op: "read", Net: "udp", Err: os.NewSyscallError("recvmmsg", syscall.Errno(107))}
	for _, table := range []*errpolicy.Table{errpolicy.Darwin, errpolicy.Linux} {
		d := table.Classify(err)
		fmt.Println(table.Name(), d.Name, d.Verdict)
	}
	d := errpolicy.Linux.Classify(fmt.Errorf("loop 0 on 127.0.0.1:53: %w", errpolicy.ErrHangUp))
	fmt.Println("linux", d.Name, d.Verdict)
	// Output:
	// darwin unknown backoff
	// linux ENOTCONN fatal
	// linux hangup fatal
}

// A Streak keeps an unknown error from being retried forever: the eighth
// back-off with no datagram read in between re-opens the socket.
func ExampleStreak() {
	var streak errpolicy.Streak
	d := errpolicy.Linux.Classify(syscall.Errno(300)) // no row: unknown
	for i := 1; i <= errpolicy.DefaultStreakLimit; i++ {
		fmt.Print(streak.Observe(d), " ")
	}
	fmt.Println()
	// Output: backoff backoff backoff backoff backoff backoff backoff fatal
}

// The waits of a BackoffSchedule grow exponentially, with equal jitter: with
// the jitter fixed at 0 (NextWith) they are the lower bounds.
func ExampleBackoffSchedule() {
	b := errpolicy.BackoffSchedule{Initial: 100 * time.Millisecond, Max: time.Second}
	for range 5 {
		fmt.Print(b.NextWith(0), " ")
	}
	fmt.Println()
	// Output: 50ms 100ms 200ms 400ms 500ms
}

// A Suppressor writes the first error of a kind, then counted summaries.
func ExampleSuppressor() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "reason" || a.Key == "error" {
				return slog.Attr{} // keep the example's output short and stable
			}
			return a
		},
	}))
	clock := fakeclock.New(time.Unix(0, 0))
	s := errpolicy.NewSuppressor(logger, clock, 10*time.Second, slog.Int("loop", 0))
	err := &net.OpError{Op: "read", Net: "udp", Err: os.NewSyscallError("recvmmsg", syscall.Errno(105))}
	d := errpolicy.Linux.Classify(err)
	for range 1000 {
		s.Report(d, err)
		clock.Advance(12 * time.Millisecond)
	}
	s.Recovered()
	fmt.Println(s.Lines(), "lines")
	// Output:
	// level=WARN msg="receive error" loop=0 errno=ENOBUFS verdict=backoff
	// level=WARN msg="receive error repeated" loop=0 errno=ENOBUFS verdict=backoff count=834 over=10.008s
	// level=INFO msg="receive recovered" loop=0 errors=1000 suppressed=999 after=12s flaps=0
	// 3 lines
}
