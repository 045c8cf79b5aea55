//go:build !linux

package peers

import (
	"errors"
	"fmt"
	"runtime"
)

// newRawmmsgReceiver reports that the raw recvmmsg yardstick exists only
// on Linux, the one system with recvmmsg(2) udprx reads with. The error
// wraps errors.ErrUnsupported so callers and tests can tell "not here"
// from a failure.
func newRawmmsgReceiver(RecvConfig) (Receiver, error) { return newRawmmsgEcho(RecvConfig{}) }

// newRawmmsgEcho reports the same for the recvmmsg + sendmmsg echo loop.
func newRawmmsgEcho(RecvConfig) (Receiver, error) {
	return nil, fmt.Errorf("peers: rawmmsg receiver needs recvmmsg(2) and sendmmsg(2), which %s lacks: %w", runtime.GOOS, errors.ErrUnsupported)
}
