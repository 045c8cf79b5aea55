package platform

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// adoptConn adopts conn's descriptor, as an application would.
func adoptConn(t *testing.T, conn syscall.Conn, opts Options) (Receiver, error) {
	t.Helper()
	rc, err := conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var r Receiver
	var aerr error
	if err := rc.Control(func(fd uintptr) { r, aerr = Adopt(fd, opts) }); err != nil {
		t.Fatal(err)
	}
	return r, aerr
}

// TestAdoptUDP adopts a *net.UDPConn's socket, receives through the
// Receiver, closes it, and checks the application's conn still receives
// and sends: Close closed only Adopt's duplicate.
func TestAdoptUDP(t *testing.T) {
	for _, be := range ugBackends {
		t.Run(be.name, func(t *testing.T) {
			conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			r, err := adoptConn(t, conn, Options{Portable: be.portable})
			if err != nil {
				t.Fatalf("Adopt: %v", err)
			}
			defer r.Close()
			if got, want := r.LocalAddr().String(), conn.LocalAddr().String(); got != want {
				t.Errorf("LocalAddr = %s, want %s", got, want)
			}
			want := NativeBackend
			if be.portable {
				want = "portable"
			}
			if info := r.Info(); info.Backend != want || info.Path != "" {
				t.Errorf("Info = %+v, want Backend %q and no Path", info, want)
			}
			client := ptDial(t, r, "127.0.0.1")
			b := ptBatch(t, 4, 2048)
			ptReadNone(t, r, b)
			ptSend(t, client, []byte("via the receiver"))
			ptWait(t, r, Readable)
			ptReadOne(t, r, b, []byte("via the receiver"), ptSrc(client), 0)
			if err := r.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}

			ptSend(t, client, []byte("via the conn"))
			conn.SetReadDeadline(time.Now().Add(ptBound))
			buf := make([]byte, 64)
			n, from, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil || string(buf[:n]) != "via the conn" {
				t.Fatalf("the conn after Close read %q, %v", buf[:n], err)
			}
			if _, err := conn.WriteToUDPAddrPort([]byte("reply"), from); err != nil {
				t.Fatalf("the conn after Close cannot send: %v", err)
			}
			client.SetReadDeadline(time.Now().Add(ptBound))
			if n, err := client.Read(buf); err != nil || string(buf[:n]) != "reply" {
				t.Errorf("client read %q, %v; want the conn's reply", buf[:n], err)
			}
		})
	}
}

// TestAdoptUnixgram adopts a unixgram socket bound by package net: it
// receives, and Close leaves the socket file (Adopt did not create it).
func TestAdoptUnixgram(t *testing.T) {
	for _, be := range ugBackends {
		t.Run(be.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "app.sock")
			conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			r, err := adoptConn(t, conn, Options{Portable: be.portable})
			if err != nil {
				t.Fatalf("Adopt: %v", err)
			}
			defer r.Close()
			if got := r.LocalAddr().String(); got != path {
				t.Errorf("LocalAddr = %s, want %s", got, path)
			}
			if p := r.Info().Path; p != "" {
				t.Errorf("Info.Path = %q, want \"\": an adopted socket's file is not ours", p)
			}
			s := ugSender(t, path, "")
			b := ptBatch(t, 4, 2048)
			ptReadNone(t, r, b)
			ugWrite(t, s, []byte("adopted"))
			ptWait(t, r, Readable)
			ptReadOne(t, r, b, []byte("adopted"), ptZero, 0)
			before := ugLstat(t, path)
			if err := r.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if after := ugLstat(t, path); after != before {
				t.Errorf("Close changed the socket file: %+v, was %+v", after, before)
			}
			ugAbsent(t, path+".lock")
			ugWrite(t, s, []byte("to the conn"))
			conn.SetReadDeadline(time.Now().Add(ptBound))
			buf := make([]byte, 64)
			if n, _, err := conn.ReadFrom(buf); err != nil || string(buf[:n]) != "to the conn" {
				t.Errorf("the conn after Close read %q, %v", buf[:n], err)
			}
		})
	}
}

// TestAdoptSocketpair: an unnamed unix datagram socket (one end of a
// socketpair) is adoptable; its LocalAddr has no name.
func TestAdoptSocketpair(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	r, err := Adopt(uintptr(fds[0]), Options{})
	if err != nil {
		t.Fatalf("Adopt: %v", err)
	}
	defer r.Close()
	if la, ok := r.LocalAddr().(*net.UnixAddr); !ok || la.Name != "" {
		t.Errorf("LocalAddr = %#v, want an unnamed *net.UnixAddr", r.LocalAddr())
	}
	b := ptBatch(t, 4, 2048)
	if _, err := unix.Write(fds[1], []byte("pair")); err != nil {
		t.Fatal(err)
	}
	ptWait(t, r, Readable)
	ptReadOne(t, r, b, []byte("pair"), ptZero, 0)
}

