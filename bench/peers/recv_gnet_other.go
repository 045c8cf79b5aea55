//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package peers

import (
	"errors"
	"fmt"
	"runtime"
)

// newGnetReceiver reports that the gnet receiver is not built here. gnet/v2
// compiles on Windows, but there it is a goroutine per connection over the
// net package rather than its epoll/kqueue event loop, so it would not be
// the gnet being compared; and the port-0 handling in recv_gnet.go needs
// SO_REUSEPORT. The error wraps errors.ErrUnsupported so callers and tests
// can tell "not here" from a failure.
func newGnetReceiver(RecvConfig) (Receiver, error) { return newGnetEcho(RecvConfig{}) }

// newGnetEcho reports the same for the gnet echo server.
func newGnetEcho(RecvConfig) (Receiver, error) {
	return nil, fmt.Errorf("peers: gnet receiver not built on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
