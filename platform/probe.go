package platform

import (
	"errors"
	"fmt"
	"net"
	"syscall"
)

// ProbeUnshared reports whether a socket may join network's address
// ("udp", "udp4" or "udp6"; "host:port" with a port other than 0) without
// sharing it with someone else's: it binds a plain socket, without
// SO_REUSEPORT, there and closes it at once. It fails, wrapping
// ErrAddrInUse and EADDRINUSE, when any socket is bound to the port and
// address (an SO_REUSEPORT group of another process that sockets with
// SO_REUSEPORT could join, sharing its traffic without a word), and with
// the bind's error otherwise. Nothing is left bound: between the probe and
// the caller's own bind another socket can still take the address, which
// the caller's bind, or its ReusePortGroup program, must then handle.
func ProbeUnshared(network, address string) error {
	c, err := net.ListenPacket(network, address)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("platform: %s %s: another socket is bound to it: %w: %w", network, address, ErrAddrInUse, err)
		}
		return err
	}
	return c.Close()
}
