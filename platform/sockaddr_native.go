//go:build linux || darwin || freebsd

package platform

import (
	"net/netip"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// decodeSockaddr turns the source address the kernel wrote for one datagram
// into a netip.AddrPort, without allocating. It is shared by the native
// backends: rsa is the storage msg_name pointed at, namelen the msg_namelen
// the kernel returned.
//
// rsa mirrors struct sockaddr_in6, the largest source a UDP socket reports;
// a struct sockaddr_in (AF_INET) is read through the same memory. The two
// layouts differ by system but not in a way this code sees: Linux has a
// 16-bit sa_family at offset 0, the BSDs an 8-bit sin_len then an 8-bit
// sin_family (sys/netinet/in.h, sys/netinet6/in6.h), and x/sys/unix
// names the family field Family in both, so the comparisons below compile
// to the right load on each system. sin_port and sin6_port are in network
// byte order, sin6_scope_id in host order, on all three.
//
// The kernel sets msg_namelen to the size of the address it wrote: 16 for
// AF_INET, 28 for AF_INET6 (Linux net/ipv4/udp.c udp_recvmsg and
// net/ipv6/udp.c udpv6_recvmsg; FreeBSD sys/netinet/udp_usrreq.c and
// sys/netinet6/udp6_usrreq.c through soreceive_dgram; darwin the same). A
// namelen too short for the family, or a family other than AF_INET and
// AF_INET6, gives the zero AddrPort: the sender is unknown, which is what a
// 0 namelen (a read shutdown, an unbound unix datagram sender) means.
//
// IPv4-mapped IPv6 sources, which a dual-stack socket reports for IPv4
// senders, are unmapped, so a sender looks the same whatever the socket's
// family. A non-zero IPv6 scope id becomes the zone, in decimal ("%2"):
// package net accepts a numeric zone when sending a reply, and naming the
// interface would take a lookup per datagram.
func decodeSockaddr(rsa *unix.RawSockaddrInet6, namelen uint32) netip.AddrPort {
	switch {
	case rsa.Family == unix.AF_INET6 && namelen >= unix.SizeofSockaddrInet6:
		a := netip.AddrFrom16(rsa.Addr).Unmap()
		if rsa.Scope_id != 0 && a.Is6() {
			a = a.WithZone(zoneName(rsa.Scope_id))
		}
		return netip.AddrPortFrom(a, netPort(&rsa.Port))
	case rsa.Family == unix.AF_INET && namelen >= unix.SizeofSockaddrInet4:
		// struct sockaddr_in fits inside struct sockaddr_in6: the
		// conversion reads 16 of rsa's 28 bytes.
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), netPort(&sa4.Port))
	}
	return netip.AddrPort{}
}

// netPort reads a sin_port/sin6_port field, stored in network byte order
// whatever the host's order.
func netPort(p *uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(p))
	return uint16(b[0])<<8 | uint16(b[1])
}

// zoneName formats an IPv6 scope id (an interface index). strconv.Itoa
// returns a constant string for values below 100 without allocating, which
// covers the interface indexes of almost every host; netip interns zones,
// so a repeated zone costs a map lookup and no allocation either.
func zoneName(scope uint32) string {
	return strconv.FormatUint(uint64(scope), 10)
}
