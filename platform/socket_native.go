//go:build linux || darwin || freebsd

package platform

import (
	"net"
	"syscall"
)

// The portable backend's socket options on the systems with a native
// backend: the same per-system setReusePort and setRecvBuffer the native
// backend uses (socket_linux.go, socket_darwin.go, socket_freebsd.go,
// socket_bsd.go), reached through package net's RawConn.

// portableControl returns the ListenConfig.Control function that sets the
// options that must precede bind: SO_REUSEPORT (SO_REUSEPORT_LB on
// FreeBSD). nil when none is asked for. listenPortable has already refused
// ReusePort where it does not balance.
func portableControl(opts Options) func(network, address string, c syscall.RawConn) error {
	if !opts.ReusePort {
		return nil
	}
	return func(_, _ string, c syscall.RawConn) error {
		if !ReusePortBalances {
			return errReusePortUnbalanced
		}
		var serr error
		if err := c.Control(func(fd uintptr) { serr = setReusePort(int(fd)) }); err != nil {
			return err
		}
		return serr
	}
}

// portableRecvBuffer requests an n-byte receive buffer (0: keep the
// default) and reports what the kernel granted, read back with getsockopt
// as the native backends do, in the units of the request.
func portableRecvBuffer(conn *net.UDPConn, n int) (int, error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return 0, err
	}
	var granted int
	var serr error
	err = rc.Control(func(fd uintptr) {
		if n > 0 {
			granted, serr = setRecvBuffer(int(fd), n)
		} else {
			granted, _ = recvBuffer(int(fd)) // 0 if it cannot be read: Info says so
		}
	})
	if err != nil {
		return 0, err
	}
	return granted, serr
}
