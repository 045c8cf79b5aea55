package platform

import "golang.org/x/sys/unix"

// hostCmsg reads Linux control messages. struct cmsghdr's cmsg_len is a
// size_t and CMSG_ALIGN rounds to sizeof(long) (include/linux/socket.h),
// both the pointer size on every Linux ABI Go supports. SOL_SOCKET and the
// SO_ numbers differ between architectures (0xffff and others on mips,
// sparc, parisc): x/sys/unix has each architecture's values.
var hostCmsg = cmsgParser{
	cmsgLayout: cmsgLayout{lenSize: unix.SizeofPtr, align: unix.SizeofPtr},
	cmsgKinds: cmsgKinds{
		solSocket:   unix.SOL_SOCKET,
		rxqOvfl:     unix.SO_RXQ_OVFL,
		timestampNS: unix.SO_TIMESTAMPNS_OLD,
		tsNSNew:     unix.SO_TIMESTAMPNS_NEW,
		solIP:       unix.SOL_IP,
		ipPktinfo:   unix.IP_PKTINFO,
		solIPv6:     unix.SOL_IPV6,
		ipv6Pktinfo: unix.IPV6_PKTINFO,
		solUDP:      unix.SOL_UDP,
		udpGRO:      unix.UDP_GRO,
	},
}
