//go:build !mips && !mipsle && !mips64 && !mips64le

package errpolicy_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/udprx/udprx/errpolicy"
)

// TestLinuxSendErrnosFromTheKernel makes the running kernel produce the
// send errors the Linux table describes as measured, with real
// non-blocking sockets that send nothing anywhere (every destination is the
// test's own socket or refused before it leaves), and checks both the
// errno and its classification: the table's evidence, re-measured.
func TestLinuxSendErrnosFromTheKernel(t *testing.T) {
	newSock := func(t *testing.T, family int) int {
		t.Helper()
		fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatalf("socket: %v", err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		return fd
	}
	// boundUDP returns a UDP socket bound to 127.0.0.1 port 0 and its address.
	boundUDP := func(t *testing.T) (int, *unix.SockaddrInet4) {
		t.Helper()
		fd := newSock(t, unix.AF_INET)
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			t.Fatalf("bind: %v", err)
		}
		sa, err := unix.Getsockname(fd)
		if err != nil {
			t.Fatalf("getsockname: %v", err)
		}
		return fd, sa.(*unix.SockaddrInet4)
	}
	one := []byte("x")

	cases := []struct {
		name    string
		send    func(t *testing.T) error
		errno   syscall.Errno
		verdict errpolicy.Verdict
		label   string
	}{
		{"shut down for writing", func(t *testing.T) error {
			fd, self := boundUDP(t)
			// ENOTCONN on an unconnected socket, but it takes effect.
			if err := unix.Shutdown(fd, unix.SHUT_WR); err != nil && err != unix.ENOTCONN {
				t.Fatalf("shutdown: %v", err)
			}
			return unix.Sendto(fd, one, 0, self)
		}, unix.EPIPE, errpolicy.Fatal, "gone"},
		{"shut down both ways", func(t *testing.T) error {
			fd, self := boundUDP(t)
			if err := unix.Shutdown(fd, unix.SHUT_RDWR); err != nil && err != unix.ENOTCONN {
				t.Fatalf("shutdown: %v", err)
			}
			return unix.Sendto(fd, one, 0, self)
		}, unix.EPIPE, errpolicy.Fatal, "gone"},
		{"no destination", func(t *testing.T) error {
			fd, _ := boundUDP(t)
			return unix.Sendto(fd, one, 0, nil)
		}, unix.EDESTADDRREQ, errpolicy.Drop, "bad_address"},
		{"broadcast without SO_BROADCAST", func(t *testing.T) error {
			fd, self := boundUDP(t)
			return unix.Sendto(fd, one, 0, &unix.SockaddrInet4{Port: self.Port, Addr: [4]byte{255, 255, 255, 255}})
		}, unix.EACCES, errpolicy.Drop, "denied"},
		{"IPv6 destination on an IPv4 socket", func(t *testing.T) error {
			fd, self := boundUDP(t)
			return unix.Sendto(fd, one, 0, &unix.SockaddrInet6{Port: self.Port, Addr: [16]byte{15: 1}})
		}, unix.EAFNOSUPPORT, errpolicy.Drop, "bad_address"},
		{"destination port 0", func(t *testing.T) error {
			fd, _ := boundUDP(t)
			return unix.Sendto(fd, one, 0, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
		}, unix.EINVAL, errpolicy.Drop, "bad_address"},
		{"larger than a UDP datagram", func(t *testing.T) error {
			fd, self := boundUDP(t)
			return unix.Sendto(fd, make([]byte, 65508), 0, self)
		}, unix.EMSGSIZE, errpolicy.Drop, "too_big"},
		{"unix path that does not exist", func(t *testing.T) error {
			fd := newSock(t, unix.AF_UNIX)
			return unix.Sendto(fd, one, 0, &unix.SockaddrUnix{Name: filepath.Join(t.TempDir(), "none.sock")})
		}, unix.ENOENT, errpolicy.Drop, "refused"},
		{"unix path nobody is bound to", func(t *testing.T) error {
			path := filepath.Join(t.TempDir(), "stale.sock")
			gone := newSock(t, unix.AF_UNIX)
			if err := unix.Bind(gone, &unix.SockaddrUnix{Name: path}); err != nil {
				t.Fatalf("bind: %v", err)
			}
			unix.Close(gone) // the file stays: a stale socket
			fd := newSock(t, unix.AF_UNIX)
			return unix.Sendto(fd, one, 0, &unix.SockaddrUnix{Name: path})
		}, unix.ECONNREFUSED, errpolicy.Drop, "refused"},
		{"unix, no destination and no peer", func(t *testing.T) error {
			return unix.Sendto(newSock(t, unix.AF_UNIX), one, 0, nil)
		}, unix.ENOTCONN, errpolicy.Drop, "bad_address"},
		{"unix receiver's queue full", func(t *testing.T) error {
			path := filepath.Join(t.TempDir(), "full.sock")
			r := newSock(t, unix.AF_UNIX)
			if err := unix.Bind(r, &unix.SockaddrUnix{Name: path}); err != nil {
				t.Fatalf("bind: %v", err)
			}
			fd := newSock(t, unix.AF_UNIX)
			// The receiver never reads: its queue (net.unix.max_dgram_qlen,
			// 10 by default) or the sender's buffer fills long before this
			// bound.
			for range 1 << 16 {
				if err := unix.Sendto(fd, one, 0, &unix.SockaddrUnix{Name: path}); err != nil {
					return err
				}
			}
			t.Fatal("65536 datagrams to a receiver that never reads were all accepted")
			return nil
		}, unix.EAGAIN, errpolicy.Wait, "full"},
		{"not a descriptor", func(t *testing.T) error {
			return unix.Sendto(-1, one, 0, &unix.SockaddrInet4{Port: 1, Addr: [4]byte{127, 0, 0, 1}})
		}, unix.EBADF, errpolicy.Fatal, "gone"},
		{"not a socket", func(t *testing.T) error {
			var p [2]int
			if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
				t.Fatalf("pipe: %v", err)
			}
			t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
			return unix.Sendto(p[1], one, 0, &unix.SockaddrInet4{Port: 1, Addr: [4]byte{127, 0, 0, 1}})
		}, unix.ENOTSOCK, errpolicy.Fatal, "gone"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.send(t)
			if !errors.Is(raw, tc.errno) {
				t.Fatalf("the kernel returned %v, want %v (%s)", raw, tc.errno, unix.ErrnoName(tc.errno))
			}
			err := &net.OpError{Op: "write", Net: "udp", Err: os.NewSyscallError("sendmsg", raw)}
			d := errpolicy.Linux.ClassifySend(err)
			if d.Verdict != tc.verdict || d.Label != tc.label || d.Name != unix.ErrnoName(tc.errno) {
				t.Errorf("Linux.ClassifySend(%v) = %v %q (%s), want %v %q (%s)",
					err, d.Verdict, d.Label, d.Name, tc.verdict, tc.label, unix.ErrnoName(tc.errno))
			}
		})
	}
}
