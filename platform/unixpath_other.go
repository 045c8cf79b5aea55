//go:build !unix || aix

package platform

import (
	"errors"
	"fmt"
	"runtime"
)

// listenUnixgram is Listen for network "unixgram": not supported here.
// Windows has AF_UNIX stream sockets only, and package net offers no
// unixgram there; on AIX, golang.org/x/sys/unix has no flock(2), which the
// safe start (unixpath_unix.go) needs; the rest (js, wasip1, plan9) have no
// unix sockets.
func listenUnixgram(address string, _ Options) (Receiver, error) {
	return nil, fmt.Errorf("platform: unixgram %q: unix datagram sockets on %s: %w", address, runtime.GOOS, errors.ErrUnsupported)
}

// CheckPath reports nil: no Receiver here has a socket file (see
// unixpath_unix.go).
func CheckPath(Info) error { return nil }
