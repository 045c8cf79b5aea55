package platform

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
