//go:build linux || darwin || freebsd

package platform

import (
	"fmt"
	"net"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// This file opens sockets for the native backends (Linux, darwin, FreeBSD)
// with system calls of its own rather than through package net, so the
// socket is never registered with the Go runtime's edge-triggered poller:
// that poller would be woken for every arrival with nobody to hand it to.
//
// The per-system pieces have the same signature in each OS file:
//
//	sysSocket(family int) (int, error)          non-blocking, close-on-exec
//	setReusePort(fd int) error                  the option that balances
//	setRecvBuffer(fd, n int) (int, error)       request n, report granted
//	setRecvOptions(fd int, opts Options, wildcard bool, info *Info)  per-datagram information
//	newNative(fd int, local net.Addr, info Info, inet, locked bool, release func() error) (Receiver, error)
//
// and the constant ReusePortBalances.

// Listen opens a datagram socket and returns it with its poller: on
// network "udp", "udp4" or "udp6" bound to address ("host:port"); on
// network "unixgram" bound to address, a file system path or, on Linux
// only, an abstract name "@name".
//
// For a path, Listen starts safely beside other instances: it holds an
// exclusive flock(2) on PATH.lock for the socket's life; it refuses a path
// another process serves or holds the lock of (an error wrapping
// ErrAddrInUse) and one where something other than a socket is
// (ErrNotSocket), leaving either untouched; and it removes a stale socket
// file, one no socket is bound to, before binding. The file gets
// Options.UnixMode; Close removes it and the lock file. Unix senders are
// reported with the zero Datagram.Src. The details are in
// unixpath_unix.go (listenUnixgram).
func Listen(network, address string, opts Options) (Receiver, error) {
	if network == "unixgram" {
		return listenUnixgram(address, opts)
	}
	if opts.Portable {
		return listenPortable(network, address, opts)
	}
	if opts.ReusePort && !ReusePortBalances {
		return nil, errReusePortUnbalanced
	}
	laddr, err := resolveUDP(network, address)
	if err != nil {
		return nil, err
	}
	fd, info, err := openUDP(network, laddr, opts)
	if err != nil {
		return nil, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("getsockname", err)
	}
	r, err := newNative(fd, sockaddrToUDP(sa), info, true, opts.LockedThread, nil)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return r, nil
}

// openUDP creates, configures and binds the socket, choosing the address
// family as package net does: "udp" with a wildcard address is an IPv6
// socket accepting IPv4 too (IPV6_V6ONLY off), "udp6" is IPv6 only.
func openUDP(network string, laddr netip.AddrPort, opts Options) (fd int, info Info, err error) {
	family := unix.AF_INET6
	if network == "udp4" || (network == "udp" && laddr.Addr().Is4()) {
		family = unix.AF_INET
	}
	fd, err = sysSocket(family)
	if err != nil {
		return -1, info, os.NewSyscallError("socket", err)
	}
	defer func() {
		if err != nil {
			unix.Close(fd)
		}
	}()
	if family == unix.AF_INET6 {
		v6only := 0
		if network == "udp6" {
			v6only = 1
		}
		if err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only); err != nil {
			return -1, info, os.NewSyscallError("setsockopt IPV6_V6ONLY", err)
		}
	}
	if opts.ReusePort {
		if err = setReusePort(fd); err != nil {
			return -1, info, err
		}
		info.ReusePort = true
	}
	info.RecvBufferRequested = opts.RecvBuffer
	if opts.RecvBuffer > 0 {
		if info.RecvBufferGranted, err = setRecvBuffer(fd, opts.RecvBuffer); err != nil {
			return -1, info, err
		}
	} else {
		info.RecvBufferGranted, _ = recvBuffer(fd)
	}
	// Before bind, so every datagram the socket queues carries what was
	// asked for; so the address is taken from laddr, as the socket has
	// none yet (getsockname would say 0.0.0.0 for any unbound socket).
	setRecvOptions(fd, opts, laddr.Addr().IsUnspecified(), &info)
	if err = unix.Bind(fd, udpToSockaddr(family, laddr)); err != nil {
		if err == unix.EADDRINUSE {
			return -1, info, fmt.Errorf("platform: %s %s: %w: %w", network, laddr, ErrAddrInUse, os.NewSyscallError("bind", err))
		}
		return -1, info, os.NewSyscallError("bind", err)
	}
	// After bind: the group exists once the socket has joined it.
	if opts.ReusePort && opts.ReusePortGroup > 0 && setReusePortGroup(fd, opts.ReusePortGroup) == nil {
		info.ReusePortGroup = opts.ReusePortGroup
	}
	return fd, info, nil
}

