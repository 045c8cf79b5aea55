package errpolicy

import (
	"cmp"
	"errors"
	"net"
	"os"
	"slices"
	"syscall"
)

// SendRow is one line of a platform's send table: an errno, its name on
// that platform, the verdict, the drop label and the evidence.
type SendRow struct {
	Errno   uintptr
	Name    string
	Verdict Verdict
	Label   string
	Reason  string
}

// SendRows returns a copy of the table's send rows, ordered by errno.
func (t *Table) SendRows() []SendRow { return slices.Clone(t.send) }

// Send verdicts are a subset of the receive ones, plus Drop:
//
//   - Retry: interrupted before anything was sent (EINTR): send again.
//   - Wait: the send buffer is full (EAGAIN): keep the messages, wait for
//     writability, bounded; past the bound, drop and count ("full").
//   - Drop: the error concerns one message or its destination: drop it,
//     count it, send the rest.
//   - Backoff: the kernel is short of memory (ENOBUFS, ENOMEM): drop and
//     count the message, and pause before sending again. Never Wait: on
//     the BSDs a socket stays writable through ENOBUFS, so waiting for
//     writability would spin.
//   - Fatal: the socket is gone (EBADF, ENOTSOCK): end the loop, re-open.
//   - Stop: closed by its owner.

// sendLabels is the set of Decision.Label values a send can produce, in
// the order SendLabels returns them.
var sendLabels = [...]string{"full", "no_buffer", "too_big", "refused", "unreachable", "denied", "bad_address", "gso", "gone", "closed", "unknown"}

// SendLabels returns every Label that ClassifySend can give on any table,
// so that a caller can create one drop counter per label up front and
// count on the hot path without allocating. Retry decisions (EINTR) have
// the empty label: nothing was dropped.
func SendLabels() []string { return slices.Clone(sendLabels[:]) }

// Reasons for send errors that match no row.
const (
	reasonSendUnknown  = "errno in no send row: drop the message and count it, never end the loop for it; a loop whose every send fails this way shows it in its drop counts"
	reasonSendNoErrno  = "no errno in the chain: drop the message and count it"
	reasonSendClosed   = "the socket was closed by its owner: end the loop, re-open nothing"
	reasonSendDeadline = "a write deadline passed with the send buffer still full (the portable backend's bounded wait): as EAGAIN, wait with a bound, then drop and count"
)

// ClassifySend decides what a send error means on the table's platform,
// as Classify does for receive errors: net.ErrClosed and os.ErrClosed are
// Stop, os.ErrDeadlineExceeded is Wait labelled "full" (a bounded write
// that found no room), then the first syscall.Errno in the chain is
// looked up in the send rows. An errno in no row is Drop labelled
// "unknown" (with the errno's name where the table knows it from its
// receive rows): a send error nobody knows never ends the loop, and the
// receive side still notices a socket that is really gone. It allocates
// nothing and is safe for concurrent use. For nil it returns the zero
// Decision.
func (t *Table) ClassifySend(err error) Decision {
	if err == nil {
		return Decision{}
	}
	if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) {
		return Decision{Verdict: Stop, Name: "closed", Label: "closed", Reason: reasonSendClosed}
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return Decision{Verdict: Wait, Name: "deadline", Label: "full", Reason: reasonSendDeadline}
	}
	errno, ok := errors.AsType[syscall.Errno](err)
	if !ok {
		return Decision{Verdict: Drop, Name: "unknown", Label: "unknown", Reason: reasonSendNoErrno}
	}
	e := uintptr(errno)
	if i, found := slices.BinarySearchFunc(t.send, e, func(r SendRow, e uintptr) int { return cmp.Compare(r.Errno, e) }); found {
		r := &t.send[i]
		return Decision{Verdict: r.Verdict, Name: r.Name, Errno: r.Errno, Reason: r.Reason, Label: r.Label}
	}
	name := "unknown"
	if i, found := slices.BinarySearchFunc(t.rows, e, func(r Row, e uintptr) int { return cmp.Compare(r.Errno, e) }); found {
		name = t.rows[i].Name
	}
	return Decision{Verdict: Drop, Name: name, Errno: e, Label: "unknown", Reason: reasonSendUnknown}
}

// ClassifySend classifies a send error with the [Host] table.
func ClassifySend(err error) Decision { return host.ClassifySend(err) }
