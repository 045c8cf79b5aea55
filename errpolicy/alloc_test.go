package errpolicy_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/udprx/udprx/errpolicy"
	"github.com/udprx/udprx/internal/fakeclock"
)

// allocChains are pre-built errors of every shape Classify handles.
var allocChains = []struct {
	name string
	err  error
}{
	{"errno row", readErr(107)},
	{"errno kernel-internal", readErr(512 + 20)},
	{"errno unknown", readErr(300)},
	{"errno in no row, named by the host", readErr(5)},
	{"closed", &net.OpError{Op: "read", Net: "udp", Err: net.ErrClosed}},
	{"hang-up", fmt.Errorf("loop 0: %w", errpolicy.ErrHangUp)},
	{"no errno", fmt.Errorf("loop 0: %w", errors.New("odd"))},
	{"joined", errors.Join(errors.New("odd"), readErr(11))},
}

func TestClassifyDoesNotAllocate(t *testing.T) {
	for _, table := range []*errpolicy.Table{errpolicy.Linux, errpolicy.Darwin, errpolicy.FreeBSD, errpolicy.Windows} {
		for _, c := range allocChains {
			var d errpolicy.Decision
			if n := testing.AllocsPerRun(100, func() { d = table.Classify(c.err) }); n != 0 {
				t.Errorf("%s.Classify(%s) allocates %v times", table.Name(), c.name, n)
			}
			_ = d
		}
	}
}

// sendAllocChains are pre-built send errors of every shape ClassifySend
// handles: a send row, an errno only the receive rows name, an errno in
// no row, the sentinels, no errno at all.
var sendAllocChains = []struct {
	name string
	err  error
}{
	{"send row", &net.OpError{Op: "write", Net: "udp", Err: &os.SyscallError{Syscall: "sendmmsg", Err: syscall.Errno(105)}}},
	{"receive-only errno", &net.OpError{Op: "write", Net: "udp", Err: &os.SyscallError{Syscall: "sendmmsg", Err: syscall.Errno(24)}}},
	{"errno unknown", &net.OpError{Op: "write", Net: "udp", Err: &os.SyscallError{Syscall: "sendmsg", Err: syscall.Errno(300)}}},
	{"closed", &net.OpError{Op: "write", Net: "udp", Err: net.ErrClosed}},
	{"deadline", &net.OpError{Op: "write", Net: "udp", Err: os.ErrDeadlineExceeded}},
	{"no errno", fmt.Errorf("loop 0 send: %w", errors.New("odd"))},
	{"joined", errors.Join(errors.New("odd"), syscall.Errno(11))},
}

func TestClassifySendDoesNotAllocate(t *testing.T) {
	for _, table := range []*errpolicy.Table{errpolicy.Linux, errpolicy.Darwin, errpolicy.FreeBSD, errpolicy.Windows, errpolicy.Host()} {
		for _, c := range sendAllocChains {
			var d errpolicy.Decision
			if n := testing.AllocsPerRun(100, func() { d = table.ClassifySend(c.err) }); n != 0 {
				t.Errorf("%s.ClassifySend(%s) allocates %v times", table.Name(), c.name, n)
			}
			_ = d
		}
	}
}

func TestHotPathDoesNotAllocate(t *testing.T) {
	err := readErr(105)
	d := errpolicy.Linux.Classify(err)
	clk := fakeclock.New(epoch)
	s := errpolicy.NewSuppressor(nil, clk, 0)
	s.Report(d, err) // the first line may allocate; repeats must not
	var streak errpolicy.Streak
	var b errpolicy.BackoffSchedule
	var sink errpolicy.Verdict
	n := testing.AllocsPerRun(1000, func() {
		s.Report(d, err)
		sink = streak.Observe(d)
		streak.Success()
		_ = b.Next()
	})
	if n != 0 {
		t.Errorf("Report, Observe and Next allocate %v times per error", n)
	}
	_ = sink
}

func BenchmarkClassify(b *testing.B) {
	for _, c := range allocChains {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				errpolicy.Linux.Classify(c.err)
			}
		})
	}
}

func BenchmarkClassifySend(b *testing.B) {
	for _, c := range sendAllocChains {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				errpolicy.Linux.ClassifySend(c.err)
			}
		})
	}
}

func BenchmarkSuppressorRepeat(b *testing.B) {
	err := readErr(107)
	d := errpolicy.Linux.Classify(err)
	s := errpolicy.NewSuppressor(nil, errpolicy.SystemClock(), 0)
	b.ReportAllocs()
	for b.Loop() {
		s.Report(d, err)
	}
}
