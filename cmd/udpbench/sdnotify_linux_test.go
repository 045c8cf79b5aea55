package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSdNotify sends to a path and to an abstract socket, and checks that
// sdNotify does nothing without NOTIFY_SOCKET and fails (in words, without
// the NUL byte) where nobody listens.
func TestSdNotify(t *testing.T) {
	t.Run("unset", func(t *testing.T) {
		t.Setenv("NOTIFY_SOCKET", "")
		if err := sdNotify("READY=1"); err != nil {
			t.Errorf("sdNotify without NOTIFY_SOCKET: %v, want nil", err)
		}
	})
	for _, tc := range []struct{ name, addr string }{
		{"path", filepath.Join(t.TempDir(), "notify")},
		{"abstract", "@udpbench-test-" + strconv.Itoa(os.Getpid())}, // Go binds "@" names in the abstract namespace
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: tc.addr, Net: "unixgram"})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			t.Setenv("NOTIFY_SOCKET", tc.addr)
			if err := sdNotify("READY=1\nSTATUS=testing"); err != nil {
				t.Fatalf("sdNotify: %v", err)
			}
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			buf := make([]byte, 256)
			n, err := c.Read(buf)
			if err != nil || string(buf[:n]) != "READY=1\nSTATUS=testing" {
				t.Errorf("received %q, %v", buf[:n], err)
			}
		})
	}
	for _, addr := range []string{"@udpbench-nobody-" + strconv.Itoa(os.Getpid()), filepath.Join(t.TempDir(), "none"), "relative"} {
		t.Setenv("NOTIFY_SOCKET", addr)
		err := sdNotify("READY=1")
		if err == nil || !strings.Contains(err.Error(), addr) || strings.ContainsRune(err.Error(), 0) {
			t.Errorf("NOTIFY_SOCKET=%s: %v: want an error naming it, without a NUL byte", addr, err)
		}
	}
}
