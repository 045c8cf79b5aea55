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

// sendErr builds the chain the platform and engine layers produce for a
// failed send: *net.OpError → *os.SyscallError → syscall.Errno.
func sendErr(syscallName string, errno uintptr) error {
	return &net.OpError{Op: "write", Net: "udp", Err: &os.SyscallError{Syscall: syscallName, Err: syscall.Errno(errno)}}
}

type sendCase struct {
	name    string
	err     error
	verdict errpolicy.Verdict
	label   string
	errName string
	errno   uintptr
}

// commonSendCases are the send errors with no errno: the same on every
// platform.
func commonSendCases() []sendCase {
	return []sendCase{
		{"net.ErrClosed", &net.OpError{Op: "write", Net: "udp", Err: net.ErrClosed}, errpolicy.Stop, "closed", "closed", 0},
		{"os.ErrClosed engine-wrapped", fmt.Errorf("loop 0 send to 192.0.2.1:53: %w", os.ErrClosed), errpolicy.Stop, "closed", "closed", 0},
		{"write deadline", &net.OpError{Op: "write", Net: "udp", Err: os.ErrDeadlineExceeded}, errpolicy.Wait, "full", "deadline", 0},
		{"plain error", errors.New("something odd"), errpolicy.Drop, "unknown", "unknown", 0},
		{"plain error wrapped", fmt.Errorf("send: %w", errors.New("something odd")), errpolicy.Drop, "unknown", "unknown", 0},
		{"errno in no row anywhere", sendErr("sendmsg", 300), errpolicy.Drop, "unknown", "unknown", 300},
	}
}

func TestClassifySendLinux(t *testing.T) {
	e := func(errno uintptr) error { return sendErr("sendmmsg", errno) }
	cases := []sendCase{
		{"EINTR", e(4), errpolicy.Retry, "", "EINTR", 4},
		{"EAGAIN", e(11), errpolicy.Wait, "full", "EAGAIN", 11},
		{"ENOBUFS", e(105), errpolicy.Backoff, "no_buffer", "ENOBUFS", 105},
		{"ENOMEM", e(12), errpolicy.Backoff, "no_buffer", "ENOMEM", 12},
		{"EMSGSIZE", e(90), errpolicy.Drop, "too_big", "EMSGSIZE", 90},
		{"ECONNREFUSED", e(111), errpolicy.Drop, "refused", "ECONNREFUSED", 111},
		{"ECONNRESET", e(104), errpolicy.Drop, "refused", "ECONNRESET", 104},
		{"ENOENT unix path", e(2), errpolicy.Drop, "refused", "ENOENT", 2},
		{"EHOSTUNREACH", e(113), errpolicy.Drop, "unreachable", "EHOSTUNREACH", 113},
		{"ENETUNREACH", e(101), errpolicy.Drop, "unreachable", "ENETUNREACH", 101},
		{"EHOSTDOWN", e(112), errpolicy.Drop, "unreachable", "EHOSTDOWN", 112},
		{"ENETDOWN", e(100), errpolicy.Drop, "unreachable", "ENETDOWN", 100},
		{"EPERM netfilter", e(1), errpolicy.Drop, "denied", "EPERM", 1},
		{"EACCES broadcast", e(13), errpolicy.Drop, "denied", "EACCES", 13},
		{"EDESTADDRREQ", e(89), errpolicy.Drop, "bad_address", "EDESTADDRREQ", 89},
		{"EAFNOSUPPORT", e(97), errpolicy.Drop, "bad_address", "EAFNOSUPPORT", 97},
		{"EADDRNOTAVAIL", e(99), errpolicy.Drop, "bad_address", "EADDRNOTAVAIL", 99},
		{"EINVAL", e(22), errpolicy.Drop, "bad_address", "EINVAL", 22},
		{"ENOTCONN is about one message on send", e(107), errpolicy.Drop, "bad_address", "ENOTCONN", 107},
		{"EIO from a segmented send", e(5), errpolicy.Drop, "gso", "EIO", 5},
		{"EBADF", e(9), errpolicy.Fatal, "gone", "EBADF", 9},
		{"ENOTSOCK", e(88), errpolicy.Fatal, "gone", "ENOTSOCK", 88},
		{"EFAULT", e(14), errpolicy.Fatal, "gone", "EFAULT", 14},
		{"EPIPE after shutdown", e(32), errpolicy.Fatal, "gone", "EPIPE", 32},
		{"receive-only errno keeps its name", e(24), errpolicy.Drop, "unknown", "EMFILE", 24},
		{"kernel-internal is no send row", e(512), errpolicy.Drop, "unknown", "ERESTARTSYS", 512},
		{"darwin's EAGAIN number", e(35), errpolicy.Drop, "unknown", "unknown", 35},
	}
	runClassifySend(t, errpolicy.Linux, append(cases, commonSendCases()...))
}

