package platform

import (
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// Isolate connects the socket to its own address (a wildcard address
// replaced by the loopback address of its family). The kernel's UDP lookup
// (net/ipv4/udp.c and net/ipv6/udp.c compute_score) skips a connected
// socket for every datagram whose source is not the connected peer, and
// connect rehashes the socket under the local address the route gave it
// (ip4_datagram_connect, udp_lib_rehash), so from then on only a datagram
// sent from the socket's own address and port could reach it: none does.
// Datagrams already queued stay readable. A unix socket cannot be
// isolated (its senders name it directly): Isolate returns an error
// matching errors.ErrUnsupported and leaves it as it is.
func (r *linuxReceiver) Isolate() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return net.ErrClosed
	}
	if !r.inet {
		return fmt.Errorf("isolate a unix socket: %w", errors.ErrUnsupported)
	}
	sa, err := unix.Getsockname(r.fd)
	if err != nil {
		return os.NewSyscallError("getsockname", err)
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		if sa.Addr == [4]byte{} {
			sa.Addr = [4]byte{127, 0, 0, 1}
		}
		return os.NewSyscallError("connect", unix.Connect(r.fd, sa))
	case *unix.SockaddrInet6:
		if sa.Addr == [16]byte{} {
			sa.Addr[15] = 1
		}
		return os.NewSyscallError("connect", unix.Connect(r.fd, sa))
	}
	return nil
}
