//go:build unix && !aix

package platform

import (
	"errors"

	"golang.org/x/sys/unix"
)

// This file exports to the package's external tests (contract_test.go)
// what they need and the API does not offer.

// UnixgramSupported reports whether Listen opens "unixgram" sockets here.
const UnixgramSupported = true

// ShutdownRead shuts r's socket down for reading through a duplicate of
// its descriptor, as another process can with pidfd_getfd(2) (see
// docs/kernel.md). Linux returns ENOTCONN for an unconnected UDP socket
// but applies the shutdown all the same; darwin does nothing to one: both
// report nil.
func ShutdownRead(r Receiver) error {
	shut := func(fd int) error {
		err := unix.Shutdown(fd, unix.SHUT_RD)
		if errors.Is(err, unix.ENOTCONN) {
			return nil
		}
		return err
	}
	if p, ok := r.(*portableReceiver); ok {
		rc, err := p.conn.SyscallConn()
		if err != nil {
			return err
		}
		var serr error
		if err := rc.Control(func(fd uintptr) { serr = shut(int(fd)) }); err != nil {
			return err
		}
		return serr
	}
	fd, ok := nativeFD(r)
	if !ok {
		return errors.New("ShutdownRead: not a Receiver of this package")
	}
	dup, err := unix.Dup(fd)
	if err != nil {
		return err
	}
	defer unix.Close(dup)
	return shut(dup)
}
