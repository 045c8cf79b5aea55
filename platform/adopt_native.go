//go:build linux || darwin || freebsd

package platform

import (
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Adopt returns a Receiver for a datagram socket the application already
// has: a *net.UDPConn's or *net.UnixConn's descriptor (reached through
// SyscallConn().Control), or one a service manager passed (ListenFDs). fd
// must be a bound SOCK_DGRAM socket of family AF_INET, AF_INET6 or AF_UNIX;
// otherwise Adopt fails naming what it is (wrapping ErrNotSocket for a
// descriptor that is not a socket at all).
//
// The caller keeps its descriptor and full ownership of it: Adopt works on
// a duplicate (F_DUPFD_CLOEXEC), and Close closes only that. Both name one
// socket, so the caller should not read from its own while the Receiver
// runs (each datagram goes to one reader or the other); it may send on it
// meanwhile, and read from it again after Close. Adopt puts the socket in
// non-blocking mode: O_NONBLOCK belongs to the open file description, which
// the duplicate shares with the caller's descriptor. Package net's sockets
// are non-blocking already; a descriptor from elsewhere (ListenFDs) becomes
// so until Close. With Options.Portable, package net takes a further duplicate
// (net.FilePacketConn), and on the way clears O_NONBLOCK for a moment
// (os.File.Fd) before setting it again.
//
// Options: RecvBuffer is requested (SO_RCVBUF is the socket's, so the
// caller's descriptor sees it too). GRO, PktInfo and Timestamps are set
// on a UDP socket as Listen sets them, with SO_RXQ_OVFL; they are socket
// options too, so the caller's own reads would see them (with GRO,
// coalesced reads). Portable chooses the backend. ReusePort and UnixMode
// act before bind and are refused.
//
// On Linux, with the native backend, Close leaves the socket as Adopt
// found it: before it closes the duplicate it puts back O_NONBLOCK,
// SO_RCVBUF, UDP_GRO, IP_PKTINFO, IPV6_RECVPKTINFO and the timestamp
// options as they were, and replaces CloseIntake's drop-all filter with
// the owner's classic filter, or none (see adoptState for the two traces
// that stay). The portable backend and the BSDs restore nothing yet. Info.ReusePort
// is false whatever the socket has, and Info.Path is "": an adopted unix
// socket's file is never removed, since Adopt did not create it.
//
// Adopt exists on the systems with a native backend (Linux, darwin,
// FreeBSD); elsewhere it returns an error (adopt_other.go).
func Adopt(fd uintptr, opts Options) (Receiver, error) {
	if opts.ReusePort {
		return nil, fmt.Errorf("platform: adopt fd %d: ReusePort acts only before bind: set it on the socket before binding", fd)
	}
	if opts.UnixMode != 0 {
		return nil, fmt.Errorf("platform: adopt fd %d: UnixMode applies only to socket files Listen creates", fd)
	}
	// Never 0, 1 or 2: with stdio closed, a later write to "stdout" must
	// not land in the socket.
	dup, err := unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, fmt.Errorf("platform: adopt fd %d: %w", fd, os.NewSyscallError("fcntl F_DUPFD_CLOEXEC", err))
	}
	local, inet, err := adoptable(dup)
	var saved *adoptState
	if err == nil {
		saved = saveAdopted(dup, inet, opts)
		err = os.NewSyscallError("fcntl O_NONBLOCK", unix.SetNonblock(dup, true))
	}
	if err != nil {
		unix.Close(dup)
		return nil, fmt.Errorf("platform: adopt fd %d: %w", fd, err)
	}
	r, err := newReceiver(dup, local, inet, opts, Info{}, nil)
	if err != nil {
		return nil, fmt.Errorf("platform: adopt fd %d: %w", fd, err)
	}
	if a, ok := r.(interface{ setAdopted(*adoptState) }); ok && saved != nil {
		a.setAdopted(saved)
	}
	return r, nil
}

// adoptable checks that fd is a bound datagram socket Adopt supports and
// returns its local address and whether it is AF_INET/AF_INET6.
func adoptable(fd int) (net.Addr, bool, error) {
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err == unix.ENOTSOCK {
		return nil, false, fmt.Errorf("%w: %w", ErrNotSocket, os.NewSyscallError("getsockopt SO_TYPE", err))
	}
	if err != nil {
		return nil, false, os.NewSyscallError("getsockopt SO_TYPE", err)
	}
	if typ != unix.SOCK_DGRAM {
		return nil, false, fmt.Errorf("a %s socket, want SOCK_DGRAM", sockTypeName(typ))
	}
	sa, err := unix.Getsockname(fd)
	if err == unix.EAFNOSUPPORT {
		return nil, false, fmt.Errorf("a socket of an address family other than AF_INET, AF_INET6 or AF_UNIX: %w", os.NewSyscallError("getsockname", err))
	}
	if err != nil {
		return nil, false, os.NewSyscallError("getsockname", err)
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4, *unix.SockaddrInet6:
		ua := sockaddrToUDP(sa)
		if ua.Port == 0 {
			return nil, false, fmt.Errorf("socket not bound (%v): bind it before adopting it", ua)
		}
		return ua, true, nil
	case *unix.SockaddrUnix:
		name := sa.Name
		if name == "@" {
			// x/sys/unix on Linux reports an unnamed socket (a
			// socketpair's, or one never bound) as the abstract "@".
			name = ""
		}
		return &net.UnixAddr{Name: name, Net: "unixgram"}, false, nil
	}
	family := strings.TrimPrefix(fmt.Sprintf("%T", sa), "*unix.Sockaddr")
	return nil, false, fmt.Errorf("a %s socket, want AF_INET, AF_INET6 or AF_UNIX", family)
}

// sockTypeName names a socket type (SO_TYPE) for an error message.
func sockTypeName(t int) string {
	switch t {
	case unix.SOCK_STREAM:
		return "SOCK_STREAM"
	case unix.SOCK_DGRAM:
		return "SOCK_DGRAM"
	case unix.SOCK_SEQPACKET:
		return "SOCK_SEQPACKET"
	case unix.SOCK_RAW:
		return "SOCK_RAW"
	case unix.SOCK_RDM:
		return "SOCK_RDM"
	}
	return fmt.Sprintf("type %d", t)
}
