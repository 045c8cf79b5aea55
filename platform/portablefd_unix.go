//go:build unix && !aix

package platform

import (
	"fmt"
	"net"
	"os"
)

// portableFromFD builds the portable backend on fd, a bound datagram socket
// (AF_INET, AF_INET6 or AF_UNIX) that a unixgram Listen opened or Adopt
// duplicated. It takes fd over: package net gets a duplicate of it
// (net.FilePacketConn) and fd is closed, also on error. inet and release
// are as for newNative (listen_native.go).
func portableFromFD(fd int, local net.Addr, inet bool, info Info, release func() error) (*portableReceiver, error) {
	f := os.NewFile(uintptr(fd), "udprx socket")
	pc, err := net.FilePacketConn(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	info.Backend = portableBackend
	r := &portableReceiver{local: local, info: info, inet: inet, release: release}
	switch c := pc.(type) {
	case *net.UDPConn:
		r.conn, r.readMsg = c, udpReadMsg(c)
	case *net.UnixConn:
		read, err := unixgramReadMsg(c, local)
		if err != nil {
			c.Close()
			return nil, err
		}
		r.conn, r.readMsg = c, read
	default:
		pc.Close()
		return nil, fmt.Errorf("platform: portable backend: package net made a %T of the socket", pc)
	}
	return r, nil
}
