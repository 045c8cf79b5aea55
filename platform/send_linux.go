package platform

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/udprx/udprx/batch"
)

// sendState is the Linux send side of a linuxReceiver: sendmmsg(2) headers
// and their I/O vectors, destination addresses and control buffers, grown
// to the longest run of messages sent and reused for every call after.
type sendState struct {
	family int // the socket's SO_DOMAIN: AF_INET, AF_INET6 or AF_UNIX
	gso    bool
	pin    bool // wildcard-bound UDP socket: send each message's From

	hdrs  []unix.Mmsghdr        // struct mmsghdr[]: one per send
	nmsgs []int                 // messages each send carries
	iovs  []unix.Iovec          // struct iovec[]: one per message, a send's are consecutive
	names []unix.RawSockaddrAny // struct sockaddr_in6, _in or _un: one per send
	ctl   []byte                // sendCtlSize bytes per send
}

// sendCtlSize is the control buffer of one send: a source address
// (IPV6_PKTINFO's struct in6_pktinfo is the larger of the two pktinfo
// structs) and a UDP_SEGMENT size (a __u16).
var sendCtlSize = hostCmsg.space(unix.SizeofInet6Pktinfo) + hostCmsg.space(2)

// initSend sets up the send side for the socket r holds: its family,
// whether the kernel segments (UDP_SEGMENT, Linux 4.18: probed with
// getsockopt, which fails with ENOPROTOOPT where unknown), and whether
// sources are pinned (bound to a wildcard address).
func (r *linuxReceiver) initSend() {
	s := &r.snd
	s.family, _ = unix.GetsockoptInt(r.fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	if !r.inet {
		return
	}
	_, err := unix.GetsockoptInt(r.fd, unix.SOL_UDP, unix.UDP_SEGMENT)
	s.gso = err == nil && !gsoOff
	s.pin = wildcardLocal(r.local)
	r.info.GSO, r.info.PinsSource = s.gso, s.pin
}

// gsoOff is the kill switch for UDP GSO: UDPRX_GSO=0 in the environment
// turns it off for every socket (some kernels and virtual NICs have
// mangled segmented sends).
var gsoOff = os.Getenv("UDPRX_GSO") == "0"

// DisableGSO stops segmenting on this socket.
func (r *linuxReceiver) DisableGSO() {
	r.snd.gso = false
	r.info.GSO = false
}

// grow makes room for n messages.
func (s *sendState) grow(n int) {
	if len(s.iovs) >= n {
		return
	}
	s.hdrs = make([]unix.Mmsghdr, n)
	s.nmsgs = make([]int, n)
	s.iovs = make([]unix.Iovec, n)
	s.names = make([]unix.RawSockaddrAny, n)
	s.ctl = make([]byte, n*sendCtlSize)
}

// Send sends msgs with sendmmsg(2), as raw system calls on a non-blocking
// socket (MSG_DONTWAIT), as Read reads. A run of messages to one
// destination, from one source, each as long as the first but the last
// (which may be shorter), is one segmented send with GSO on: one
// struct mmsghdr whose I/O vectors are the run's payloads, with a
// UDP_SEGMENT control message giving the segment size
// (net/ipv4/udp.c udp_send_skb). UDP_SEGMENT is never set as a socket
// option: then every unsegmented send larger than it fails.
//
// sendmmsg returns the number of headers it sent, and an error only if
// the first failed; so after a short count Send calls again from the
// header that stopped it, which returns that header's error.
func (r *linuxReceiver) Send(msgs []batch.Message) (sent, failed int, err error) {
	if len(msgs) == 0 {
		return 0, 0, nil
	}
	s := &r.snd
	s.grow(len(msgs))
	nh := 0
	for i := 0; i < len(msgs); nh++ {
		k := s.run(msgs[i:])
		s.build(nh, msgs[i:i+k], i)
		s.nmsgs[nh] = k
		i += k
	}
	for h := 0; h < nh; {
		n, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, uintptr(r.fd),
			uintptr(unsafe.Pointer(&s.hdrs[h])), uintptr(nh-h), unix.MSG_DONTWAIT, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			err := error(os.NewSyscallError("sendmmsg", e))
			if s.nmsgs[h] > 1 {
				err = fmt.Errorf("%w of %d messages: %w", ErrSegmented, s.nmsgs[h], err)
			}
			return sent, s.nmsgs[h], err
		}
		for range int(n) {
			sent += s.nmsgs[h]
			h++
		}
	}
	return sent, 0, nil
}

