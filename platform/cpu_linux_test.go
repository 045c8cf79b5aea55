package platform

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestLinuxIncomingCPUSteers binds two SO_REUSEPORT sockets, sets their
// SO_INCOMING_CPU to CPUs 0 and 1 after bind, and sends from a thread
// pinned to each CPU in turn, every datagram from a new source port (so
// the flow hash alone would spread them). On loopback the kernel's receive
// work runs on the sending CPU, so every datagram must reach the socket
// set to that CPU.
func TestLinuxIncomingCPUSteers(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs 2 CPUs")
	}
	if !kernelAtLeast(t, 6, 2) {
		t.Skip("SO_REUSEPORT selection by SO_INCOMING_CPU needs Linux 6.2")
	}
	a := listenT(t, "udp4", "127.0.0.1:0", Options{ReusePort: true})
	b := listenT(t, "udp4", a.LocalAddr().String(), Options{ReusePort: true})
	socks := []Receiver{a, b}
	for cpu, r := range socks {
		s := r.(CPUSteerer)
		if got, err := s.IncomingCPU(); err != nil || got != -1 {
			t.Fatalf("IncomingCPU before set = %d, %v: want -1", got, err)
		}
		if err := s.SetIncomingCPU(cpu); err != nil {
			t.Fatal(err)
		}
		if got, err := s.IncomingCPU(); err != nil || got != cpu {
			t.Fatalf("IncomingCPU after SetIncomingCPU(%d) = %d, %v", cpu, got, err)
		}
	}
	bt := newBatch(t, 64, 2048)
	const n = 100
	for cpu := range socks {
		if err := sendFromCPU(cpu, a.LocalAddr().(*net.UDPAddr), n); err != nil {
			t.Fatal(err)
		}
		for i, r := range socks {
			want := 0
			if i == cpu {
				want = n
			}
			got := 0
			for {
				k, err := r.Read(bt)
				if err != nil {
					t.Fatal(err)
				}
				if k == 0 {
					break
				}
				got += k
			}
			if got != want {
				t.Errorf("sent %d from CPU %d: socket set to CPU %d got %d, want %d", n, cpu, i, got, want)
			}
		}
	}
	a.Close()
	if _, err := a.(CPUSteerer).IncomingCPU(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("IncomingCPU after Close: %v, want net.ErrClosed", err)
	}
}

// sendFromCPU sends n one-byte datagrams to addr from a thread pinned to
// cpu, each from a new socket. Loopback delivery runs in the sender's
// system call, so they are queued when it returns.
func sendFromCPU(cpu int, addr *net.UDPAddr, n int) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	restore, err := PinThread(cpu)
	if err != nil {
		return err
	}
	defer restore()
	for i := range n {
		c, err := net.DialUDP("udp4", nil, addr)
		if err != nil {
			return err
		}
		_, err = c.Write([]byte{1})
		c.Close()
		if err != nil {
			return fmt.Errorf("datagram %d: %w", i, err)
		}
	}
	return nil
}

// kernelAtLeast reports whether the running kernel's release is at least
// major.minor.
func kernelAtLeast(t *testing.T, major, minor int) bool {
	t.Helper()
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	var ma, mi int
	if _, err := fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &ma, &mi); err != nil {
		t.Fatalf("kernel release %q: %v", u.Release[:], err)
	}
	return ma > major || ma == major && mi >= minor
}
