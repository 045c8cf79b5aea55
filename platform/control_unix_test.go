//go:build unix

package platform_test

import (
	"errors"
	"net"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/udprx/udprx/platform"
)

// TestControl checks that Control lends each backend's own socket (its
// getsockname is the receiver's address) and fails with net.ErrClosed
// after Close.
func TestControl(t *testing.T) {
	backends := map[string]platform.Options{"portable": {Portable: true}}
	if platform.NativeBackend != "" {
		backends["native"] = platform.Options{}
	}
	for name, opts := range backends {
		t.Run(name, func(t *testing.T) {
			r, err := platform.Listen("udp4", "127.0.0.1:0", opts)
			if err != nil {
				t.Fatal(err)
			}
			c, ok := r.(platform.Controller)
			if !ok {
				r.Close()
				t.Fatalf("%T is not a platform.Controller", r)
			}
			var sa unix.Sockaddr
			var serr error
			if err := c.Control(func(fd uintptr) { sa, serr = unix.Getsockname(int(fd)) }); err != nil {
				t.Fatal(err)
			}
			if serr != nil {
				t.Fatal(serr)
			}
			in4, ok := sa.(*unix.SockaddrInet4)
			if !ok || in4.Port != r.LocalAddr().(*net.UDPAddr).Port {
				t.Errorf("Control lent a socket bound to %+v, want the receiver's %v", sa, r.LocalAddr())
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			called := false
			err = c.Control(func(uintptr) { called = true })
			if !errors.Is(err, net.ErrClosed) || called {
				t.Errorf("Control after Close: %v, f called %v; want net.ErrClosed, not called", err, called)
			}
		})
	}
}