// run returns how many of msgs, from the first, one send carries: with
// GSO, the first and every following message Segmentable after it, each
// as long as the first but the last, up to maxGSOSegments and
// maxGSOBytes; else 1.
func (s *sendState) run(msgs []batch.Message) int {
	seg := len(msgs[0].Payload)
	if !s.gso || seg == 0 || len(msgs) == 1 {
		return 1
	}
	total, k := seg, 1
	for k < len(msgs) && k < maxGSOSegments {
		m := &msgs[k]
		if len(msgs[k-1].Payload) != seg || len(m.Payload) == 0 || !batch.Segmentable(&msgs[0], m) ||
			total+len(m.Payload) > maxGSOBytes {
			break
		}
		total += len(m.Payload)
		k++
	}
	return k
}

// build fills send h for msgs, whose I/O vectors start at iovs[first].
func (s *sendState) build(h int, msgs []batch.Message, first int) {
	hdr := &s.hdrs[h].Hdr
	*hdr = unix.Msghdr{}
	iovs := s.iovs[first : first+len(msgs)]
	for i := range msgs {
		p := msgs[i].Payload
		iovs[i] = unix.Iovec{}
		if len(p) > 0 {
			iovs[i].Base = &p[0]
			iovs[i].SetLen(len(p))
		}
	}
	hdr.Iov = &iovs[0]
	hdr.SetIovlen(len(iovs))
	m := &msgs[0]
	hdr.Name = (*byte)(unsafe.Pointer(&s.names[h]))
	if m.ToName != nil {
		hdr.Namelen = encodeUnixName(&s.names[h], m.ToName)
	} else {
		hdr.Namelen = encodeSockaddr((*unix.RawSockaddrInet6)(unsafe.Pointer(&s.names[h])), m.To, s.family)
	}
	ctl := s.ctl[h*sendCtlSize : (h+1)*sendCtlSize]
	n := 0
	if s.pin && m.From.IsValid() {
		n += putPktinfo(ctl, m.From, m.IfIndex, m.To.Addr().Unmap().Is4())
	}
	if len(msgs) > 1 {
		n += putCmsg(ctl[n:], unix.SOL_UDP, unix.UDP_SEGMENT, 2)
		*(*uint16)(unsafe.Pointer(&ctl[n-hostCmsg.alignUp(2)])) = uint16(len(m.Payload))
	}
	if n > 0 {
		hdr.Control = &ctl[0]
		hdr.SetControllen(n)
	}
}

// putCmsg writes a struct cmsghdr for datalen bytes of data at the start
// of b and returns CMSG_SPACE(datalen); the data, at CMSG_DATA, is the
// caller's to write (b is zero there: the buffers are cleared here).
//
//	struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; };
//
// cmsg_len is CMSG_LEN(datalen): the header, aligned, plus the data.
func putCmsg(b []byte, level, typ, datalen int) int {
	space := hostCmsg.space(datalen)
	clear(b[:space])
	hlen := hostCmsg.alignUp(hostCmsg.hdrSize())
	if hostCmsg.lenSize == 8 { // size_t: 8 bytes on 64-bit Linux, 4 on 32-bit
		*(*uint64)(unsafe.Pointer(&b[0])) = uint64(hlen + datalen)
	} else {
		*(*uint32)(unsafe.Pointer(&b[0])) = uint32(hlen + datalen)
	}
	*(*int32)(unsafe.Pointer(&b[hostCmsg.lenSize])) = int32(level)
	*(*int32)(unsafe.Pointer(&b[hostCmsg.lenSize+4])) = int32(typ)
	return space
}

