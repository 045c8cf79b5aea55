package platform

import (
	"net/netip"
	"strconv"
	"syscall"
)

// ErrQueueReader is implemented by receivers whose socket keeps errors in
// a queue of their own, apart from its datagrams: on Linux a UDP socket
// with IP_RECVERR or IPV6_RECVERR on (set by its owner before it was
// adopted, or for a reply path) queues one entry per ICMP error for what
// it sent, and the poller reports EPOLLERR (ErrorPending) until the queue
// is read (MSG_ERRQUEUE). Left unread, it makes a level-triggered loop
// spin and eats the receive buffer.
type ErrQueueReader interface {
	// ReadErrQueue reads one entry of the error queue without blocking:
	// ok is false when the queue is empty. An error is a failure of the
	// read itself (*os.SyscallError), not a queued error.
	ReadErrQueue() (e QueuedError, ok bool, err error)
}

// QueuedError is one entry of a socket's error queue.
type QueuedError struct {
	// Errno is the error (ECONNREFUSED for an ICMP port unreachable,
	// EHOSTUNREACH, EMSGSIZE, ...); 0 if the entry carried none.
	Errno syscall.Errno
	// Origin is where the error came from.
	Origin ErrOrigin
	// Type and Code are the ICMP type and code, for ICMP origins.
	Type, Code uint8
	// Offender is the address of the host that reported it (the ICMP
	// sender), where the kernel gives one; the zero Addr otherwise.
	Offender netip.Addr
}

// ErrOrigin is where a queued error came from: Linux's SO_EE_ORIGIN_*
// (include/uapi/linux/errqueue.h).
type ErrOrigin uint8

// The origins of queued errors.
const (
	OriginNone     ErrOrigin = 0 // SO_EE_ORIGIN_NONE
	OriginLocal    ErrOrigin = 1 // SO_EE_ORIGIN_LOCAL: this host (EMSGSIZE for the path MTU, ...)
	OriginICMP     ErrOrigin = 2 // SO_EE_ORIGIN_ICMP: an ICMP message from a peer or router
	OriginICMP6    ErrOrigin = 3 // SO_EE_ORIGIN_ICMP6: an ICMPv6 message
	OriginTxStatus ErrOrigin = 4 // SO_EE_ORIGIN_TXSTATUS: a transmit timestamp
	OriginZerocopy ErrOrigin = 5 // SO_EE_ORIGIN_ZEROCOPY: a zero-copy send completed
	OriginTxTime   ErrOrigin = 6 // SO_EE_ORIGIN_TXTIME: a scheduled send was dropped
)

// String names the origin for metrics and logs: "none", "local", "icmp",
// "icmp6", "txstatus", "zerocopy", "txtime", or "origin N".
func (o ErrOrigin) String() string {
	names := [...]string{"none", "local", "icmp", "icmp6", "txstatus", "zerocopy", "txtime"}
	if int(o) < len(names) {
		return names[o]
	}
	return "origin " + strconv.Itoa(int(o))
}
