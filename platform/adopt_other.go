//go:build !linux && !darwin && !freebsd

package platform

import (
	"errors"
	"fmt"
	"runtime"
)

// Adopt returns a Receiver for a datagram socket the application already
// has (see adopt_native.go). It is not supported on this system: only
// where a native backend exists (Linux, darwin, FreeBSD). Windows sockets
// are handles that package net cannot take over (net.FilePacketConn is not
// implemented there), and the other systems have no duplicate-and-check
// path written for them; open the socket with Listen instead.
func Adopt(fd uintptr, opts Options) (Receiver, error) {
	return nil, fmt.Errorf("platform: adopt fd %d: adopting a socket on %s: %w", fd, runtime.GOOS, errors.ErrUnsupported)
}