// putPktinfo writes the source address control message and returns its
// space: IP_PKTINFO's struct in_pktinfo for an IPv4 destination (also on
// a dual-stack socket, whose IPv4 sends take the IPv4 path, which reads
// SOL_IP messages: net/ipv4/ip_sockglue.c ip_cmsg_send), IPV6_PKTINFO's
// struct in6_pktinfo for an IPv6 one:
//
//	struct in_pktinfo  { int ipi_ifindex; struct in_addr ipi_spec_dst; struct in_addr ipi_addr; };
//	struct in6_pktinfo { struct in6_addr ipi6_addr; int ipi6_ifindex; };
//
// ipi_spec_dst is the source the kernel routes from (ip_cmsg_send copies
// it to ipc->addr); ipi_addr is ignored on send.
func putPktinfo(b []byte, from netip.Addr, ifIndex uint32, to4 bool) int {
	from = from.Unmap()
	data := hostCmsg.alignUp(hostCmsg.hdrSize())
	if to4 {
		if !from.Is4() {
			return 0 // an IPv6 source for an IPv4 destination: let the kernel choose
		}
		n := putCmsg(b, unix.IPPROTO_IP, unix.IP_PKTINFO, unix.SizeofInet4Pktinfo)
		pi := (*unix.Inet4Pktinfo)(unsafe.Pointer(&b[data]))
		pi.Ifindex = int32(ifIndex)
		pi.Spec_dst = from.As4()
		return n
	}
	if !from.Is6() {
		return 0
	}
	n := putCmsg(b, unix.IPPROTO_IPV6, unix.IPV6_PKTINFO, unix.SizeofInet6Pktinfo)
	pi := (*unix.Inet6Pktinfo)(unsafe.Pointer(&b[data]))
	pi.Addr = from.As16()
	pi.Ifindex = ifIndex
	return n
}

// encodeSockaddr writes to into sa for a socket of the given family and
// returns the length to pass as msg_namelen: struct sockaddr_in (16 bytes)
// on an AF_INET socket, struct sockaddr_in6 (28) on an AF_INET6 one, with
// an IPv4 destination as a v4-mapped address. An IPv6 destination on an
// AF_INET socket is written as struct sockaddr_in6 all the same, and the
// kernel answers EAFNOSUPPORT for that one message. Ports are in network
// byte order; the scope id is the zone, where it is an interface index.
func encodeSockaddr(sa *unix.RawSockaddrInet6, to netip.AddrPort, family int) uint32 {
	a := to.Addr()
	port := to.Port()
	if family == unix.AF_INET && a.Unmap().Is4() {
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		*sa4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: a.Unmap().As4()}
		p := (*[2]byte)(unsafe.Pointer(&sa4.Port))
		p[0], p[1] = byte(port>>8), byte(port)
		return unix.SizeofSockaddrInet4
	}
	*sa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: a.As16()}
	if z := a.Zone(); z != "" {
		if id, err := strconv.ParseUint(z, 10, 32); err == nil {
			sa.Scope_id = uint32(id)
		}
	}
	p := (*[2]byte)(unsafe.Pointer(&sa.Port))
	p[0], p[1] = byte(port>>8), byte(port)
	return unix.SizeofSockaddrInet6
}

// encodeUnixName writes struct sockaddr_un for a unix socket name (a
// path, or an abstract name starting with a 0 byte; at most
// batch.MaxNameLen bytes, which is sun_path's size) and returns its
// length: the family and the name, without a terminating 0, which the
// kernel does not need (unix_mkname_bsd terminates a path itself).
func encodeUnixName(sa *unix.RawSockaddrAny, name []byte) uint32 {
	su := (*unix.RawSockaddrUnix)(unsafe.Pointer(sa))
	*su = unix.RawSockaddrUnix{Family: unix.AF_UNIX}
	n := copy(unsafe.Slice((*byte)(unsafe.Pointer(&su.Path[0])), len(su.Path)), name)
	return uint32(2 + n)
}

// WaitWritable polls the socket for POLLOUT and the wake-up eventfd for
// POLLIN, for at most d. The eventfd is only looked at, not read: the
// next Wait reports the Wake.
func (r *linuxReceiver) WaitWritable(d time.Duration) (bool, error) {
	deadline := time.Now().Add(d)
	for {
		fds := [2]unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLOUT}, {Fd: int32(r.evfd), Events: unix.POLLIN}}
		ms := int(time.Until(deadline).Milliseconds())
		if ms < 0 {
			return false, nil
		}
		_, err := unix.Poll(fds[:], max(ms, 1))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false, os.NewSyscallError("poll", err)
		}
		if fds[1].Revents != 0 {
			return false, nil
		}
		if fds[0].Revents&unix.POLLOUT != 0 {
			return true, nil
		}
		if fds[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 {
			return false, nil
		}
	}
}