// resolveUDP turns "host:port" into an address, resolving names the way
// package net does, and fails naming the network it was asked for.
func resolveUDP(network, address string) (netip.AddrPort, error) {
	switch network {
	case "udp", "udp4", "udp6":
	default:
		return netip.AddrPort{}, fmt.Errorf("platform: network %q: want udp, udp4 or udp6", network)
	}
	ua, err := net.ResolveUDPAddr(network, address)
	if err != nil {
		return netip.AddrPort{}, err
	}
	ap := ua.AddrPort()
	if ua.IP == nil { // ":port": the wildcard of the family
		ap = netip.AddrPortFrom(netip.IPv6Unspecified(), ap.Port())
		if network == "udp4" {
			ap = netip.AddrPortFrom(netip.IPv4Unspecified(), ap.Port())
		}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

func udpToSockaddr(family int, ap netip.AddrPort) unix.Sockaddr {
	if family == unix.AF_INET {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().Unmap().As4()}
	}
	a := ap.Addr()
	if a.Is4() {
		a = netip.AddrFrom16(a.As16()) // v4-mapped, for a dual-stack socket
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()}
}

func sockaddrToUDP(sa unix.Sockaddr) *net.UDPAddr {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)))
	case *unix.SockaddrInet6:
		a := netip.AddrFrom16(sa.Addr)
		if sa.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(sa.ZoneId)); err == nil {
				a = a.WithZone(ifi.Name)
			}
		}
		return net.UDPAddrFromAddrPort(netip.AddrPortFrom(a, uint16(sa.Port)))
	}
	return nil
}

// recvBuffer reads SO_RCVBUF back, in the units it was requested in.
func recvBuffer(fd int) (int, error) {
	n, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF)
	if err != nil {
		return 0, os.NewSyscallError("getsockopt SO_RCVBUF", err)
	}
	return n / rcvbufScale, nil
}

// newReceiver builds the Receiver for fd, a bound, non-blocking datagram
// socket that a unixgram Listen opened or Adopt duplicated: the native
// backend, or the portable one if opts.Portable. It requests
// opts.RecvBuffer first and fills info's buffer fields. It takes fd over:
// on error fd is closed (release is not run: the caller still owns what
// it names). inet and release are newNative's.
func newReceiver(fd int, local net.Addr, inet bool, opts Options, info Info, release func() error) (Receiver, error) {
	var err error
	info.RecvBufferRequested = opts.RecvBuffer
	if opts.RecvBuffer > 0 {
		info.RecvBufferGranted, err = setRecvBuffer(fd, opts.RecvBuffer)
	} else {
		info.RecvBufferGranted, _ = recvBuffer(fd)
	}
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	if inet && !opts.Portable {
		setRecvOptions(fd, opts, wildcardLocal(local), &info)
	}
	if opts.Portable {
		r, err := portableFromFD(fd, local, inet, info, release)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
	r, err := newNative(fd, local, info, inet, opts.LockedThread, release)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return r, nil
}

// wildcardLocal reports whether local, the address a UDP socket is bound
// to, is 0.0.0.0 or ::, at which datagrams can arrive at any of the host's
// addresses. Every receiver holds its socket's address from getsockname
// (Listen, Adopt), so the fact is read from it rather than asked again.
func wildcardLocal(local net.Addr) bool {
	ua, ok := local.(*net.UDPAddr)
	return ok && ua.IP.IsUnspecified()
}
