package errpolicy_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/udprx/udprx/errpolicy"
)

// readErr builds the chain the platform and engine layers produce for a
// failed read: *net.OpError → *os.SyscallError → syscall.Errno.
func readErr(errno uintptr) error {
	return &net.OpError{Op: "read", Net: "udp", Err: &os.SyscallError{Syscall: "recvmmsg", Err: syscall.Errno(errno)}}
}

type classifyCase struct {
	name    string
	err     error
	verdict errpolicy.Verdict
	errName string
	errno   uintptr
}

// commonCases are the errors with no errno: the same on every platform.
func commonCases() []classifyCase {
	return []classifyCase{
		{"net.ErrClosed wrapped", &net.OpError{Op: "read", Net: "udp", Err: net.ErrClosed}, errpolicy.Stop, "closed", 0},
		{"net.ErrClosed engine-wrapped", fmt.Errorf("loop 0 read 127.0.0.1:9: %w", &net.OpError{Op: "read", Net: "udp", Err: net.ErrClosed}), errpolicy.Stop, "closed", 0},
		{"os.ErrClosed", &os.PathError{Op: "read", Path: "udp", Err: os.ErrClosed}, errpolicy.Stop, "closed", 0},
		{"hang-up wrapped", fmt.Errorf("loop 0 on 127.0.0.1:9: poller: %w", errpolicy.ErrHangUp), errpolicy.Fatal, "hangup", 0},
		{"hang-up and errno joined", errors.Join(errpolicy.ErrHangUp, syscall.Errno(9)), errpolicy.Fatal, "hangup", 0},
		{"readable but empty", fmt.Errorf("loop 0: %w", errpolicy.ErrEmptyReadable), errpolicy.Count, "empty-readable", 0},
		{"deadline", &net.OpError{Op: "read", Net: "udp", Err: os.ErrDeadlineExceeded}, errpolicy.Wait, "deadline", 0},
		{"plain error", errors.New("something odd"), errpolicy.Backoff, "unknown", 0},
		{"plain error wrapped", fmt.Errorf("read: %w", errors.New("something odd")), errpolicy.Backoff, "unknown", 0},
		{"unknown errno", readErr(300), errpolicy.Backoff, "unknown", 300},
		{"bare errno, unknown", syscall.Errno(499), errpolicy.Backoff, "unknown", 499},
	}
}

func TestClassifyLinux(t *testing.T) {
	cases := []classifyCase{
		{"EINTR", readErr(4), errpolicy.Retry, "EINTR", 4},
		{"EAGAIN", readErr(11), errpolicy.Wait, "EAGAIN", 11},
		{"ENOTCONN", readErr(107), errpolicy.Fatal, "ENOTCONN", 107},
		{"EBADF", readErr(9), errpolicy.Fatal, "EBADF", 9},
		{"ENOTSOCK", readErr(88), errpolicy.Fatal, "ENOTSOCK", 88},
		{"EINVAL", readErr(22), errpolicy.Fatal, "EINVAL", 22},
		{"EFAULT", readErr(14), errpolicy.Fatal, "EFAULT", 14},
		{"ECONNREFUSED", readErr(111), errpolicy.Count, "ECONNREFUSED", 111},
		{"EHOSTUNREACH", readErr(113), errpolicy.Count, "EHOSTUNREACH", 113},
		{"ENETUNREACH", readErr(101), errpolicy.Count, "ENETUNREACH", 101},
		{"ENOPROTOOPT", readErr(92), errpolicy.Count, "ENOPROTOOPT", 92},
		{"EACCES", readErr(13), errpolicy.Count, "EACCES", 13},
		{"EHOSTDOWN", readErr(112), errpolicy.Count, "EHOSTDOWN", 112},
		{"ECONNRESET", readErr(104), errpolicy.Count, "ECONNRESET", 104},
		{"EMSGSIZE", readErr(90), errpolicy.Count, "EMSGSIZE", 90},
		{"ENOBUFS", readErr(105), errpolicy.Backoff, "ENOBUFS", 105},
		{"ENOMEM", readErr(12), errpolicy.Backoff, "ENOMEM", 12},
		{"EMFILE", readErr(24), errpolicy.Backoff, "EMFILE", 24},
		{"ENFILE", readErr(23), errpolicy.Backoff, "ENFILE", 23},
		{"EPERM", readErr(1), errpolicy.Backoff, "EPERM", 1},
		{"ENETDOWN", readErr(100), errpolicy.Backoff, "ENETDOWN", 100},
		{"ERESTARTSYS 512", readErr(512), errpolicy.Retry, "ERESTARTSYS", 512},
		{"ERESTART_RESTARTBLOCK 516", readErr(516), errpolicy.Retry, "ERESTART_RESTARTBLOCK", 516},
		{"kernel-internal 530 without a row", readErr(530), errpolicy.Retry, "kernel-internal", 530},
		{"kernel-internal 4095 (MAX_ERRNO)", readErr(4095), errpolicy.Retry, "kernel-internal", 4095},
		{"above MAX_ERRNO is no kernel code", readErr(4096), errpolicy.Backoff, "unknown", 4096},
		{"darwin's ENOTCONN number", readErr(57), errpolicy.Backoff, hostNamed(errpolicy.Linux, "EBADSLT"), 57},
		{"EIO has no row", readErr(5), errpolicy.Backoff, hostNamed(errpolicy.Linux, "EIO"), 5},
		{"EXDEV has no row", readErr(18), errpolicy.Backoff, hostNamed(errpolicy.Linux, "EXDEV"), 18},
	}
	runClassify(t, errpolicy.Linux, append(cases, commonCases()...))
}

