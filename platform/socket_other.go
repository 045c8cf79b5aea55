//go:build !linux && !darwin && !freebsd

package platform

import (
	"net"
	"syscall"
)

// NativeBackend names the native read path (Info.Backend); "" here: this
// system has only the portable backend.
const NativeBackend = ""

// ReusePortBalances reports whether SO_REUSEPORT spreads datagrams over the
// sockets bound to one address. false here: Windows has no SO_REUSEPORT
// (its SO_REUSEADDR lets sockets share a port without balancing), and on
// the other systems udprx has no backend that sets it: one loop per address.
const ReusePortBalances = false

// portableControl returns the ListenConfig.Control function for the
// options that must precede bind. There are none here: ReusePort is
// refused (listenPortable refuses it first; this keeps the helper safe on
// its own), and the receive buffer is set after the bind, through package
// net, by portableRecvBuffer.
func portableControl(opts Options) func(network, address string, c syscall.RawConn) error {
	if !opts.ReusePort {
		return nil
	}
	return func(string, string, syscall.RawConn) error { return errReusePortUnbalanced }
}

// portableRecvBuffer requests an n-byte receive buffer (0: keep the
// default) through package net. It reports 0 granted: there is no portable
// way to read the size back here, and Info documents 0 as "cannot be read"
// rather than claiming the request was met.
func portableRecvBuffer(conn *net.UDPConn, n int) (int, error) {
	if n > 0 {
		if err := conn.SetReadBuffer(n); err != nil {
			return 0, err
		}
	}
	return 0, nil
}
