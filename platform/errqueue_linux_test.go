package platform

import (
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestReadErrQueue: a socket with IP_RECVERR sends to a closed port; the
// ICMP port unreachable is read from the error queue as ECONNREFUSED
// from ICMP (type 3, code 3) reported by 127.0.0.1, and then the queue is
// empty.
func TestReadErrQueue(t *testing.T) {
	r := listenT(t, "udp4", "127.0.0.1:0", Options{})
	lr := r.(*linuxReceiver)
	if err := unix.SetsockoptInt(lr.fd, unix.IPPROTO_IP, unix.IP_RECVERR, 1); err != nil {
		t.Fatal(err)
	}
	gone, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := gone.LocalAddr().(*net.UDPAddr).Port
	gone.Close()
	if err := unix.Sendto(lr.fd, []byte("x"), 0, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	eq := r.(ErrQueueReader)
	deadline := time.Now().Add(5 * time.Second)
	for {
		e, ok, err := eq.ReadErrQueue()
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			want := QueuedError{Errno: syscall.ECONNREFUSED, Origin: OriginICMP, Type: 3, Code: 3, Offender: netip.MustParseAddr("127.0.0.1")}
			if e != want {
				t.Errorf("ReadErrQueue = %+v, want %+v", e, want)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no ICMP error queued within 5s")
		}
		time.Sleep(time.Millisecond) // polling the queue, not ordering events
	}
	if e, ok, err := eq.ReadErrQueue(); ok || err != nil {
		t.Errorf("second ReadErrQueue = %+v, %v, %v; want an empty queue", e, ok, err)
	}
}
