package errpolicy

import (
	"errors"
	"net"
	"os"
)

// Decision is the classification of one error: the verdict, and what the
// verdict was based on, for metrics and logs. All its strings are static, so
// producing a Decision allocates nothing.
type Decision struct {
	// Verdict is what the receive loop should do.
	Verdict Verdict
	// Name is the errno's name as the platform spells it ("ENOTCONN",
	// "WSAECONNRESET"), or one of "closed", "hangup", "empty-readable",
	// "deadline", "kernel-internal" and "unknown". An errno in no row of
	// the [Host] table still carries the host's name for it ("EIO") where
	// the host has one; its Reason says that no row knew it.
	Name string
	// Errno is the errno number, 0 when the error carries none.
	Errno uintptr
	// Reason is the one-line evidence for the verdict.
	Reason string
	// Label is, for a send error (Table.ClassifySend), why the message
	// was dropped, as a short metric label value: one of [SendLabels]
	// ("full", "no_buffer", "too_big", "refused", "unreachable", "denied",
	// "bad_address", "gso", "gone", "closed", "unknown"); "" for a Retry,
	// which drops nothing, and for receive errors.
	Label string
}

// ErrHangUp reports that the poller saw a hang-up or read shutdown on the
// socket (EPOLLHUP, EPOLLRDHUP, EV_EOF), or that a read returned the
// empty-address, zero-length entries by which Linux signals SHUT_RD. The engine
// wraps it with %w; it classifies as [Fatal]: after a shutdown the socket never
// becomes useful again, and a level-triggered poller would report it forever.
var ErrHangUp = errors.New("errpolicy: socket hung up or shut down for reading")

// ErrEmptyReadable reports that the poller said the socket was readable
// and a read right after found nothing (EAGAIN). Once, it is harmless (a
// datagram the kernel discarded when it was read: a bad UDP checksum is
// found only then, by a non-blocking read). Repeated, the poller and the
// reads disagree for good and a level-triggered loop would spin on it. The
// engine wraps it with %w; it classifies as [Count], so a [Streak] turns a
// run of them into back-offs, then a re-open.
var ErrEmptyReadable = errors.New("errpolicy: poller reported the socket readable, a read found nothing")

// sentinel is an error matched with errors.Is before any errno is looked at.
type sentinel struct {
	err      error
	decision Decision
}

// sentinels are tried in order. Our own close comes first: once we closed the
// socket, whatever else the chain says no longer matters.
var sentinels = [...]sentinel{
	{net.ErrClosed, Decision{Stop, "closed", 0,
		"the socket was closed by its owner; end the loop, re-open nothing", ""}},
	{os.ErrClosed, Decision{Stop, "closed", 0,
		"the file was closed by its owner; end the loop, re-open nothing", ""}},
	{ErrHangUp, Decision{Fatal, "hangup", 0,
		"shut down for reading, possibly from another process; it never recovers and a level-triggered poller would spin on it (docs/kernel.md): re-open", ""}},
	{ErrEmptyReadable, Decision{Count, "empty-readable", 0,
		"the poller reported data a read did not find: once, a datagram the kernel discarded as it was read (a bad checksum); repeated, a spin: count, and a Streak turns a run into back-offs, then escalations on the same socket", ""}},
	{os.ErrDeadlineExceeded, Decision{Wait, "deadline", 0,
		"a read deadline the caller set (the portable backend's wake-up) passed with nothing to read", ""}},
}

// Reasons for errors that match no row.
const (
	reasonKernelInternal = "Linux kernel-internal code (include/linux/errno.h, 512 to MAX_ERRNO 4095) leaked to user space, as ERESTARTSYS does after an interrupted partial recvmmsg (docs/kernel.md): never fatal, call again"
	reasonUnknownErrno   = "errno in no row: back off rather than spin or give up; a Streak escalates if it persists"
	reasonNoErrno        = "no errno and no known sentinel in the chain: back off rather than spin or give up; a Streak escalates if it persists"
)
