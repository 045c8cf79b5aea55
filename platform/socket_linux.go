package platform

import (
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// NativeBackend names the native read path (Info.Backend); "" where the
// portable backend is the only one.
const NativeBackend = "recvmmsg"

// ReusePortBalances reports whether SO_REUSEPORT spreads datagrams over the
// sockets bound to one address (Linux hashes the 4-tuple, since 3.9).
const ReusePortBalances = true

// rcvbufScale: Linux stores and reports twice the SO_RCVBUF requested, to
// account for its own overhead (net/core/sock.c, sock_setsockopt).
const rcvbufScale = 2

func sysSocket(family int) (int, error) {
	return unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
}

func setReusePort(fd int) error {
	return os.NewSyscallError("setsockopt SO_REUSEPORT", unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1))
}

// setRecvBuffer asks for n bytes with SO_RCVBUFFORCE, which root and
// CAP_NET_ADMIN may use past net.core.rmem_max, and falls back to SO_RCVBUF,
// which the kernel silently caps at rmem_max. It returns what was granted.
func setRecvBuffer(fd, n int) (int, error) {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n); err != nil {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, n); err != nil {
			return 0, os.NewSyscallError("setsockopt SO_RCVBUF", err)
		}
	}
	return recvBuffer(fd)
}

// groRefused records that the kernel refused UDP_GRO once (ENOPROTOOPT:
// before Linux 5.0 udp_lib_setsockopt does not know it), so later sockets
// do not ask again: the capability is probed once per process, on the
// first socket that wants it, and kept as data.
var groRefused atomic.Bool

// setRecvOptions turns on the per-datagram information opts asks for on
// fd, a UDP socket (AF_INET or AF_INET6), and records in info what is on.
// wildcard says that fd is, or is about to be, bound to 0.0.0.0 or ::
// (opts.PinSource needs destinations only there). An option the kernel
// refuses stays off: it is never an error, and Info says what the socket
// has.
//
// SO_RXQ_OVFL is deliberately left off. It is not free even while nothing
// is dropped: with the flag set, udp_recvmsg calls __sock_recv_cmsgs
// (net/socket.c) for every datagram, 1.5 to 2% of a queue drain's time
// (BenchmarkRead, 64-byte datagrams, 6.18). And once one datagram has been
// dropped, every later one carries the count (__udp_enqueue_schedule_skb
// stamps each with sk_drops; seen on 6.18), so a socket that has
// overflowed once pays 15% per datagram from then on (629 against 726 ns,
// medians of 5, 6.18), just when it is overloaded
// (BenchmarkRead/dropped-before against /plain). SO_MEMINFO
// (QueueReporter) gives the same per-socket count exactly, at scrape time,
// for nothing per datagram: that is what the engine counts. Read still
// parses the count where a socket's owner turned the flag on (an adopted
// socket), and KernelDrops reports it.
func setRecvOptions(fd int, opts Options, wildcard bool, info *Info) {
	if opts.GRO && !groRefused.Load() {
		err := unix.SetsockoptInt(fd, unix.SOL_UDP, unix.UDP_GRO, 1)
		if err == unix.ENOPROTOOPT {
			groRefused.Store(true)
		}
		info.GRO = err == nil
	}
	if opts.PktInfo || (opts.PinSource && wildcard) {
		setPktInfo(fd, info)
	}
	if opts.Timestamps {
		// SO_TIMESTAMPNS_NEW (Linux 5.1) gives a 64-bit timespec on
		// every architecture; the old option a native one, which on
		// 32-bit systems ends in 2038. The parser reads either.
		err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS_NEW, 1)
		if err != nil {
			err = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS_OLD, 1)
		}
		info.Timestamps = err == nil
	}
}

// setPktInfo asks for each datagram's destination address and interface
// (IP_PKTINFO, and IPV6_RECVPKTINFO on an IPv6 socket) and records in
// info whether the kernel agreed.
func setPktInfo(fd int, info *Info) {
	family, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	if family == unix.AF_INET6 {
		info.PktInfo = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1) == nil
		// A dual-stack socket's IPv4 datagrams get IPV6_PKTINFO
		// with a v4-mapped address (ip6_datagram_recv_common_ctl,
		// net/ipv6/datagram.c); IP_PKTINFO as well gives them
		// struct in_pktinfo, as an AF_INET socket's. Refused on a
		// v6-only socket, which needs no IPv4 answer.
		unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_PKTINFO, 1)
	} else {
		info.PktInfo = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_PKTINFO, 1) == nil
	}
}
