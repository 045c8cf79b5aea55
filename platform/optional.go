package platform

// The optional interfaces: what only some backends offer, asserted on a
// Receiver by the caller (r.(platform.IntakeCloser)). Each says which
// backends implement it; the rest of the Receiver's contract is in
// platform.go, its send half in send.go.

// IntakeCloser is implemented by receivers that can stop the kernel from
// queueing new datagrams while leaving those already queued readable: the
// Linux backend (a drop-all socket filter). A graceful stop uses it so
// "read until the socket is empty" ends even under a flood, having
// delivered exactly what was queued when the stop began. Elsewhere a stop
// reads until the socket is empty, which a flood can prolong.
type IntakeCloser interface {
	CloseIntake() error
}

// DropCounter is implemented by receivers that learn from the kernel how
// many datagrams it dropped for their socket with each datagram: the Linux
// backend, from SO_RXQ_OVFL control messages, which arrive only where the
// socket's owner turned the flag on (Listen leaves it off: see
// setRecvOptions; QueueReporter gives the count without its cost).
type DropCounter interface {
	// KernelDrops returns the cumulative number of datagrams the kernel
	// dropped for this socket (a full receive buffer, mostly), as last
	// reported with a datagram. The kernel reports the count with every
	// datagram queued after the first drop, so the figure is current up
	// to the last datagram read: drops after it show with the next one
	// (QueueReporter reads the kernel's count at once). For an adopted
	// socket it includes drops from before the adoption. Safe to call
	// from any goroutine, also during Read and after Close.
	KernelDrops() uint64
}

// QueueReporter is implemented by receivers that can read their socket's
// receive queue state on demand: the Linux backend, with SO_MEMINFO. It is
// meant for a metrics scrape: each call is a system call.
type QueueReporter interface {
	// QueueInfo reads the socket's receive queue state now. Safe to call
	// from any goroutine; after Close it returns an error matching
	// net.ErrClosed.
	QueueInfo() (QueueInfo, error)
}

// QueueInfo is a socket's receive queue at one moment.
type QueueInfo struct {
	// Queued is the memory the queued datagrams take, in bytes, as the
	// kernel charges it against Limit: each datagram's buffer (skb
	// truesize), so larger than the payloads (Linux: SK_MEMINFO_RMEM_ALLOC).
	Queued uint64
	// Limit is the receive buffer in the same units: what SO_RCVBUF
	// granted, as the kernel keeps it (Linux: SK_MEMINFO_RCVBUF, twice the
	// SO_RCVBUF request). Datagrams arriving while Queued is at Limit are
	// dropped.
	Limit uint64
	// Drops is the cumulative count of datagrams the kernel dropped for
	// the socket (Linux: SK_MEMINFO_DROPS); valid only if HasDrops.
	Drops uint64
	// HasDrops reports whether the kernel reported Drops: kernels older
	// than SK_MEMINFO_DROPS return a shorter array.
	HasDrops bool
}

// CPUSteerer is implemented by receivers whose socket can be tied to a
// CPU: the Linux backend, with SO_INCOMING_CPU.
//
// Linux uses the value in two ways. It records, on a connected socket, the
// CPU that last queued a datagram for it (the softirq that did the
// kernel's receive work, not the reading thread); on the unconnected
// socket of a server it records nothing, so reading it back shows only
// what was set. And, from Linux 6.2, when a datagram arrives for a
// SO_REUSEPORT group in which any socket has the option set, the kernel
// hands it to the socket whose value is the CPU processing the datagram,
// if there is one, before falling back to the flow hash
// (reuseport_select_sock_by_hash in net/core/sock_reuseport.c). A loop
// pinned to CPU k whose socket is set to k then gets the datagrams that
// CPU k received: on a host whose NIC spreads flows over one queue per
// CPU (RSS), or whose RPS does, each datagram is read on the CPU whose
// cache holds it.
type CPUSteerer interface {
	// IncomingCPU returns the socket's SO_INCOMING_CPU: -1 if unset and
	// no datagram has been recorded. After Close it returns an error
	// matching net.ErrClosed.
	IncomingCPU() (int, error)
	// SetIncomingCPU sets it to cpu.
	SetIncomingCPU(cpu int) error
}

// Isolator is implemented by receivers that can stop their socket from
// matching any further datagram, so that the kernel's counters for it are
// final before it is closed: the Linux backend, for UDP sockets. A socket
// with its intake closed (IntakeCloser) still counts each datagram its
// filter drops, up to the moment it is closed, so a drop count read just
// before Close misses those that arrive in between; after Isolate none
// arrive. Only for a socket about to be closed, and only for one the
// caller opened: it changes the socket for everyone who shares it. Where
// a socket cannot be isolated (a unix socket) it returns an error and
// changes nothing.
type Isolator interface {
	Isolate() error
}

// Controller is implemented by receivers that lend their socket's
// descriptor, as syscall.RawConn.Control does, for options a caller sets
// or reads itself (quic-go sets IP_MTU_DISCOVER and probes UDP_SEGMENT
// this way): all backends. Options the engine relies on (non-blocking
// mode, the socket filter that closes the intake) must not be changed
// through it.
type Controller interface {
	// Control calls f with the socket's descriptor, which stays open
	// until f returns. After Close it returns an error matching
	// net.ErrClosed.
	Control(f func(fd uintptr)) error
}
