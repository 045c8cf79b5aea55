//go:build unix

package engine

import (
	"context"
	"errors"
	"net"
	"testing"

	"golang.org/x/sys/unix"
)

// TestControl: Control lends each loop's own socket (bound to the
// engine's port), once per loop, on every backend, and fails with
// net.ErrClosed after Shutdown.
func TestControl(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 2, SharePort: true, Portable: be.portable, Handler: newCollector()})
			if err != nil {
				t.Fatal(err)
			}
			port := e.Addr().(*net.UDPAddr).Port
			fds := map[uintptr]bool{}
			if err := e.Control(func(fd uintptr) {
				fds[fd] = true
				sa, err := unix.Getsockname(int(fd))
				if in4, ok := sa.(*unix.SockaddrInet4); err != nil || !ok || in4.Port != port {
					t.Errorf("Control lent a socket bound to %+v (%v), want port %d", sa, err, port)
				}
			}); err != nil {
				t.Fatal(err)
			}
			if len(fds) != 2 {
				t.Errorf("Control lent %d sockets, want one per loop (2)", len(fds))
			}
			if err := e.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			called := false
			if err := e.Control(func(uintptr) { called = true }); !errors.Is(err, net.ErrClosed) || called {
				t.Errorf("Control after Shutdown: %v, f called %v; want net.ErrClosed, not called", err, called)
			}
		})
	}
}
