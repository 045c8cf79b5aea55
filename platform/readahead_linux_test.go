package platform

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/udprx/udprx/internal/seccomptest"
)

// fill sends n datagrams to r from one socket. On loopback the kernel's
// receive work for each runs in the sending call, so they are usually all
// queued when it returns; the tests read on until they have them all.
func fill(t *testing.T, r Receiver, n int) {
	t.Helper()
	c, err := net.DialUDP("udp4", nil, r.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range n {
		if _, err := c.Write([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReadAheadSeesWake: a socket that always has more to read still has
// its wake-up seen: Wait reads ahead instead of asking the poller while
// reads keep finding datagrams, but never more than readAheadLimit times
// in a row, and not at all once Wake was called. Every datagram is
// delivered once, in both wait modes.
func TestReadAheadSeesWake(t *testing.T) {
	for _, m := range waitModes {
		t.Run(m.name, func(t *testing.T) {
			r := listenT(t, "udp4", "127.0.0.1:0", Options{LockedThread: m.locked, RecvBuffer: 1 << 20})
			const total = 400
			fill(t, r, total)
			b := newBatch(t, 4, 64)
			got, waits, woken, ahead := 0, 0, -1, 0
			deadline := time.Now().Add(10 * time.Second)
			for got < total && time.Now().Before(deadline) {
				ev, err := waitResult(t, r, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				waits++
				if ev.Events&Woken != 0 && woken < 0 {
					woken = waits
				}
				if ev.Events&Readable == 0 {
					continue
				}
				n, err := r.Read(b)
				if err != nil {
					t.Fatal(err)
				}
				got += n
				if lr := r.(*linuxReceiver); lr.readAhead > ahead {
					ahead = lr.readAhead
				}
				if waits == 2 {
					if err := r.Wake(); err != nil {
						t.Fatal(err)
					}
				}
			}
			if got != total {
				t.Fatalf("read %d datagrams of %d", got, total)
			}
			// Wake came after the second wait's read: the third wait
			// asks the poller, which reports it.
			if woken != 3 {
				t.Errorf("Woken reported by wait %d, want 3 (the first after Wake)", woken)
			}
			if ahead == 0 || ahead > readAheadLimit {
				t.Errorf("at most %d waits in a row were skipped by reading ahead, want 1 to %d", ahead, readAheadLimit)
			}
		})
	}
}

// TestReadAheadError: an error from a read made ahead in Wait is not lost:
// Wait reports the socket readable and the next Read returns the error
// (recvmmsg failing with ENOMEM from a seccomp filter, in a child process).
func TestReadAheadError(t *testing.T) {
	if !seccomptest.InChild(t, 60*time.Second) {
		return
	}
	r := listenT(t, "udp4", "127.0.0.1:0", Options{})
	fill(t, r, 8)
	b := newBatch(t, 4, 64)
	if ev, err := waitResult(t, r, 5*time.Second); err != nil || ev.Events&Readable == 0 {
		t.Fatalf("Wait = %v, %v; want Readable", ev, err)
	}
	if n, err := r.Read(b); n != 4 || err != nil {
		t.Fatalf("Read = %d, %v; want 4 datagrams", n, err)
	}
	if err := seccomptest.FailOnFD([]uintptr{unix.SYS_RECVMMSG}, r.(*linuxReceiver).fd, syscall.ENOMEM); err != nil {
		t.Skipf("cannot install a seccomp filter: %v", err)
	}
	ev, err := waitResult(t, r, 5*time.Second)
	if err != nil || ev.Events&Readable == 0 {
		t.Fatalf("Wait = %v, %v; want Readable (the read ahead failed)", ev, err)
	}
	if n, err := r.Read(b); n != 0 || !errors.Is(err, syscall.ENOMEM) {
		t.Errorf("Read = %d, %v; want the read ahead's ENOMEM", n, err)
	}
}
