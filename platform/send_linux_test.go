package platform

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/udprx/udprx/batch"
)

var (
	sendTo  = netip.MustParseAddrPort("192.0.2.1:53")
	sendTo2 = netip.MustParseAddrPort("192.0.2.2:53")
	from2   = netip.MustParseAddr("127.0.0.2")
)

// msgsOf builds messages of the given payload sizes, all to to from from.
func msgsOf(to netip.AddrPort, from netip.Addr, sizes ...int) []batch.Message {
	m := make([]batch.Message, len(sizes))
	for i, n := range sizes {
		m[i] = batch.Message{Payload: make([]byte, n), To: to, From: from}
	}
	return m
}

func repeatSize(n, size int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = size
	}
	return s
}

// TestSendRun: which messages one send carries with GSO on.
func TestSendRun(t *testing.T) {
	mixed := msgsOf(sendTo, from2, 100, 100, 100)
	mixed[2].To = sendTo2
	otherSrc := msgsOf(sendTo, from2, 100, 100, 100)
	otherSrc[1].From = netip.Addr{}
	otherIf := msgsOf(sendTo, from2, 100, 100)
	otherIf[1].IfIndex = 3
	for _, tc := range []struct {
		name string
		gso  bool
		msgs []batch.Message
		want int
	}{
		{"equal sizes", true, msgsOf(sendTo, from2, 100, 100, 100, 100), 4},
		{"last shorter", true, msgsOf(sendTo, from2, 100, 100, 100, 40), 4},
		{"nothing after a shorter one", true, msgsOf(sendTo, from2, 100, 40, 40), 2},
		{"a longer one ends the run", true, msgsOf(sendTo, from2, 100, 100, 101, 100), 2},
		{"other destination", true, mixed, 2},
		{"other source", true, otherSrc, 1},
		{"other interface", true, otherIf, 1},
		{"single", true, msgsOf(sendTo, from2, 100), 1},
		{"GSO off", false, msgsOf(sendTo, from2, 100, 100, 100), 1},
		{"at most 64 segments", true, msgsOf(sendTo, from2, repeatSize(100, 10)...), maxGSOSegments},
		// 43 * 1500 = 64500 fits in 65507 bytes, 44 * 1500 does not.
		{"at most maxGSOBytes", true, msgsOf(sendTo, from2, repeatSize(64, 1500)...), maxGSOBytes / 1500},
		{"last shorter within maxGSOBytes", true, msgsOf(sendTo, from2, append(repeatSize(43, 1500), 1000)...), 44},
		{"last shorter past maxGSOBytes", true, msgsOf(sendTo, from2, append(repeatSize(43, 1500), 1100)...), 43},
		{"empty first is never grouped", true, msgsOf(sendTo, from2, 0, 0, 0), 1},
		{"empty last is not grouped", true, msgsOf(sendTo, from2, 100, 100, 0), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &sendState{gso: tc.gso}
			if got := s.run(tc.msgs); got != tc.want {
				t.Errorf("run = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestEncodeSockaddr: struct sockaddr_in on an AF_INET socket, struct
// sockaddr_in6 on an AF_INET6 one (IPv4 v4-mapped), ports in network byte
// order, a numeric zone as the scope id.
func TestEncodeSockaddr(t *testing.T) {
	for _, tc := range []struct {
		name    string
		to      string
		family  int
		wantLen uint32
		wantFam uint16
		addr    []byte // the address bytes expected
		scope   uint32
	}{
		{"v4 on AF_INET", "192.0.2.1:5300", unix.AF_INET, unix.SizeofSockaddrInet4, unix.AF_INET, []byte{192, 0, 2, 1}, 0},
		{"v4-mapped on AF_INET", "[::ffff:192.0.2.1]:5300", unix.AF_INET, unix.SizeofSockaddrInet4, unix.AF_INET, []byte{192, 0, 2, 1}, 0},
		{"v6 on AF_INET6", "[2001:db8::1]:5300", unix.AF_INET6, unix.SizeofSockaddrInet6, unix.AF_INET6,
			netip.MustParseAddr("2001:db8::1").AsSlice(), 0},
		{"v4 on dual stack", "192.0.2.1:5300", unix.AF_INET6, unix.SizeofSockaddrInet6, unix.AF_INET6,
			netip.MustParseAddr("::ffff:192.0.2.1").AsSlice(), 0},
		{"link-local with zone", "[fe80::1%7]:5300", unix.AF_INET6, unix.SizeofSockaddrInet6, unix.AF_INET6,
			netip.MustParseAddr("fe80::1").AsSlice(), 7},
		// The kernel refuses this one with EAFNOSUPPORT, for that message.
		{"v6 on AF_INET", "[2001:db8::1]:5300", unix.AF_INET, unix.SizeofSockaddrInet6, unix.AF_INET6,
			netip.MustParseAddr("2001:db8::1").AsSlice(), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sa unix.RawSockaddrInet6
			for i := range sa.Addr { // garbage from an earlier use must not show
				sa.Addr[i] = 0xee
			}
			n := encodeSockaddr(&sa, netip.MustParseAddrPort(tc.to), tc.family)
			if n != tc.wantLen {
				t.Fatalf("namelen %d, want %d", n, tc.wantLen)
			}
			raw := unsafe.Slice((*byte)(unsafe.Pointer(&sa)), n)
			if fam := binary.NativeEndian.Uint16(raw); fam != tc.wantFam {
				t.Errorf("family %d, want %d", fam, tc.wantFam)
			}
			if port := binary.BigEndian.Uint16(raw[2:]); port != 5300 {
				t.Errorf("port %d in network order, want 5300", port)
			}
			if tc.wantFam == unix.AF_INET {
				sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(&sa))
				if string(sa4.Addr[:]) != string(tc.addr) || sa4.Zero != [8]byte{} {
					t.Errorf("sockaddr_in addr %v zero %v, want %v and zeros", sa4.Addr, sa4.Zero, tc.addr)
				}
				return
			}
			if string(sa.Addr[:]) != string(tc.addr) || sa.Scope_id != tc.scope || sa.Flowinfo != 0 {
				t.Errorf("sockaddr_in6 addr %v scope %d flowinfo %d, want %v %d 0", sa.Addr, sa.Scope_id, sa.Flowinfo, tc.addr, tc.scope)
			}
		})
	}
}

// TestPutPktinfo writes the source control messages and reads them back
// with the package's own parser (which reads what a receive reports:
// in_pktinfo's ipi_addr, which a send ignores, so for IPv4 the
// ipi_spec_dst bytes are checked by hand).
func TestPutPktinfo(t *testing.T) {
	buf := make([]byte, sendCtlSize)
	data := hostCmsg.alignUp(hostCmsg.hdrSize())

	n := putPktinfo(buf, netip.MustParseAddr("127.0.0.2"), 5, true)
	if n != hostCmsg.space(unix.SizeofInet4Pktinfo) {
		t.Fatalf("IPv4: %d bytes, want CMSG_SPACE(%d) = %d", n, unix.SizeofInet4Pktinfo, hostCmsg.space(unix.SizeofInet4Pktinfo))
	}
	var ci ctlInfo
	hostCmsg.parse(buf[:n], &ci)
	if ci.meta.IfIndex != 5 || ci.meta.Dst != netip.IPv4Unspecified() {
		t.Errorf("IPv4 parsed back: ifindex %d ipi_addr %v, want 5 and 0.0.0.0", ci.meta.IfIndex, ci.meta.Dst)
	}
	if specDst := buf[data+4 : data+8]; string(specDst) != string([]byte{127, 0, 0, 2}) {
		t.Errorf("ipi_spec_dst %v, want 127.0.0.2", specDst)
	}
	if clen := cmsgLen(buf); clen != data+unix.SizeofInet4Pktinfo {
		t.Errorf("cmsg_len %d, want CMSG_LEN(%d) = %d", clen, unix.SizeofInet4Pktinfo, data+unix.SizeofInet4Pktinfo)
	}

	// A v4-mapped source (a dual-stack socket's view of 127.0.0.2) is
	// written as IPv4 for an IPv4 destination.
	clear(buf)
	if n := putPktinfo(buf, netip.MustParseAddr("::ffff:127.0.0.2"), 0, true); n == 0 || string(buf[data+4:data+8]) != string([]byte{127, 0, 0, 2}) {
		t.Errorf("a v4-mapped source: %d bytes, spec_dst %v; want 127.0.0.2", n, buf[data+4:data+8])
	}

	clear(buf)
	n = putPktinfo(buf, netip.MustParseAddr("2001:db8::5"), 9, false)
	if n != hostCmsg.space(unix.SizeofInet6Pktinfo) {
		t.Fatalf("IPv6: %d bytes, want %d", n, hostCmsg.space(unix.SizeofInet6Pktinfo))
	}
	hostCmsg.parse(buf[:n], &ci)
	if ci.meta.Dst != netip.MustParseAddr("2001:db8::5") || ci.meta.IfIndex != 9 {
		t.Errorf("IPv6 parsed back: %v if %d, want 2001:db8::5 if 9", ci.meta.Dst, ci.meta.IfIndex)
	}

	// A source of the other family than the destination: none written,
	// the kernel chooses.
	if n := putPktinfo(buf, netip.MustParseAddr("2001:db8::5"), 0, true); n != 0 {
		t.Errorf("an IPv6 source for an IPv4 destination wrote %d bytes, want 0", n)
	}
	if n := putPktinfo(buf, netip.MustParseAddr("192.0.2.1"), 0, false); n != 0 {
		t.Errorf("an IPv4 source for an IPv6 destination wrote %d bytes, want 0", n)
	}
}

// cmsgLen reads a struct cmsghdr's cmsg_len (a size_t) at b.
func cmsgLen(b []byte) int {
	if hostCmsg.lenSize == 8 {
		return int(binary.NativeEndian.Uint64(b))
	}
	return int(binary.NativeEndian.Uint32(b))
}

// walkCmsgs returns the (level, type, data) of each control message in b,
// for checking what build wrote (the package's parser skips UDP_SEGMENT:
// it is a send-only message).
func walkCmsgs(t *testing.T, b []byte) [][3]any {
	t.Helper()
	var out [][3]any
	data := hostCmsg.alignUp(hostCmsg.hdrSize())
	for len(b) > 0 {
		clen := cmsgLen(b)
		if clen < data || clen > len(b) {
			t.Fatalf("cmsg_len %d in %d bytes", clen, len(b))
		}
		level := int(int32(binary.NativeEndian.Uint32(b[hostCmsg.lenSize:])))
		typ := int(int32(binary.NativeEndian.Uint32(b[hostCmsg.lenSize+4:])))
		out = append(out, [3]any{level, typ, b[data:clen]})
		b = b[min(hostCmsg.alignUp(clen), len(b)):]
	}
	return out
}

// TestSendBuild: a segmented send's header: one name, one I/O vector per
// message, IP_PKTINFO then UDP_SEGMENT with the first message's size.
func TestSendBuild(t *testing.T) {
	s := &sendState{family: unix.AF_INET, gso: true, pin: true}
	msgs := msgsOf(netip.MustParseAddrPort("127.0.0.1:4000"), from2, 300, 300, 120)
	s.grow(len(msgs))
	s.build(0, msgs, 0)
	h := &s.hdrs[0].Hdr
	if h.Namelen != unix.SizeofSockaddrInet4 || h.Iovlen != 3 {
		t.Fatalf("namelen %d iovlen %d, want %d and 3", h.Namelen, h.Iovlen, unix.SizeofSockaddrInet4)
	}
	for i, iov := range s.iovs[:3] {
		if iov.Base != &msgs[i].Payload[0] || int(iov.Len) != len(msgs[i].Payload) {
			t.Errorf("iovec %d does not point at message %d's payload", i, i)
		}
	}
	ctl := unsafe.Slice(h.Control, h.Controllen)
	cms := walkCmsgs(t, ctl)
	if len(cms) != 2 {
		t.Fatalf("%d control messages, want 2 (IP_PKTINFO, UDP_SEGMENT)", len(cms))
	}
	if cms[0][0] != unix.IPPROTO_IP || cms[0][1] != unix.IP_PKTINFO {
		t.Errorf("first control message %v/%v, want IP_PKTINFO", cms[0][0], cms[0][1])
	}
	if cms[1][0] != unix.SOL_UDP || cms[1][1] != unix.UDP_SEGMENT {
		t.Errorf("second control message %v/%v, want UDP_SEGMENT", cms[1][0], cms[1][1])
	}
	if seg := cms[1][2].([]byte); len(seg) != 2 || binary.NativeEndian.Uint16(seg) != 300 {
		t.Errorf("UDP_SEGMENT data %v, want a __u16 300", seg)
	}

	// One message, no source: no control messages at all.
	s.build(1, msgsOf(netip.MustParseAddrPort("127.0.0.1:4000"), netip.Addr{}, 10), 0)
	if h := &s.hdrs[1].Hdr; h.Control != nil || h.Controllen != 0 {
		t.Errorf("a plain message has %d control bytes, want none", h.Controllen)
	}
	// A source on a socket that does not pin: none either.
	s.pin = false
	s.build(1, msgsOf(netip.MustParseAddrPort("127.0.0.1:4000"), from2, 10), 0)
	if h := &s.hdrs[1].Hdr; h.Controllen != 0 {
		t.Errorf("a non-pinning socket wrote %d control bytes, want none", h.Controllen)
	}
}

// sendAndReceive sends msgs on snd and reads len(msgs) datagrams from rcv
// within a deadline.
func sendAndReceive(t *testing.T, snd, rcv Receiver, msgs []batch.Message) []batch.Datagram {
	t.Helper()
	sent, failed, err := snd.(Sender).Send(msgs)
	if err != nil || sent != len(msgs) || failed != 0 {
		t.Fatalf("Send = %d, %d, %v; want %d, 0, nil", sent, failed, err, len(msgs))
	}
	b := newBatch(t, 64, 2048)
	var got []batch.Datagram
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < len(msgs) {
		if time.Now().After(deadline) {
			t.Fatalf("received %d of %d datagrams within 5s", len(got), len(msgs))
		}
		waitT(t, rcv)
		n, err := rcv.Read(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range b.Datagrams()[:n] {
			d.Payload = append([]byte(nil), d.Payload...)
			got = append(got, d)
		}
	}
	return got
}

// TestSendLoopback sends 64 numbered messages of varied sizes (runs of
// equal ones, each ending shorter, and single ones) to a loopback
// receiver, with GSO and without: every one arrives, in order, whole.
func TestSendLoopback(t *testing.T) {
	t.Parallel()
	for _, gso := range []bool{true, false} {
		t.Run(fmt.Sprintf("gso=%v", gso), func(t *testing.T) {
			rcv := listenT(t, "udp4", "127.0.0.1:0", Options{RecvBuffer: 4 << 20})
			snd := listenT(t, "udp4", "127.0.0.1:0", Options{})
			if !gso {
				snd.(Sender).DisableGSO()
			} else if !snd.Info().GSO {
				t.Skip("the kernel has no UDP_SEGMENT")
			}
			if snd.Info().GSO != gso {
				t.Fatalf("Info.GSO %v after DisableGSO", snd.Info().GSO)
			}
			to := netip.MustParseAddrPort(rcv.LocalAddr().String())
			var sizes []int
			for len(sizes) < 64 {
				switch len(sizes) % 20 {
				case 0: // a run of 9 equal and one shorter
					sizes = append(sizes, append(repeatSize(9, 700), 33)...)
				case 10: // singles of growing size: no run
					sizes = append(sizes, 1, 2, 3, 0, 5)
				default:
					sizes = append(sizes, 1200)
				}
			}
			sizes = sizes[:64]
			msgs := msgsOf(to, netip.Addr{}, sizes...)
			for i := range msgs {
				for j := range msgs[i].Payload {
					msgs[i].Payload[j] = byte(i + j)
				}
			}
			got := sendAndReceive(t, snd, rcv, msgs)
			src := snd.LocalAddr().String()
			for i, d := range got {
				if len(d.Payload) != sizes[i] {
					t.Fatalf("datagram %d: %d bytes, want %d", i, len(d.Payload), sizes[i])
				}
				for j, c := range d.Payload {
					if c != byte(i+j) {
						t.Fatalf("datagram %d byte %d = %d, want %d: out of order or mangled", i, j, c, byte(i+j))
					}
				}
				if d.Src.String() != src {
					t.Errorf("datagram %d from %v, want %v", i, d.Src, src)
				}
			}
		})
	}
}

// TestSendGSORunOneHeader: 64 equal messages to one destination leave as
// one struct mmsghdr (one segmented send) with GSO on, and arrive as 64
// datagrams.
func TestSendGSORunOneHeader(t *testing.T) {
	t.Parallel()
	rcv := listenT(t, "udp4", "127.0.0.1:0", Options{RecvBuffer: 4 << 20})
	snd := listenT(t, "udp4", "127.0.0.1:0", Options{})
	if !snd.Info().GSO {
		t.Skip("the kernel has no UDP_SEGMENT")
	}
	to := netip.MustParseAddrPort(rcv.LocalAddr().String())
	msgs := msgsOf(to, netip.Addr{}, repeatSize(64, 512)...)
	got := sendAndReceive(t, snd, rcv, msgs)
	s := &snd.(*linuxReceiver).snd
	if s.nmsgs[0] != 64 || s.hdrs[0].Hdr.Iovlen != 64 || s.hdrs[0].Len != 64*512 {
		t.Errorf("first send: %d messages, %d iovecs, %d bytes sent; want 64, 64, %d",
			s.nmsgs[0], s.hdrs[0].Hdr.Iovlen, s.hdrs[0].Len, 64*512)
	}
	if len(got) != 64 {
		t.Errorf("%d datagrams arrived, want 64", len(got))
	}
}

// TestSendPinsSource: a socket bound to 0.0.0.0 sends each message from
// its From (IP_PKTINFO), a dual-stack socket bound to [::] too for an
// IPv4 destination, and a socket bound to 127.0.0.1 ignores From.
func TestSendPinsSource(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		network, bind string
		pins          bool
		want          string // the source the receiver sees
	}{
		{"udp4", "0.0.0.0:0", true, "127.0.0.2"},
		{"udp", "[::]:0", true, "127.0.0.2"},
		{"udp4", "127.0.0.1:0", false, "127.0.0.1"},
	} {
		t.Run(tc.network+"/"+tc.bind, func(t *testing.T) {
			rcv := listenT(t, "udp4", "127.0.0.1:0", Options{})
			snd := listenT(t, tc.network, tc.bind, Options{})
			if snd.Info().PinsSource != tc.pins {
				t.Fatalf("Info.PinsSource %v, want %v", snd.Info().PinsSource, tc.pins)
			}
			to := netip.MustParseAddrPort(rcv.LocalAddr().String())
			got := sendAndReceive(t, snd, rcv, msgsOf(to, from2, 10, 10, 10))
			port := snd.LocalAddr().(*net.UDPAddr).Port
			for i, d := range got {
				if d.Src.Addr().String() != tc.want || int(d.Src.Port()) != port {
					t.Errorf("datagram %d from %v, want %s:%d", i, d.Src, tc.want, port)
				}
			}
		})
	}
}