// hostNamed is the Name an errno in no row of table gets: the host's own
// name for it when table is the host's (its numbers mean the same errnos
// here), else "unknown".
func hostNamed(table *errpolicy.Table, name string) string {
	if table == errpolicy.Host() {
		return name
	}
	return "unknown"
}

func TestClassifyDarwin(t *testing.T) {
	cases := []classifyCase{
		{"EINTR", readErr(4), errpolicy.Retry, "EINTR", 4},
		{"EAGAIN", readErr(35), errpolicy.Wait, "EAGAIN", 35},
		{"ENOTCONN defunct", readErr(57), errpolicy.Fatal, "ENOTCONN", 57},
		{"EBADF", readErr(9), errpolicy.Fatal, "EBADF", 9},
		{"ENOTSOCK", readErr(38), errpolicy.Fatal, "ENOTSOCK", 38},
		{"ECONNREFUSED", readErr(61), errpolicy.Count, "ECONNREFUSED", 61},
		{"EHOSTUNREACH", readErr(65), errpolicy.Count, "EHOSTUNREACH", 65},
		{"ENETUNREACH", readErr(51), errpolicy.Count, "ENETUNREACH", 51},
		{"ENOPROTOOPT", readErr(42), errpolicy.Count, "ENOPROTOOPT", 42},
		{"EMSGSIZE", readErr(40), errpolicy.Count, "EMSGSIZE", 40},
		{"ECONNRESET", readErr(54), errpolicy.Count, "ECONNRESET", 54},
		{"EHOSTDOWN", readErr(64), errpolicy.Count, "EHOSTDOWN", 64},
		{"ENOBUFS", readErr(55), errpolicy.Backoff, "ENOBUFS", 55},
		{"ENETDOWN", readErr(50), errpolicy.Backoff, "ENETDOWN", 50},
		{"EACCES is no ICMP error here", readErr(13), errpolicy.Backoff, "EACCES", 13},
		{"EIO has no row", readErr(5), errpolicy.Backoff, hostNamed(errpolicy.Darwin, "EIO"), 5},
		{"Linux's ENOTCONN number", readErr(107), errpolicy.Backoff, "unknown", 107},
		{"512 is not kernel-internal", readErr(512), errpolicy.Backoff, "unknown", 512},
	}
	runClassify(t, errpolicy.Darwin, append(cases, commonCases()...))
}

func TestClassifyFreeBSD(t *testing.T) {
	cases := []classifyCase{
		{"EINTR", readErr(4), errpolicy.Retry, "EINTR", 4},
		{"EAGAIN", readErr(35), errpolicy.Wait, "EAGAIN", 35},
		{"ENOTCONN", readErr(57), errpolicy.Fatal, "ENOTCONN", 57},
		{"EBADF", readErr(9), errpolicy.Fatal, "EBADF", 9},
		{"EINVAL", readErr(22), errpolicy.Fatal, "EINVAL", 22},
		{"ECONNREFUSED", readErr(61), errpolicy.Count, "ECONNREFUSED", 61},
		{"EHOSTUNREACH", readErr(65), errpolicy.Count, "EHOSTUNREACH", 65},
		{"ENOBUFS", readErr(55), errpolicy.Backoff, "ENOBUFS", 55},
		{"ENOMEM", readErr(12), errpolicy.Backoff, "ENOMEM", 12},
		{"EMFILE", readErr(24), errpolicy.Backoff, "EMFILE", 24},
		{"512 is not kernel-internal", readErr(516), errpolicy.Backoff, "unknown", 516},
	}
	runClassify(t, errpolicy.FreeBSD, append(cases, commonCases()...))
}

