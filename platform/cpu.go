package platform

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
