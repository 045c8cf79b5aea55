package platform

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/udprx/udprx/batch"
)

// The parsers are tested on every system with the numbers of the systems
// they are for, from the headers, so no test depends on the host.

// linux64 is Linux on amd64 and arm64: size_t cmsg_len, 8-byte
// CMSG_ALIGN; SOL_SOCKET 1, SO_RXQ_OVFL 40, SO_TIMESTAMPNS(_OLD) 35,
// SO_TIMESTAMPNS_NEW 64 (include/uapi/asm-generic/socket.h); SOL_IP 0,
// IP_PKTINFO 8 (include/uapi/linux/in.h); SOL_IPV6 41, IPV6_PKTINFO 50
// (include/uapi/linux/in6.h); SOL_UDP 17, UDP_GRO 104
// (include/uapi/linux/udp.h).
var linux64 = cmsgParser{
	cmsgLayout: cmsgLayout{lenSize: 8, align: 8},
	cmsgKinds: cmsgKinds{solSocket: 1, rxqOvfl: 40, timestampNS: 35, tsNSNew: 64,
		solIP: 0, ipPktinfo: 8, solIPv6: 41, ipv6Pktinfo: 50, solUDP: 17, udpGRO: 104},
}

// linux32 is Linux on 386 and arm: the same numbers, a 4-byte cmsg_len
// and CMSG_ALIGN, and an old-style struct timespec of two 32-bit words.
var linux32 = cmsgParser{cmsgLayout: cmsgLayout{lenSize: 4, align: 4}, cmsgKinds: linux64.cmsgKinds}

// darwinLayout is darwin's struct cmsghdr: socklen_t cmsg_len and
// __DARWIN_ALIGN32; with Linux's numbers, to check the walk alone.
var darwinLayout = cmsgParser{cmsgLayout: cmsgLayout{lenSize: 4, align: 4}, cmsgKinds: linux64.cmsgKinds}

// freebsd64 is FreeBSD on amd64: socklen_t cmsg_len but an 8-byte
// _ALIGN, so data starts at 16 with a 12-byte header.
var freebsd64 = cmsgParser{cmsgLayout: cmsgLayout{lenSize: 4, align: 8}, cmsgKinds: linux64.cmsgKinds}

// msg is one control message to build a buffer from. lenDelta is added
// to the cmsg_len written (to build broken headers).
type msg struct {
	level, typ int32
	data       []byte
	lenDelta   int
}

// build lays out msgs as a kernel would: each header, data at
// CMSG_DATA, the next header at CMSG_NXTHDR, padding zero.
func build(l cmsgLayout, msgs ...msg) []byte {
	var buf []byte
	for _, m := range msgs {
		start := len(buf)
		buf = append(buf, make([]byte, l.space(len(m.data)))...)
		clen := l.alignUp(l.hdrSize()) + len(m.data) + m.lenDelta // CMSG_LEN
		if l.lenSize == 8 {
			binary.NativeEndian.PutUint64(buf[start:], uint64(clen))
		} else {
			binary.NativeEndian.PutUint32(buf[start:], uint32(clen))
		}
		binary.NativeEndian.PutUint32(buf[start+l.lenSize:], uint32(m.level))
		binary.NativeEndian.PutUint32(buf[start+l.lenSize+4:], uint32(m.typ))
		copy(buf[start+l.alignUp(l.hdrSize()):], m.data)
	}
	return buf
}

func u32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

func timespec64(sec, nsec int64) []byte {
	return binary.NativeEndian.AppendUint64(binary.NativeEndian.AppendUint64(nil, uint64(sec)), uint64(nsec))
}

func timespec32(sec, nsec int32) []byte {
	return binary.NativeEndian.AppendUint32(binary.NativeEndian.AppendUint32(nil, uint32(sec)), uint32(nsec))
}

// inPktinfo is struct in_pktinfo.
func inPktinfo(ifindex uint32, specDst, addr string) []byte {
	b := u32(ifindex)
	s, a := netip.MustParseAddr(specDst).As4(), netip.MustParseAddr(addr).As4()
	return append(append(b, s[:]...), a[:]...)
}

