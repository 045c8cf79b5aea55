package platform

import (
	"encoding/binary"
	"net/netip"

	"github.com/udprx/udprx/batch"
)

// Control messages (ancillary data) are read here by pure functions that
// walk the bytes a recvmsg/recvmmsg call wrote to msg_control, so they can
// be tested and fuzzed on every system with buffers built by hand. A
// system whose backend reads control messages supplies hostCmsg: the
// layout of its struct cmsghdr and the (level, type) pairs to recognise
// (cmsg_linux.go; the BSD and portable backends ask for none yet).
//
// The walk mirrors the C macros of <sys/socket.h> (Linux
// include/uapi/linux/socket.h and include/linux/socket.h, glibc
// bits/socket.h; FreeBSD sys/sys/socket.h; darwin bsd/sys/socket.h):
//
//	CMSG_FIRSTHDR(m)  the first header, if msg_controllen >= sizeof(struct cmsghdr)
//	CMSG_DATA(c)      (unsigned char *)c + CMSG_ALIGN(sizeof(struct cmsghdr))
//	CMSG_NXTHDR(m, c) (unsigned char *)c + CMSG_ALIGN(c->cmsg_len), if a whole
//	                  header still fits in msg_controllen, else NULL
//	CMSG_ALIGN(n)     n rounded up to the system's boundary: sizeof(long) on
//	                  Linux, 4 bytes on darwin (__DARWIN_ALIGN32), _ALIGNBYTES+1
//	                  (sizeof(register_t)) on FreeBSD
//
// and is stricter than the macros wherever the buffer could lie: a header
// whose cmsg_len is shorter than the header (glibc's __cmsg_nxthdr stops
// there too) or runs past the bytes written ends the walk; a message whose
// data is shorter than its type needs is skipped. So any bytes at all are
// read without panicking and without reading outside buf (FuzzParseCmsgs).
// A message the kernel truncated for lack of room (put_cmsg in
// net/core/scm.c keeps cmsg_len at the full length but writes only what
// fits, and sets MSG_CTRUNC) runs past the bytes written and is never read.

// cmsgLayout is struct cmsghdr on one system:
//
//	struct cmsghdr {
//		size_t    cmsg_len;   /* Linux: 8 bytes on 64-bit systems, 4 on 32-bit */
//		                      /* BSDs: socklen_t, 4 bytes */
//		int       cmsg_level;
//		int       cmsg_type;
//		/* followed by unsigned char cmsg_data[], at CMSG_ALIGN(sizeof(struct cmsghdr)) */
//	};
//
// Fields are in the host's byte order.
type cmsgLayout struct {
	lenSize int // sizeof(cmsg_len): 8 or 4
	align   int // CMSG_ALIGN's boundary, a power of two
}

// hdrSize is sizeof(struct cmsghdr): cmsg_len then two ints.
func (l *cmsgLayout) hdrSize() int { return l.lenSize + 8 }

// alignUp is CMSG_ALIGN(n).
func (l *cmsgLayout) alignUp(n int) int { return (n + l.align - 1) &^ (l.align - 1) }

// space is CMSG_SPACE(n): the bytes a message with n bytes of data takes
// in a control buffer, padding included.
func (l *cmsgLayout) space(n int) int { return l.alignUp(l.hdrSize()) + l.alignUp(n) }

// cmsgKinds are the (level, type) pairs of the control messages udprx
// reads, with the system's own numbers; -1 for one the system does not
// have (no kernel sends a message of level or type -1).
type cmsgKinds struct {
	solSocket   int32 // SOL_SOCKET
	rxqOvfl     int32 // SO_RXQ_OVFL: __u32, the socket's cumulative drop count
	timestampNS int32 // SCM_TIMESTAMPNS (SO_TIMESTAMPNS_OLD): struct timespec, 16 bytes on 64-bit systems, 8 on 32-bit
	tsNSNew     int32 // SO_TIMESTAMPNS_NEW: struct __kernel_timespec, 16 bytes everywhere
	solIP       int32 // SOL_IP (IPPROTO_IP)
	ipPktinfo   int32 // IP_PKTINFO: struct in_pktinfo
	solIPv6     int32 // SOL_IPV6 (IPPROTO_IPV6)
	ipv6Pktinfo int32 // IPV6_PKTINFO: struct in6_pktinfo
	solUDP      int32 // SOL_UDP (IPPROTO_UDP)
	udpGRO      int32 // UDP_GRO: int, the segment size of a coalesced read
}

