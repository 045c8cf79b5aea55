//go:build unix

package pconn

import (
	"encoding/binary"
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/udprx/udprx/engine"
)

// TestWriteMsgSegments writes with the control messages quic-go passes:
// a UDP_SEGMENT message (Linux) cuts the write into datagrams of that
// size, an ECN mark is accepted, and any other message fails the write
// before anything is queued.
func TestWriteMsgSegments(t *testing.T) {
	c := listenTest(t, Config{Engine: engine.Config{Loops: 1}})
	cl := dial(t, c)
	to := cl.LocalAddr().(*net.UDPAddr)
	b := []byte(strings.Repeat("a", 100) + strings.Repeat("b", 100) + strings.Repeat("c", 50))
	tos := cmsg(unix.IPPROTO_IP, unix.IP_TOS, []byte{2})
	want := []string{string(b)}
	oob := tos
	if runtime.GOOS == "linux" {
		oob = append(cmsg(unix.IPPROTO_UDP, udpSegment, binary.NativeEndian.AppendUint16(nil, 100)), tos...)
		want = []string{string(b[:100]), string(b[100:200]), string(b[200:])}
	}
	n, oobn, err := c.WriteMsgUDP(b, oob, to)
	if err != nil || n != len(b) || oobn != len(oob) {
		t.Fatalf("WriteMsgUDP: %d, %d, %v; want %d, %d, nil", n, oobn, err, len(b), len(oob))
	}
	if _, _, err := c.WriteMsgUDP(b, cmsg(unix.IPPROTO_IP, unix.IP_TTL, []byte{1, 0, 0, 0}), to); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("WriteMsgUDP with IP_TTL: %v, want an error matching errors.ErrUnsupported", err)
	}
	if _, err := c.WriteTo([]byte("end"), to); err != nil {
		t.Fatal(err)
	}
	want = append(want, "end") // nothing of the refused write between
	buf := make([]byte, 512)
	for i, w := range want {
		n, err := cl.Read(buf)
		if err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		if string(buf[:n]) != w {
			t.Errorf("datagram %d: %q, want %q", i, buf[:n], w)
		}
	}
}

// cmsg builds one control message.
func cmsg(level, typ int, data []byte) []byte {
	b := make([]byte, unix.CmsgSpace(len(data)))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = int32(level), int32(typ)
	h.SetLen(unix.CmsgLen(len(data)))
	copy(b[unix.CmsgLen(0):], data)
	return b
}

// TestSyscallConn checks that the RawConn lends the engine's own sockets
// (Control, SetReadBuffer) and refuses to read or write them.
func TestSyscallConn(t *testing.T) {
	c := listenTest(t, Config{Engine: engine.Config{Loops: 2, SharePort: true}})
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetReadBuffer(1 << 20); err != nil {
		t.Fatal(err)
	}
	calls := 0
	if err := rc.Control(func(fd uintptr) {
		calls++
		sa, err := unix.Getsockname(int(fd))
		if in4, ok := sa.(*unix.SockaddrInet4); err != nil || !ok || in4.Port != c.LocalAddr().(*net.UDPAddr).Port {
			t.Errorf("Control lent a socket bound to %+v (%v), want %v", sa, err, c.LocalAddr())
		}
		if n, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF); err != nil || n < 1<<20 {
			t.Errorf("SO_RCVBUF %d (%v) after SetReadBuffer(1 MiB)", n, err)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Errorf("Control called its function %d times, want once per loop (2)", calls)
	}
	if err := rc.Read(func(uintptr) bool { return true }); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("RawConn.Read: %v, want an error matching errors.ErrUnsupported", err)
	}
	if err := rc.Write(func(uintptr) bool { return true }); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("RawConn.Write: %v, want an error matching errors.ErrUnsupported", err)
	}
	c.Close()
	if err := rc.Control(func(uintptr) {}); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Control after Close: %v, want net.ErrClosed", err)
	}
}
