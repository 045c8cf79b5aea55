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
// With Config.DstAddr every datagram carries its destination from the
// first. Without it, destinations are turned on by the first reply
// (Writer.Reply), so the replies to the datagrams read before that, the
// socket's first batch, leave from the address the kernel chooses
// (127.0.0.1 for 127.0.0.2 on lo): a warm-up exchange from an unconnected
// client stands for that batch here, and every exchange after it must be
// answered from the right address.
func TestReplyFromDestination(t *testing.T) {
	for _, tc := range []struct {
		name, addr string
		clients    []string // the address each client sends to, and binds
	}{
		{"udp4 0.0.0.0", "udp4://0.0.0.0:0", []string{"127.0.0.2", "127.0.0.1"}},
		{"udp [::]", "udp://[::]:0", []string{"127.0.0.2", "::1", "127.0.0.1"}},
	} {
		for _, dstAddr := range []bool{true, false} {
			name := tc.name + map[bool]string{true: " DstAddr", false: " lazy"}[dstAddr]
			t.Run(name, func(t *testing.T) {
				e := startEngine(t, Config{Addr: tc.addr, Loops: 1, Handler: bufferEcho, DstAddr: dstAddr})
				if !e.Stats().Loops[0].Socket.PinsSource {
					t.Fatal("a wildcard-bound socket does not pin sources")
				}
				port := e.Addr().(*net.UDPAddr).Port
				if !dstAddr {
					c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
					if _, err := c.WriteToUDP([]byte("warm-up"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}); err != nil {
						t.Fatal(err)
					}
					c.SetReadDeadline(time.Now().Add(5 * time.Second))
					if _, _, err := c.ReadFromUDP(make([]byte, 64)); err != nil {
						t.Fatalf("warm-up reply: %v", err)
					}
					if !e.Stats().Loops[0].Socket.PktInfo {
						t.Fatal("the first reply did not turn destination addresses on")
					}
				}
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
}

// TestReplyICMPWithRecvErr: the ICMP test on an adopted socket with
// IP_RECVERR set, where port unreachable errors are queued on the socket
// (its error queue, and a pending ECONNREFUSED) instead of being
// discarded.
func TestReplyICMPWithRecvErr(t *testing.T) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
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
	exits := make(chan LoopExit, 10)
	cfg := Config{Sockets: []syscall.Conn{conn}, Handler: icmpHandler(closedPort(t)),
		OnLoopExit: func(x LoopExit) { exits <- x }}
	e := startEngine(t, cfg)
	testICMPUnreachable(t, cfg, conn.LocalAddr().(*net.UDPAddr), e, exits)
}
