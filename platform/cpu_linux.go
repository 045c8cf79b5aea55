package platform

import (
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// IncomingCPU reads getsockopt(SOL_SOCKET, SO_INCOMING_CPU), the socket's
// sk_incoming_cpu (-1 until set or recorded; see CPUSteerer). Like
// QueueInfo it holds the lock Close takes, so it never reads a descriptor
// number Close has released.
func (r *linuxReceiver) IncomingCPU() (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, net.ErrClosed
	}
	cpu, err := unix.GetsockoptInt(r.fd, unix.SOL_SOCKET, unix.SO_INCOMING_CPU)
	if err != nil {
		return 0, os.NewSyscallError("getsockopt SO_INCOMING_CPU", err)
	}
	return cpu, nil
}

// SetIncomingCPU sets SO_INCOMING_CPU. The kernel takes it after bind too,
// and updates the SO_REUSEPORT group's count of sockets that have it
// (reuseport_update_incoming_cpu, Linux 6.2), which turns the group's
// selection by CPU on.
func (r *linuxReceiver) SetIncomingCPU(cpu int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return net.ErrClosed
	}
	if err := unix.SetsockoptInt(r.fd, unix.SOL_SOCKET, unix.SO_INCOMING_CPU, cpu); err != nil {
		return os.NewSyscallError("setsockopt SO_INCOMING_CPU", err)
	}
	return nil
}
