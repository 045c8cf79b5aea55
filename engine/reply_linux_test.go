package engine

import (
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestReplyFromDestination: an engine bound to a wildcard address answers
// each client from the address the client sent to. The clients are
// connected sockets, which the kernel lets receive only from the address
// they connected to: a reply from any other source never arrives.
//
// A wildcard-bound socket asks for every datagram's destination from the
// moment it opens (unless Config.ReceiveOnly), so the very first request
// is answered from the right address: no warm-up. A socket bound to one
// address asks for neither: its replies leave from that address anyway,
// and the destination would cost every read a control message.
func TestReplyFromDestination(t *testing.T) {
	for _, tc := range []struct {
		name, addr string
		wildcard   bool
		clients    []string // the address each client sends to, and binds
	}{
		{"udp4 0.0.0.0", "udp4://0.0.0.0:0", true, []string{"127.0.0.2", "127.0.0.1"}},
		{"udp [::]", "udp://[::]:0", true, []string{"127.0.0.2", "::1", "127.0.0.1"}},
		{"udp4 127.0.0.2", "udp4://127.0.0.2:0", false, []string{"127.0.0.2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startEngine(t, Config{Addr: tc.addr, Loops: 1, Handler: bufferEcho})
			if info := e.Stats().Loops[0].Socket; info.PinsSource != tc.wildcard || info.PktInfo != tc.wildcard {
				t.Fatalf("PinsSource %v, PktInfo %v; want both %v (wildcard-bound: %v)", info.PinsSource, info.PktInfo, tc.wildcard, tc.wildcard)
			}
			port := e.Addr().(*net.UDPAddr).Port
			for round := range 3 {
				for _, host := range tc.clients {
					a := netip.MustParseAddr(host)
					network := "udp4"
					if a.Is6() {
						network = "udp6"
					}
					laddr := &net.UDPAddr{IP: a.AsSlice()}
					c := dialT(t, network, laddr, net.UDPAddrFromAddrPort(netip.AddrPortFrom(a, uint16(port))))
					msg := request(round)
					if _, err := c.Write([]byte(msg)); err != nil {
						t.Fatal(err)
					}
					if got := readReplies(t, c, 1, 2*time.Second); got[0] != msg {
						t.Errorf("round %d, client of %s: reply %q, want %q", round, host, got[0], msg)
					}
				}
			}
		})
	}
}

// TestReplyICMPWithRecvErr: the ICMP test on an adopted socket with
// IP_RECVERR set, where port unreachable errors are queued on the socket
// (its error queue, and a pending ECONNREFUSED) instead of being
// discarded.
func TestReplyICMPWithRecvErr(t *testing.T) {
	conn := recvErrConn(t)
	exits := make(chan LoopExit, 10)
	cfg := Config{Sockets: []syscall.Conn{conn}, Handler: icmpHandler(closedPort(t)),
		OnLoopExit: func(x LoopExit) { exits <- x }}
	e := startEngine(t, cfg)
	testICMPUnreachable(t, cfg, conn.LocalAddr().(*net.UDPAddr), e, exits)
}

// recvErrConn is a UDP socket on 127.0.0.1 with IP_RECVERR on, so that
// ICMP errors for its sends are queued on its error queue and pending as
// a socket error, for tests that adopt it; closed when t ends.
func recvErrConn(t *testing.T) *net.UDPConn {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	rc, err := conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_IP, unix.IP_RECVERR, 1)
	}); err != nil || serr != nil {
		t.Fatalf("IP_RECVERR: %v %v", err, serr)
	}
	return conn
}
