package platform_test

import (
	"runtime"
	"testing"

	"github.com/udprx/udprx/platform"
	"github.com/udprx/udprx/platform/platformtest"
)

// TestContract runs the Receiver contract (package platformtest) against
// every backend this system has: the native one (on Linux also with
// LockedThread, where Wait blocks in epoll_wait instead of parking), and
// the portable one; on UDP over IPv4 and IPv6 and on unixgram where the
// system has unix datagram sockets.
func TestContract(t *testing.T) {
	type backend struct {
		name string
		opts platform.Options
	}
	var backends []backend
	if platform.NativeBackend != "" {
		backends = append(backends, backend{"native", platform.Options{}})
		if runtime.GOOS == "linux" {
			backends = append(backends, backend{"native-locked", platform.Options{LockedThread: true}})
		}
	}
	backends = append(backends, backend{"portable", platform.Options{Portable: true}})
	networks := []string{"udp4", "udp6"}
	if platform.UnixgramSupported {
		networks = append(networks, "unixgram")
	}
	for _, be := range backends {
		for _, network := range networks {
			t.Run(be.name+"/"+network, func(t *testing.T) {
				platformtest.TestReceiver(t, network, platformtest.Backend{
					Open: func(network, address string) (platform.Receiver, error) {
						return platform.Listen(network, address, be.opts)
					},
					ShutdownRead: platform.ShutdownRead,
				})
			})
		}
	}
}
