package platform

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/udprx/udprx/batch"
	"github.com/udprx/udprx/internal/kernel"
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
	if ok, err := kernel.AtLeast(6, 2); err != nil {
		t.Fatal(err)
	} else if !ok {
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
		got := readEvery(t, socks, bt, n)
		for i := range socks {
			want := 0
			if i == cpu {
				want = n
			}
			if got[i] != want {
				t.Errorf("sent %d from CPU %d: socket set to CPU %d got %d, want %d", n, cpu, i, got[i], want)
			}
		}
	}
	a.Close()
	if _, err := a.(CPUSteerer).IncomingCPU(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("IncomingCPU after Close: %v, want net.ErrClosed", err)
	}
}

// readEvery reads all the sockets until want datagrams have arrived in
// all, waiting for readiness in between (the kernel may defer its receive
// work to ksoftirqd under load), and returns how many each got.
func readEvery(t *testing.T, socks []Receiver, b *batch.Batch, want int) []int {
	t.Helper()
	got := make([]int, len(socks))
	fds := make([]unix.PollFd, len(socks))
	for i, r := range socks {
		fds[i] = unix.PollFd{Fd: int32(r.(*linuxReceiver).fd), Events: unix.POLLIN}
	}
	deadline := time.Now().Add(5 * time.Second)
	for total := 0; total < want; {
		for i, r := range socks {
			k := readQueued(t, r, b)
			got[i] += k
			total += k
		}
		if total >= want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d datagrams arrived", total, want)
		}
		unix.Poll(fds, 100) // until one is readable, or 100 ms
	}
	return got
}

// sendFromCPU sends n one-byte datagrams to addr from a thread pinned to
// cpu, each from a new socket. The kernel's receive work for them runs on
// that CPU, in the sending system call or, under load, in that CPU's
// ksoftirqd.
func sendFromCPU(cpu int, addr *net.UDPAddr, n int) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	_, restore, err := PinThread(cpu)
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