func TestAdoptRefuses(t *testing.T) {
	tcp, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	file, err := os.CreateTemp(t.TempDir(), "not-a-socket")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	unbound, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(unbound)
	netlink, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(netlink)
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()

	for _, tc := range []struct {
		name string
		try  func() (Receiver, error)
		want string // in the message
		is   error  // matched by errors.Is, if set
	}{
		{"tcp listener", func() (Receiver, error) { return adoptConn(t, tcp.(*net.TCPListener), Options{}) }, "SOCK_STREAM", nil},
		{"regular file", func() (Receiver, error) { return Adopt(file.Fd(), Options{}) }, "not a socket", ErrNotSocket},
		{"unbound udp", func() (Receiver, error) { return Adopt(uintptr(unbound), Options{}) }, "not bound", nil},
		{"netlink", func() (Receiver, error) { return Adopt(uintptr(netlink), Options{}) }, "want AF_INET, AF_INET6 or AF_UNIX", nil},
		{"closed descriptor", func() (Receiver, error) { return Adopt(1<<20, Options{}) }, "bad file descriptor", unix.EBADF},
		{"ReusePort", func() (Receiver, error) { return adoptConn(t, udp, Options{ReusePort: true}) }, "ReusePort", nil},
		{"UnixMode", func() (Receiver, error) { return adoptConn(t, udp, Options{UnixMode: 0o600}) }, "UnixMode", nil},
	} {
		r, err := tc.try()
		if err == nil {
			r.Close()
			t.Errorf("%s: Adopt succeeded", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || (tc.is != nil && !errors.Is(err, tc.is)) {
			t.Errorf("%s: Adopt = %v, want an error saying %q (matching %v)", tc.name, err, tc.want, tc.is)
		}
		t.Logf("%s: %v", tc.name, err)
	}

	// The refused descriptors are still the caller's, and still open.
	c, err := net.Dial("tcp4", tcp.Addr().String())
	if err != nil {
		t.Errorf("the TCP listener after a refused Adopt: %v", err)
	} else {
		c.Close()
	}
	if _, err := file.WriteString("still open"); err != nil {
		t.Errorf("the file after a refused Adopt: %v", err)
	}
}

// sockState reads what Adopt may change on fd, for comparison.
func sockState(t *testing.T, fd int) map[string]int {
	t.Helper()
	st := map[string]int{}
	for name, o := range map[string][2]int{
		"SO_RCVBUF":          {unix.SOL_SOCKET, unix.SO_RCVBUF},
		"UDP_GRO":            {unix.SOL_UDP, unix.UDP_GRO},
		"IP_PKTINFO":         {unix.IPPROTO_IP, unix.IP_PKTINFO},
		"IPV6_RECVPKTINFO":   {unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO},
		"SO_TIMESTAMP_OLD":   {unix.SOL_SOCKET, unix.SO_TIMESTAMP_OLD},
		"SO_TIMESTAMPNS_NEW": {unix.SOL_SOCKET, unix.SO_TIMESTAMPNS_NEW},
		"SO_TIMESTAMPNS_OLD": {unix.SOL_SOCKET, unix.SO_TIMESTAMPNS_OLD},
	} {
		v, err := unix.GetsockoptInt(fd, o[0], o[1])
		if err != nil {
			t.Fatalf("getsockopt %s: %v", name, err)
		}
		st[name] = v
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		t.Fatal(err)
	}
	st["O_NONBLOCK"] = fl & unix.O_NONBLOCK
	var n uint32
	if err := getsockoptRaw(fd, unix.SO_GET_FILTER, nil, &n); err != nil {
		t.Fatalf("getsockopt SO_GET_FILTER: %v", err)
	}
	st["filter instructions"] = int(n)
	return st
}

// TestAdoptLeavesSocketAsFound: a blocking dual-stack socket, as a
// service manager passes it, with its owner's own socket filter and
// SO_TIMESTAMP (microseconds) on, is adopted with every option the
// engine can ask for, its intake closed as Shutdown does, and closed.
// Everything Adopt and CloseIntake changed is back as it was, and the
// owner's descriptor receives again (issue 12, case 1).
func TestAdoptLeavesSocketAsFound(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	owner := os.NewFile(uintptr(fd), "owner")
	defer owner.Close()
	if err := unix.Bind(fd, &unix.SockaddrInet6{Addr: [16]byte{10: 0xff, 11: 0xff, 12: 127, 15: 1}}); err != nil {
		t.Fatal(err)
	}
	// The owner's filter: "ret #0xffffffff", accept every packet whole.
	own := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: 0xffffffff}}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
		&unix.SockFprog{Len: 1, Filter: &own[0]}); err != nil {
		t.Fatal(err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMP_OLD, 1); err != nil {
		t.Fatal(err)
	}
	before := sockState(t, fd)
	r, err := Adopt(uintptr(fd), Options{RecvBuffer: 3 << 20, GRO: true, PktInfo: true, Timestamps: true})
	if err != nil {
		t.Fatal(err)
	}
	during := sockState(t, fd)
	if info := r.Info(); !info.GRO || !info.PktInfo || !info.Timestamps || during["O_NONBLOCK"] == 0 {
		t.Fatalf("Adopt did not turn the options on (Info %+v, state %v): the test proves nothing", info, during)
	}
	if err := r.(IntakeCloser).CloseIntake(); err != nil {
		t.Fatal(err)
	}
	var prog [1]unix.SockFilter
	n := uint32(len(prog))
	if err := getsockoptRaw(fd, unix.SO_GET_FILTER, unsafe.Pointer(&prog[0]), &n); err != nil || prog[0].K != 0 {
		t.Fatalf("after CloseIntake the filter is %+v (%v), want drop-all", prog, err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	after := sockState(t, fd)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s: %d after Close, %d before Adopt", k, after[k], v)
		}
	}
	n = uint32(len(prog))
	if err := getsockoptRaw(fd, unix.SO_GET_FILTER, unsafe.Pointer(&prog[0]), &n); err != nil || n != 1 || prog[0] != own[0] {
		t.Errorf("after Close the filter is %d instructions %+v (%v), want the owner's %+v", n, prog[:n], err, own)
	}
	// The owner's descriptor receives again.
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sa.(*unix.SockaddrInet6).Port})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("after")); err != nil {
		t.Fatal(err)
	}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 5}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if k, _, err := unix.Recvfrom(fd, buf, 0); err != nil || string(buf[:k]) != "after" {
		t.Errorf("owner read %q, %v; want \"after\"", buf[:max(k, 0)], err)
	}
}