// bsdSendCases are the cases darwin and FreeBSD share: the same numbers
// (the 4.4BSD ones) and the same policy.
func bsdSendCases() []sendCase {
	e := func(errno uintptr) error { return sendErr("sendmsg", errno) }
	return []sendCase{
		{"EINTR", e(4), errpolicy.Retry, "", "EINTR", 4},
		{"EAGAIN", e(35), errpolicy.Wait, "full", "EAGAIN", 35},
		{"ENOBUFS never waits", e(55), errpolicy.Backoff, "no_buffer", "ENOBUFS", 55},
		{"ENOMEM", e(12), errpolicy.Backoff, "no_buffer", "ENOMEM", 12},
		{"EMSGSIZE", e(40), errpolicy.Drop, "too_big", "EMSGSIZE", 40},
		{"ECONNREFUSED", e(61), errpolicy.Drop, "refused", "ECONNREFUSED", 61},
		{"ECONNRESET", e(54), errpolicy.Drop, "refused", "ECONNRESET", 54},
		{"ENOENT unix path", e(2), errpolicy.Drop, "refused", "ENOENT", 2},
		{"EHOSTUNREACH", e(65), errpolicy.Drop, "unreachable", "EHOSTUNREACH", 65},
		{"ENETUNREACH", e(51), errpolicy.Drop, "unreachable", "ENETUNREACH", 51},
		{"EHOSTDOWN", e(64), errpolicy.Drop, "unreachable", "EHOSTDOWN", 64},
		{"ENETDOWN", e(50), errpolicy.Drop, "unreachable", "ENETDOWN", 50},
		{"EPERM", e(1), errpolicy.Drop, "denied", "EPERM", 1},
		{"EACCES", e(13), errpolicy.Drop, "denied", "EACCES", 13},
		{"EDESTADDRREQ", e(39), errpolicy.Drop, "bad_address", "EDESTADDRREQ", 39},
		{"EAFNOSUPPORT", e(47), errpolicy.Drop, "bad_address", "EAFNOSUPPORT", 47},
		{"EADDRNOTAVAIL", e(49), errpolicy.Drop, "bad_address", "EADDRNOTAVAIL", 49},
		{"EINVAL", e(22), errpolicy.Drop, "bad_address", "EINVAL", 22},
		{"ENOTCONN", e(57), errpolicy.Drop, "bad_address", "ENOTCONN", 57},
		{"EBADF", e(9), errpolicy.Fatal, "gone", "EBADF", 9},
		{"ENOTSOCK", e(38), errpolicy.Fatal, "gone", "ENOTSOCK", 38},
		{"EFAULT", e(14), errpolicy.Fatal, "gone", "EFAULT", 14},
		{"EPIPE shut down or defunct", e(32), errpolicy.Fatal, "gone", "EPIPE", 32},
		{"receive-only errno keeps its name", e(24), errpolicy.Drop, "unknown", "EMFILE", 24},
		{"EIO is no GSO signal here", e(5), errpolicy.Drop, "unknown", "unknown", 5},
		{"Linux's EAGAIN number", e(11), errpolicy.Drop, "unknown", "unknown", 11},
		{"Linux's ENOBUFS number", e(105), errpolicy.Drop, "unknown", "unknown", 105},
	}
}

func TestClassifySendDarwin(t *testing.T) {
	runClassifySend(t, errpolicy.Darwin, append(bsdSendCases(), commonSendCases()...))
}

func TestClassifySendFreeBSD(t *testing.T) {
	runClassifySend(t, errpolicy.FreeBSD, append(bsdSendCases(), commonSendCases()...))
}

func TestClassifySendWindows(t *testing.T) {
	e := func(errno uintptr) error { return sendErr("wsasendmsg", errno) }
	cases := []sendCase{
		{"WSAEINTR", e(10004), errpolicy.Retry, "", "WSAEINTR", 10004},
		{"WSAEWOULDBLOCK", e(10035), errpolicy.Wait, "full", "WSAEWOULDBLOCK", 10035},
		{"WSAENOBUFS never waits", e(10055), errpolicy.Backoff, "no_buffer", "WSAENOBUFS", 10055},
		{"WSAEMSGSIZE", e(10040), errpolicy.Drop, "too_big", "WSAEMSGSIZE", 10040},
		{"WSAECONNRESET stale ICMP", e(10054), errpolicy.Drop, "refused", "WSAECONNRESET", 10054},
		{"WSAENETRESET stale ICMP", e(10052), errpolicy.Drop, "unreachable", "WSAENETRESET", 10052},
		{"WSAEHOSTUNREACH", e(10065), errpolicy.Drop, "unreachable", "WSAEHOSTUNREACH", 10065},
		{"WSAENETUNREACH", e(10051), errpolicy.Drop, "unreachable", "WSAENETUNREACH", 10051},
		{"WSAENETDOWN", e(10050), errpolicy.Drop, "unreachable", "WSAENETDOWN", 10050},
		{"WSAEACCES", e(10013), errpolicy.Drop, "denied", "WSAEACCES", 10013},
		{"WSAEADDRNOTAVAIL", e(10049), errpolicy.Drop, "bad_address", "WSAEADDRNOTAVAIL", 10049},
		{"WSAEAFNOSUPPORT", e(10047), errpolicy.Drop, "bad_address", "WSAEAFNOSUPPORT", 10047},
		{"WSAEDESTADDRREQ", e(10039), errpolicy.Drop, "bad_address", "WSAEDESTADDRREQ", 10039},
		{"WSAEINVAL", e(10022), errpolicy.Drop, "bad_address", "WSAEINVAL", 10022},
		{"WSAENOTCONN", e(10057), errpolicy.Drop, "bad_address", "WSAENOTCONN", 10057},
		{"WSAENOTSOCK", e(10038), errpolicy.Fatal, "gone", "WSAENOTSOCK", 10038},
		{"WSAEBADF", e(10009), errpolicy.Fatal, "gone", "WSAEBADF", 10009},
		{"WSAEFAULT", e(10014), errpolicy.Fatal, "gone", "WSAEFAULT", 10014},
		{"WSAESHUTDOWN", e(10058), errpolicy.Fatal, "gone", "WSAESHUTDOWN", 10058},
		{"WSANOTINITIALISED", e(10093), errpolicy.Fatal, "gone", "WSANOTINITIALISED", 10093},
		{"receive-only code keeps its name", e(10024), errpolicy.Drop, "unknown", "WSAEMFILE", 10024},
		{"a POSIX EAGAIN means nothing here", e(11), errpolicy.Drop, "unknown", "unknown", 11},
	}
	runClassifySend(t, errpolicy.Windows, append(cases, commonSendCases()...))
}

