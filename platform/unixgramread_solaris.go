package platform

import (
	"net"
	"net/netip"
)

// unixgramReadMsg returns the portable backend's readMsg for c on Solaris
// and illumos: package net's ReadMsgUnix. It allocates the sender's
// *net.UnixAddr for every datagram from a bound sender (the sender is not
// reported: see listenUnixgram). The allocation-free recvmsg of
// unixgramread_unix.go needs msg_flags, which x/sys/unix's struct msghdr
// for these systems does not name.
func unixgramReadMsg(c *net.UnixConn, _ net.Addr) (func([]byte) (int, int, netip.AddrPort, error), error) {
	return func(b []byte) (int, int, netip.AddrPort, error) {
		n, _, flags, _, err := c.ReadMsgUnix(b, nil)
		return n, flags, netip.AddrPort{}, err
	}, nil
}
