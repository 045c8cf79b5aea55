package engine

import (
	"fmt"
	"net/netip"
	"syscall"

	"github.com/udprx/udprx/errpolicy"
	"github.com/udprx/udprx/platform"
)

// errQueueBudget is the most error-queue entries a loop reads per
// wake-up; the level-triggered poller reports the rest at once.
const errQueueBudget = 64

// drainErrQueue reads the socket's error queue, where the platform has
// one (platform.ErrQueueReader), and counts each entry by errno and
// origin (udprx_socket_errors_total, Stats.SocketErrors). The entries are
// ICMP errors and the like for datagrams sent on the socket: news about a
// peer or a path, never about the socket, so they are counted and logged
// through the suppressor, and neither back off nor end the loop. It
// returns how many it read.
func (l *loop) drainErrQueue(r platform.Receiver) int {
	eq, ok := r.(platform.ErrQueueReader)
	if !ok {
		return 0
	}
	n := 0
	for n < errQueueBudget {
		qe, ok, err := eq.ReadErrQueue()
		if err != nil || !ok {
			break // a failed read of the queue shows again in the reads
		}
		n++
		d := errpolicy.Decision{Verdict: errpolicy.Count, Name: "none", Errno: uintptr(qe.Errno),
			Reason: "an error queued for something sent on the socket (IP_RECVERR): news about a peer or path, not the socket: counted"}
		if qe.Errno != 0 {
			d.Name = l.env.policy.Classify(qe.Errno).Name
		}
		l.m.socketError(d.Name, qe.Origin.String())
		l.log.Report(d, queuedError(qe))
	}
	return n
}

// SocketError is an entry of a socket's error queue (Linux IP_RECVERR),
// as the engine logs it.
type SocketError struct {
	// Errno is the error (ECONNREFUSED for an ICMP port unreachable,
	// EHOSTUNREACH, EMSGSIZE, ...); 0 if the entry carried none.
	Errno syscall.Errno
	// Origin is where the error came from, as the metric
	// udprx_socket_errors_total labels it: "local" (this host), "icmp",
	// "icmp6", "none", ...
	Origin string
	// Type and Code are the ICMP type and code, for ICMP origins.
	Type, Code uint8
	// Offender is the address of the host that reported it (the ICMP
	// sender), where the kernel gives one; the zero Addr otherwise.
	Offender netip.Addr
}

// queuedError turns the platform's report of an entry into a SocketError.
func queuedError(qe platform.QueuedError) *SocketError {
	return &SocketError{Errno: qe.Errno, Origin: qe.Origin.String(), Type: qe.Type, Code: qe.Code, Offender: qe.Offender}
}

// Error names the errno, the origin and the reporting host.
func (e *SocketError) Error() string {
	s := fmt.Sprintf("socket error queue: %v (origin %s, type %d, code %d)", e.Errno, e.Origin, e.Type, e.Code)
	if e.Offender.IsValid() {
		s += " reported by " + e.Offender.String()
	}
	return s
}

// Unwrap returns the errno.
func (e *SocketError) Unwrap() error { return e.Errno }