// cmsgParser reads one system's control messages.
type cmsgParser struct {
	cmsgLayout
	cmsgKinds
}

// ctlInfo is what one datagram's control messages said.
type ctlInfo struct {
	meta     batch.Meta
	gro      int    // UDP_GRO segment size; 0: not coalesced (or not said)
	drops    uint32 // SO_RXQ_OVFL: the socket's drop count when the datagram was queued
	hasDrops bool   // drops was present
}

// parse walks buf, the msg_control bytes the kernel wrote (msg_controllen
// of them), and fills out with what it recognises; out is reset first.
// Unknown messages are skipped. It never panics and never reads outside
// buf, whatever buf holds, and allocates nothing.
func (p *cmsgParser) parse(buf []byte, out *ctlInfo) {
	*out = ctlInfo{}
	hdr := p.hdrSize()
	data := p.alignUp(hdr) // CMSG_DATA's offset
	for len(buf) >= hdr {
		var clen uint64
		if p.lenSize == 8 {
			clen = binary.NativeEndian.Uint64(buf)
		} else {
			clen = uint64(binary.NativeEndian.Uint32(buf))
		}
		if clen < uint64(hdr) || clen > uint64(len(buf)) {
			return // malformed, or cut short by the kernel (MSG_CTRUNC)
		}
		n := int(clen)
		level := int32(binary.NativeEndian.Uint32(buf[p.lenSize:]))
		typ := int32(binary.NativeEndian.Uint32(buf[p.lenSize+4:]))
		if data <= n {
			p.one(level, typ, buf[data:n], out)
		}
		next := p.alignUp(n) // CMSG_NXTHDR
		if next >= len(buf) {
			return
		}
		buf = buf[next:]
	}
}

// one reads a message's data d into out, if it is one udprx asked for and
// long enough to be what it claims.
func (p *cmsgParser) one(level, typ int32, d []byte, out *ctlInfo) {
	ne := binary.NativeEndian
	switch {
	case level == p.solUDP && typ == p.udpGRO && len(d) >= 4:
		// udp_cmsg_recv, include/net/udp.h: put_cmsg(msg, SOL_UDP,
		// UDP_GRO, sizeof(int), &gso_size). A size of 0 or less would
		// mean no segments; such a read is taken as one datagram.
		if s := int32(ne.Uint32(d)); s > 0 {
			out.gro = int(s)
		}
	case level == p.solSocket && typ == p.rxqOvfl && len(d) >= 4:
		// sock_recv_drops, include/net/sock.h: a __u32.
		out.drops = ne.Uint32(d)
		out.hasDrops = true
	case level == p.solSocket && (typ == p.timestampNS || typ == p.tsNSNew):
		// struct timespec { time_t tv_sec; long tv_nsec; }: 16 bytes on
		// 64-bit systems and for SO_TIMESTAMPNS_NEW (__kernel_timespec,
		// two __s64), 8 bytes (two 32-bit words) for the old message on
		// 32-bit systems.
		switch {
		case len(d) >= 16:
			out.meta.Timestamp = int64(ne.Uint64(d))*1e9 + int64(ne.Uint64(d[8:]))
		case len(d) >= 8:
			out.meta.Timestamp = int64(int32(ne.Uint32(d)))*1e9 + int64(int32(ne.Uint32(d[4:])))
		}
	case level == p.solIP && typ == p.ipPktinfo && len(d) >= 12:
		// struct in_pktinfo { int ipi_ifindex; struct in_addr
		// ipi_spec_dst; struct in_addr ipi_addr; }: ipi_addr is the
		// header's destination address; ipi_spec_dst the local address
		// a reply would be routed from, which can differ.
		out.meta.IfIndex = ne.Uint32(d)
		out.meta.Dst = netip.AddrFrom4([4]byte(d[8:12]))
	case level == p.solIPv6 && typ == p.ipv6Pktinfo && len(d) >= 20:
		// struct in6_pktinfo { struct in6_addr ipi6_addr; int
		// ipi6_ifindex; }. A dual-stack socket reports an IPv4
		// destination v4-mapped (ip6_datagram_recv_common_ctl,
		// net/ipv6/datagram.c): unmapped, as sources are.
		out.meta.Dst = netip.AddrFrom16([16]byte(d[:16])).Unmap()
		out.meta.IfIndex = ne.Uint32(d[16:])
	}
}