// in6Pktinfo is struct in6_pktinfo.
func in6Pktinfo(addr string, ifindex uint32) []byte {
	a := netip.MustParseAddr(addr).As16()
	return append(a[:], u32(ifindex)...)
}

func TestParseCmsgs(t *testing.T) {
	const ts = 1700000000*int64(1e9) + 123456789
	k := linux64.cmsgKinds
	for _, tc := range []struct {
		name string
		p    cmsgParser
		msgs []msg
		buf  []byte // used instead of msgs when not nil
		want ctlInfo
	}{
		{name: "empty", p: linux64},
		{name: "gro", p: linux64, msgs: []msg{{level: k.solUDP, typ: k.udpGRO, data: u32(1200)}},
			want: ctlInfo{gro: 1200}},
		{name: "rxq_ovfl", p: linux64, msgs: []msg{{level: k.solSocket, typ: k.rxqOvfl, data: u32(91)}},
			want: ctlInfo{drops: 91, hasDrops: true}},
		{name: "rxq_ovfl zero", p: linux64, msgs: []msg{{level: k.solSocket, typ: k.rxqOvfl, data: u32(0)}},
			want: ctlInfo{hasDrops: true}},
		{name: "ip_pktinfo: ipi_addr, not ipi_spec_dst", p: linux64,
			msgs: []msg{{level: k.solIP, typ: k.ipPktinfo, data: inPktinfo(1, "10.0.0.1", "127.0.0.1")}},
			want: ctlInfo{meta: batch.Meta{Dst: netip.MustParseAddr("127.0.0.1"), IfIndex: 1}}},
		{name: "ipv6_pktinfo", p: linux64,
			msgs: []msg{{level: k.solIPv6, typ: k.ipv6Pktinfo, data: in6Pktinfo("2001:db8::1", 7)}},
			want: ctlInfo{meta: batch.Meta{Dst: netip.MustParseAddr("2001:db8::1"), IfIndex: 7}}},
		{name: "ipv6_pktinfo v4-mapped is unmapped", p: linux64,
			msgs: []msg{{level: k.solIPv6, typ: k.ipv6Pktinfo, data: in6Pktinfo("::ffff:192.0.2.4", 2)}},
			want: ctlInfo{meta: batch.Meta{Dst: netip.MustParseAddr("192.0.2.4"), IfIndex: 2}}},
		{name: "timestampns", p: linux64, msgs: []msg{{level: k.solSocket, typ: k.timestampNS, data: timespec64(1700000000, 123456789)}},
			want: ctlInfo{meta: batch.Meta{Timestamp: ts}}},
		{name: "timestampns_new", p: linux64, msgs: []msg{{level: k.solSocket, typ: k.tsNSNew, data: timespec64(1700000000, 123456789)}},
			want: ctlInfo{meta: batch.Meta{Timestamp: ts}}},
		{name: "all, in the kernel's order", p: linux64, msgs: []msg{
			// udp_recvmsg: sock_recv_cmsgs (timestamp, drops), then
			// udp_cmsg_recv (GRO), then ip_cmsg_recv_offset (pktinfo).
			{level: k.solSocket, typ: k.timestampNS, data: timespec64(1700000000, 123456789)},
			{level: k.solSocket, typ: k.rxqOvfl, data: u32(5)},
			{level: k.solUDP, typ: k.udpGRO, data: u32(64)},
			{level: k.solIP, typ: k.ipPktinfo, data: inPktinfo(1, "127.0.0.1", "127.0.0.1")},
		}, want: ctlInfo{meta: batch.Meta{Dst: netip.MustParseAddr("127.0.0.1"), IfIndex: 1, Timestamp: ts}, gro: 64, drops: 5, hasDrops: true}},
		{name: "unknown messages are skipped", p: linux64, msgs: []msg{
			{level: k.solIP, typ: 2 /* IP_TTL */, data: u32(64)},
			{level: 99, typ: k.udpGRO, data: u32(9)},
			{level: k.solUDP, typ: k.udpGRO, data: u32(100)},
		}, want: ctlInfo{gro: 100}},
		{name: "gro of 0 is not coalesced", p: linux64, msgs: []msg{{level: k.solUDP, typ: k.udpGRO, data: u32(0)}}},
		{name: "negative gro is not coalesced", p: linux64, msgs: []msg{{level: k.solUDP, typ: k.udpGRO, data: u32(0xffffffff)}}},
		{name: "data too short is skipped", p: linux64, msgs: []msg{
			{level: k.solUDP, typ: k.udpGRO, data: []byte{1, 2}},
			{level: k.solIP, typ: k.ipPktinfo, data: make([]byte, 11)},
			{level: k.solSocket, typ: k.rxqOvfl, data: u32(3)},
		}, want: ctlInfo{drops: 3, hasDrops: true}},
		{name: "cmsg_len below the header ends the walk", p: linux64, msgs: []msg{
			{level: k.solSocket, typ: k.rxqOvfl, data: u32(3), lenDelta: -17},
			{level: k.solUDP, typ: k.udpGRO, data: u32(100)},
		}},
		{name: "cmsg_len past the buffer: truncated by the kernel (MSG_CTRUNC)", p: linux64,
			buf: build(linux64.cmsgLayout, msg{level: k.solSocket, typ: k.rxqOvfl, data: u32(3)},
				msg{level: k.solUDP, typ: k.udpGRO, data: u32(100)})[:24+16+2],
			want: ctlInfo{drops: 3, hasDrops: true}},
		{name: "huge cmsg_len", p: linux64, buf: append(binary.NativeEndian.AppendUint64(nil, 1<<63), make([]byte, 16)...)},
		{name: "header cut short", p: linux64, buf: make([]byte, 15)},
		{name: "trailing bytes after the last message", p: linux64,
			buf:  append(build(linux64.cmsgLayout, msg{level: k.solUDP, typ: k.udpGRO, data: u32(7)}), 1, 2, 3),
			want: ctlInfo{gro: 7}},
		{name: "linux32: all", p: linux32, msgs: []msg{
			{level: k.solSocket, typ: k.timestampNS, data: timespec32(1700000000, 123456789)},
			{level: k.solUDP, typ: k.udpGRO, data: u32(1400)},
			{level: k.solIPv6, typ: k.ipv6Pktinfo, data: in6Pktinfo("::1", 1)},
		}, want: ctlInfo{meta: batch.Meta{Dst: netip.IPv6Loopback(), IfIndex: 1, Timestamp: ts}, gro: 1400}},
		{name: "linux32: timestampns_new is 64-bit", p: linux32, msgs: []msg{
			{level: k.solSocket, typ: k.tsNSNew, data: timespec64(1700000000, 123456789)},
		}, want: ctlInfo{meta: batch.Meta{Timestamp: ts}}},
		{name: "darwin layout", p: darwinLayout, msgs: []msg{
			{level: k.solSocket, typ: k.rxqOvfl, data: []byte{1, 0, 0, 0, 9}}, // 5 bytes: padded to 8
			{level: k.solIPv6, typ: k.ipv6Pktinfo, data: in6Pktinfo("2001:db8::9", 4)},
		}, want: ctlInfo{meta: batch.Meta{Dst: netip.MustParseAddr("2001:db8::9"), IfIndex: 4}, drops: binary.NativeEndian.Uint32([]byte{1, 0, 0, 0}), hasDrops: true}},
		{name: "freebsd layout: data at 16 after a 12-byte header", p: freebsd64, msgs: []msg{
			{level: k.solUDP, typ: k.udpGRO, data: u32(3)},
			{level: k.solIP, typ: k.ipPktinfo, data: inPktinfo(2, "0.0.0.0", "192.0.2.1")},
		}, want: ctlInfo{meta: batch.Meta{Dst: netip.MustParseAddr("192.0.2.1"), IfIndex: 2}, gro: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf := tc.buf
			if buf == nil {
				buf = build(tc.p.cmsgLayout, tc.msgs...)
			}
			got := ctlInfo{gro: -1, meta: batch.Meta{IfIndex: 99}} // parse must reset
			tc.p.parse(buf[:len(buf):len(buf)], &got)
			if got != tc.want {
				t.Errorf("parse = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestCmsgSpace checks the layouts against CMSG_SPACE as the C headers
// compute it.
func TestCmsgSpace(t *testing.T) {
	for _, tc := range []struct {
		name      string
		l         cmsgLayout
		n, wantSp int
	}{
		{"linux64 int", linux64.cmsgLayout, 4, 24},
		{"linux64 in_pktinfo", linux64.cmsgLayout, 12, 32},
		{"linux64 in6_pktinfo", linux64.cmsgLayout, 20, 40},
		{"linux64 timespec", linux64.cmsgLayout, 16, 32},
		{"linux32 int", linux32.cmsgLayout, 4, 16},
		{"darwin in6_pktinfo", darwinLayout.cmsgLayout, 20, 32},
		{"freebsd64 int", freebsd64.cmsgLayout, 4, 24},
	} {
		if got := tc.l.space(tc.n); got != tc.wantSp {
			t.Errorf("%s: CMSG_SPACE(%d) = %d, want %d", tc.name, tc.n, got, tc.wantSp)
		}
	}
}

func TestParseCmsgsNoAllocs(t *testing.T) {
	k := linux64.cmsgKinds
	buf := build(linux64.cmsgLayout,
		msg{level: k.solSocket, typ: k.timestampNS, data: timespec64(1, 2)},
		msg{level: k.solUDP, typ: k.udpGRO, data: u32(64)},
		msg{level: k.solIPv6, typ: k.ipv6Pktinfo, data: in6Pktinfo("2001:db8::1", 7)})
	var out ctlInfo
	if a := testing.AllocsPerRun(100, func() { linux64.parse(buf, &out) }); a != 0 {
		t.Errorf("%v allocations per parse, want 0", a)
	}
}

// FuzzParseCmsgs feeds arbitrary bytes to every layout: parse must not
// panic (which is how Go reports a read outside buf: buf's capacity is
// clipped to its length), and what it reports must come from the buffer.
func FuzzParseCmsgs(f *testing.F) {
	k := linux64.cmsgKinds
	f.Add(build(linux64.cmsgLayout,
		msg{level: k.solSocket, typ: k.timestampNS, data: timespec64(1700000000, 5)},
		msg{level: k.solSocket, typ: k.rxqOvfl, data: u32(5)},
		msg{level: k.solUDP, typ: k.udpGRO, data: u32(64)},
		msg{level: k.solIP, typ: k.ipPktinfo, data: inPktinfo(1, "127.0.0.1", "127.0.0.1")},
		msg{level: k.solIPv6, typ: k.ipv6Pktinfo, data: in6Pktinfo("::1", 1)}))
	f.Add(build(linux32.cmsgLayout, msg{level: k.solSocket, typ: k.timestampNS, data: timespec32(1, 2)}))
	f.Add(build(freebsd64.cmsgLayout, msg{level: k.solUDP, typ: k.udpGRO, data: u32(3)}))
	f.Add([]byte{})
	f.Add(make([]byte, 17))
	f.Fuzz(func(t *testing.T, buf []byte) {
		buf = buf[:len(buf):len(buf)]
		for _, p := range []*cmsgParser{&linux64, &linux32, &darwinLayout, &freebsd64} {
			var out ctlInfo
			p.parse(buf, &out)
			if out.gro < 0 {
				t.Fatalf("negative segment size %d", out.gro)
			}
			if len(buf) < p.hdrSize() && out != (ctlInfo{}) {
				t.Fatalf("%d bytes, shorter than a header, gave %+v", len(buf), out)
			}
		}
	})
}
