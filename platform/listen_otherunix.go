//go:build unix && !linux && !darwin && !freebsd && !aix

package platform

import (
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// newReceiver builds the Receiver for fd, a bound, non-blocking datagram
// socket a unixgram Listen opened: on this system the portable backend, the
// only one. It requests opts.RecvBuffer with SO_RCVBUF; Info reports 0
// granted, as the portable backend does here (socket_other.go): how this
// system scales the value it reports back is not known here. It takes fd
// over: on error fd is closed (release is not run). inet and release are
// as for newNative (listen_native.go).
func newReceiver(fd int, local net.Addr, inet bool, opts Options, info Info, release func() error) (Receiver, error) {
	info.RecvBufferRequested = opts.RecvBuffer
	if opts.RecvBuffer > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, opts.RecvBuffer); err != nil {
			unix.Close(fd)
			return nil, os.NewSyscallError("setsockopt SO_RCVBUF", err)
		}
	}
	r, err := portableFromFD(fd, local, inet, info, release)
	if err != nil {
		return nil, err
	}
	return r, nil
}
