package errpolicy

import (
	"cmp"
	"errors"
	"slices"
	"syscall"
)

// Row is one line of a platform's table: an errno number, its name on that
// platform, the verdict and the evidence for it.
type Row struct {
	Errno   uintptr
	Name    string
	Verdict Verdict
	Reason  string
}

// Table classifies errors for one platform. Its rows are keyed by that
// platform's own errno numbers, which differ between platforms (ENOTCONN is
// 107 on Linux and 57 on darwin). The tables are plain data and all of them
// exist on every OS; see [Linux], [Darwin], [FreeBSD], [Windows] and [Host].
type Table struct {
	name string
	rows []Row // sorted by Errno, no duplicates (checked by tests)
	// internalFrom and internalTo, when non-zero, bound the errno numbers
	// that are kernel-internal on this platform: numbers in the closed range
	// that match no row classify as Retry instead of unknown.
	internalFrom, internalTo uintptr
	send                     []SendRow // sorted by Errno (send.go)
}

// newTable sorts a copy of rows by errno, so the data files can be written in
// any order while lookups use binary search.
func newTable(name string, internalFrom, internalTo uintptr, rows []Row, send []SendRow) *Table {
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b Row) int { return cmp.Compare(a.Errno, b.Errno) })
	send = slices.Clone(send)
	slices.SortStableFunc(send, func(a, b SendRow) int { return cmp.Compare(a.Errno, b.Errno) })
	return &Table{name: name, rows: rows, internalFrom: internalFrom, internalTo: internalTo, send: send}
}

// Name returns the platform the table is for: "linux", "darwin", "freebsd" or
// "windows" (and "generic" for [Host] on other systems).
func (t *Table) Name() string { return t.name }

// Rows returns a copy of the table's rows, ordered by errno number.
func (t *Table) Rows() []Row { return slices.Clone(t.rows) }

// Classify decides what err means on the table's platform.
//
// It walks the whole chain (errors.Is, errors.AsType): first the sentinels
// net.ErrClosed and os.ErrClosed ([Stop]), [ErrHangUp] ([Fatal]),
// [ErrTruncated] ([Count]) and os.ErrDeadlineExceeded ([Wait]); then the first
// syscall.Errno in the chain, looked up in the table. An errno in no row is
// [Retry] if it is kernel-internal on the platform (Linux, 512 to 4095) and
// otherwise [Backoff], named by the host's name for it ("EIO", from
// unix.ErrnoName) when t is [Host] and the host knows one, else "unknown";
// an error with no errno at all is [Backoff] "unknown". The Reason is the
// same for all of them: no row knew the errno.
// Nothing is ever matched by its text.
//
// err must not be nil: the engine only asks about failures. For nil,
// Classify returns the zero Decision, whose Verdict is not a valid verdict.
//
// Classify does not allocate, and is safe for concurrent use.
func (t *Table) Classify(err error) Decision {
	if err == nil {
		return Decision{}
	}
	for i := range sentinels {
		if errors.Is(err, sentinels[i].err) {
			return sentinels[i].decision
		}
	}
	errno, ok := errors.AsType[syscall.Errno](err)
	if !ok {
		return Decision{Verdict: Backoff, Name: "unknown", Reason: reasonNoErrno}
	}
	return t.lookup(uintptr(errno))
}

// lookup classifies a bare errno number.
func (t *Table) lookup(errno uintptr) Decision {
	i, found := slices.BinarySearchFunc(t.rows, errno, func(r Row, e uintptr) int { return cmp.Compare(r.Errno, e) })
	if found {
		r := &t.rows[i]
		return Decision{Verdict: r.Verdict, Name: r.Name, Errno: r.Errno, Reason: r.Reason}
	}
	if t.internalFrom != 0 && errno >= t.internalFrom && errno <= t.internalTo {
		return Decision{Verdict: Retry, Name: "kernel-internal", Errno: errno, Reason: reasonKernelInternal}
	}
	name := "unknown"
	if t == host {
		// The host's own table: the running system can name the errno,
		// so the log says "EIO", not "unknown". Another platform's table
		// cannot: its numbers mean other errnos here.
		if n := hostErrnoName(errno); n != "" {
			name = n
		}
	}
	return Decision{Verdict: Backoff, Name: name, Errno: errno, Reason: reasonUnknownErrno}
}

// Host returns the table of the OS being built for: [Linux] on Linux and
// Android (but the mips family, whose errno numbers differ), [Darwin] on
// macOS and iOS, [FreeBSD], [Windows], and elsewhere a conservative
// generic table named "generic", built from the host's own syscall
// constants (see host_other.go). It is a function, not a variable, so no
// caller can swap the table another package classifies with.
func Host() *Table { return host }

// Classify classifies err with the [Host] table: Host().Classify(err).
func Classify(err error) Decision { return host.Classify(err) }