// TestClassifySendHostErrno classifies the host's own syscall constants,
// so the host's send rows (the generic table's too, on systems without a
// table of their own) are checked against the syscall package at run time.
func TestClassifySendHostErrno(t *testing.T) {
	if errpolicy.Host() == errpolicy.Windows {
		t.Skip("the Windows table holds Winsock codes, not the syscall package's invented POSIX numbers")
	}
	cases := []struct {
		errno   syscall.Errno
		verdict errpolicy.Verdict
		label   string
	}{
		{syscall.EINTR, errpolicy.Retry, ""},
		{syscall.EAGAIN, errpolicy.Wait, "full"},
		{syscall.ENOBUFS, errpolicy.Backoff, "no_buffer"},
		{syscall.EMSGSIZE, errpolicy.Drop, "too_big"},
		{syscall.ECONNREFUSED, errpolicy.Drop, "refused"},
		{syscall.EHOSTUNREACH, errpolicy.Drop, "unreachable"},
		{syscall.EACCES, errpolicy.Drop, "denied"},
		{syscall.EDESTADDRREQ, errpolicy.Drop, "bad_address"},
		{syscall.EBADF, errpolicy.Fatal, "gone"},
		{syscall.EPIPE, errpolicy.Fatal, "gone"},
	}
	for _, tc := range cases {
		d := errpolicy.ClassifySend(sendErr("sendmsg", uintptr(tc.errno)))
		if d.Verdict != tc.verdict || d.Label != tc.label {
			t.Errorf("ClassifySend(%v) = %v %q (%s), want %v %q", tc.errno, d.Verdict, d.Label, d.Name, tc.verdict, tc.label)
		}
	}
}

func TestClassifySendNil(t *testing.T) {
	for _, table := range []*errpolicy.Table{errpolicy.Linux, errpolicy.Darwin, errpolicy.FreeBSD, errpolicy.Windows, errpolicy.Host()} {
		if d := table.ClassifySend(nil); d != (errpolicy.Decision{}) {
			t.Errorf("%s.ClassifySend(nil) = %+v, want the zero Decision", table.Name(), d)
		}
	}
}

func TestClassifySendUsesHost(t *testing.T) {
	for _, err := range []error{sendErr("sendmsg", 11), sendErr("sendmsg", 35), sendErr("sendmsg", 10035), net.ErrClosed, errors.New("x")} {
		if got, want := errpolicy.ClassifySend(err), errpolicy.Host().ClassifySend(err); got != want {
			t.Errorf("ClassifySend(%v) = %+v, Host.ClassifySend = %+v", err, got, want)
		}
	}
}

func TestSendLabelsIsACopy(t *testing.T) {
	labels := errpolicy.SendLabels()
	if len(labels) == 0 {
		t.Fatal("no labels")
	}
	labels[0] = "changed"
	if errpolicy.SendLabels()[0] == "changed" {
		t.Fatal("changing the slice SendLabels returned changed the set")
	}
}

func runClassifySend(t *testing.T, table *errpolicy.Table, cases []sendCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := table.ClassifySend(tc.err)
			if d.Verdict != tc.verdict || d.Label != tc.label || d.Name != tc.errName || d.Errno != tc.errno {
				t.Errorf("%s.ClassifySend(%v) = {%v %q %q %d}, want {%v %q %q %d}",
					table.Name(), tc.err, d.Verdict, d.Label, d.Name, d.Errno, tc.verdict, tc.label, tc.errName, tc.errno)
			}
			if d.Reason == "" {
				t.Errorf("%s.ClassifySend(%v) has no reason", table.Name(), tc.err)
			}
		})
	}
}
