//go:build linux || darwin || freebsd

package platform

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestCheckPath: the path of a unixgram Listen leads to its socket until
// the file is removed, or replaced by another socket file; UDP has no path.
func TestCheckPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	r, err := Listen("unixgram", path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := CheckPath(r.Info()); err != nil {
		t.Fatalf("fresh socket: %v", err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := CheckPath(r.Info()); !errors.Is(err, ErrPathLost) {
		t.Errorf("removed: %v, want ErrPathLost", err)
	}
	other, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := CheckPath(r.Info()); !errors.Is(err, ErrPathLost) {
		t.Errorf("replaced: %v, want ErrPathLost", err)
	}
	u, err := Listen("udp4", "127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if err := CheckPath(u.Info()); err != nil {
		t.Errorf("UDP: %v, want nil", err)
	}
}

// TestProbeUnshared: the probe fails with ErrAddrInUse while any socket
// holds the address, with or without SO_REUSEPORT, and leaves nothing
// bound; a UDP Listen's EADDRINUSE wraps ErrAddrInUse too.
func TestProbeUnshared(t *testing.T) {
	r, err := Listen("udp4", "127.0.0.1:0", Options{ReusePort: ReusePortBalances})
	if err != nil {
		t.Fatal(err)
	}
	addr := r.LocalAddr().String()
	if err := ProbeUnshared("udp4", addr); !errors.Is(err, ErrAddrInUse) || !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("probe of a held address: %v, want ErrAddrInUse and EADDRINUSE", err)
	}
	if _, err := Listen("udp4", addr, Options{}); !errors.Is(err, ErrAddrInUse) {
		t.Errorf("plain Listen on a held address: %v, want ErrAddrInUse", err)
	}
	r.Close()
	if err := ProbeUnshared("udp4", addr); err != nil {
		t.Errorf("probe of a free address: %v", err)
	}
	if err := ProbeUnshared("udp4", addr); err != nil {
		t.Errorf("second probe: %v (the first left a socket bound)", err)
	}
}