func TestClassifyWindows(t *testing.T) {
	wsaRead := func(errno uintptr) error {
		return &net.OpError{Op: "read", Net: "udp", Err: &os.SyscallError{Syscall: "wsarecvfrom", Err: syscall.Errno(errno)}}
	}
	cases := []classifyCase{
		{"WSAEINTR", wsaRead(10004), errpolicy.Retry, "WSAEINTR", 10004},
		{"ERROR_OPERATION_ABORTED", wsaRead(995), errpolicy.Retry, "ERROR_OPERATION_ABORTED", 995},
		{"WSAEWOULDBLOCK", wsaRead(10035), errpolicy.Wait, "WSAEWOULDBLOCK", 10035},
		{"WSAECONNRESET", wsaRead(10054), errpolicy.Count, "WSAECONNRESET", 10054},
		{"WSAENETRESET", wsaRead(10052), errpolicy.Count, "WSAENETRESET", 10052},
		{"WSAEMSGSIZE", wsaRead(10040), errpolicy.Count, "WSAEMSGSIZE", 10040},
		{"WSAENOBUFS", wsaRead(10055), errpolicy.Backoff, "WSAENOBUFS", 10055},
		{"WSAENETDOWN", wsaRead(10050), errpolicy.Backoff, "WSAENETDOWN", 10050},
		{"WSAENOTSOCK", wsaRead(10038), errpolicy.Fatal, "WSAENOTSOCK", 10038},
		{"WSAENOTCONN", wsaRead(10057), errpolicy.Fatal, "WSAENOTCONN", 10057},
		{"WSAEBADF", wsaRead(10009), errpolicy.Fatal, "WSAEBADF", 10009},
		{"WSAESHUTDOWN", wsaRead(10058), errpolicy.Fatal, "WSAESHUTDOWN", 10058},
		{"a POSIX number means nothing here", wsaRead(107), errpolicy.Backoff, "unknown", 107},
		{"512 is not kernel-internal", wsaRead(512), errpolicy.Backoff, "unknown", 512},
	}
	runClassify(t, errpolicy.Windows, append(cases, commonCases()...))
}

func runClassify(t *testing.T, table *errpolicy.Table, cases []classifyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := table.Classify(tc.err)
			if d.Verdict != tc.verdict || d.Name != tc.errName || d.Errno != tc.errno {
				t.Errorf("%s.Classify(%v) = {%v %q %d}, want {%v %q %d}",
					table.Name(), tc.err, d.Verdict, d.Name, d.Errno, tc.verdict, tc.errName, tc.errno)
			}
			if d.Reason == "" {
				t.Errorf("%s.Classify(%v) has no reason", table.Name(), tc.err)
			}
		})
	}
}

func TestClassifyNil(t *testing.T) {
	for _, table := range []*errpolicy.Table{errpolicy.Linux, errpolicy.Darwin, errpolicy.FreeBSD, errpolicy.Windows, errpolicy.Host()} {
		if d := table.Classify(nil); d != (errpolicy.Decision{}) {
			t.Errorf("%s.Classify(nil) = %+v, want the zero Decision", table.Name(), d)
		}
	}
}

func TestClassifyUsesHost(t *testing.T) {
	for _, err := range []error{readErr(4), readErr(57), readErr(107), readErr(10054), errpolicy.ErrHangUp, errors.New("x")} {
		if got, want := errpolicy.Classify(err), errpolicy.Host().Classify(err); got != want {
			t.Errorf("Classify(%v) = %+v, Host.Classify = %+v", err, got, want)
		}
	}
}

// TestClassifyHostErrno classifies the host's own syscall constants, so the
// host table is also checked against the syscall package at run time.
func TestClassifyHostErrno(t *testing.T) {
	if errpolicy.Host() == errpolicy.Windows {
		t.Skip("the Windows table holds Winsock codes, not the syscall package's invented POSIX numbers")
	}
	cases := []struct {
		errno   syscall.Errno
		verdict errpolicy.Verdict
	}{
		{syscall.EINTR, errpolicy.Retry},
		{syscall.EAGAIN, errpolicy.Wait},
		{syscall.ECONNREFUSED, errpolicy.Count},
		{syscall.ENOBUFS, errpolicy.Backoff},
		{syscall.ENOTCONN, errpolicy.Fatal},
		{syscall.EBADF, errpolicy.Fatal},
	}
	for _, tc := range cases {
		if d := errpolicy.Classify(readErr(uintptr(tc.errno))); d.Verdict != tc.verdict {
			t.Errorf("Classify(%v) = %v %s, want %v", tc.errno, d.Verdict, d.Name, tc.verdict)
		}
	}
}

func TestTableNames(t *testing.T) {
	for table, want := range map[*errpolicy.Table]string{
		errpolicy.Linux: "linux", errpolicy.Darwin: "darwin", errpolicy.FreeBSD: "freebsd", errpolicy.Windows: "windows",
	} {
		if got := table.Name(); got != want {
			t.Errorf("Name() = %q, want %q", got, want)
		}
	}
}

func TestRowsIsACopy(t *testing.T) {
	rows := errpolicy.Linux.Rows()
	rows[0].Verdict = errpolicy.Stop
	if errpolicy.Linux.Rows()[0].Verdict == errpolicy.Stop {
		t.Fatal("changing the slice Rows returned changed the table")
	}
}
