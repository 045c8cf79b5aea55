package errpolicy

// Verdict is what a receive loop should do after an error.
// The zero Verdict is not a decision; it is returned only for a nil error.
type Verdict uint8

const (
	// Retry means: call the same read again at once. Nothing was lost; the
	// call was interrupted (EINTR) or a Linux kernel-internal restart code
	// leaked out (ERESTARTSYS 512 and its kin).
	Retry Verdict = iota + 1
	// Wait means: there is nothing to read; wait for readiness in the poller
	// (EAGAIN, EWOULDBLOCK).
	Wait
	// Count means: count the error and read on at once. These are one-shot
	// errors, mostly reported ICMP errors from earlier sends, that pre-empt
	// queued data: backing off on them only makes the receive buffer
	// overflow.
	Count
	// Backoff means: wait with exponential backoff, then try again. Resource
	// shortages (ENOBUFS, ENOMEM, EMFILE) and unknown errors.
	Backoff
	// Fatal means: this socket is dead. End the loop; the supervisor
	// re-opens the socket (ENOTCONN, EBADF, ENOTSOCK, a hang-up).
	Fatal
	// Stop means: the socket was closed by its owner. End the loop and
	// re-open nothing (net.ErrClosed, os.ErrClosed).
	Stop
	// Drop is for sends only: the error concerns one message or its
	// destination (EMSGSIZE, ECONNREFUSED, EHOSTUNREACH, EPERM from a
	// firewall), never the socket. Drop that message, count it under the
	// Decision's Label, and send the rest.
	Drop
)

// verdictNames is indexed by Verdict; index 0 is the zero Verdict.
var verdictNames = [...]string{"invalid", "retry", "wait", "count", "backoff", "fatal", "stop", "drop"}

// String returns the verdict's lower-case name: "retry", "wait", "count",
// "backoff", "fatal", "stop" or "drop". It is stable and meant for metric label
// values. Any other value, including the zero Verdict, is "invalid".
func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return verdictNames[0]
}
