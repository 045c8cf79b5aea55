package platform

import (
	"encoding/binary"
	"net/netip"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// ReadErrQueue reads one entry of the socket's error queue with
// recvmsg(MSG_ERRQUEUE|MSG_DONTWAIT). It allocates; it runs only when
// the poller reports an error. A unix socket has no such queue: always
// empty. Reading the queue's last ICMP entry also clears the socket's
// pending error (sock_dequeue_err_skb, net/core/skbuff.c), so the next
// read does not return it a second time.
func (r *linuxReceiver) ReadErrQueue() (QueuedError, bool, error) {
	if !r.inet {
		return QueuedError{}, false, nil
	}
	var data [64]byte // the datagram that failed, cut: not used
	oob := make([]byte, 512)
	_, oobn, _, _, err := unix.Recvmsg(r.fd, data[:], oob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
	if err == unix.EAGAIN {
		return QueuedError{}, false, nil
	}
	if err != nil {
		return QueuedError{}, false, os.NewSyscallError("recvmsg MSG_ERRQUEUE", err)
	}
	var e QueuedError
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return e, true, nil // an entry was read; what it said is unknown
	}
	for _, m := range msgs {
		if (m.Header.Level == unix.SOL_IP && m.Header.Type == unix.IP_RECVERR) ||
			(m.Header.Level == unix.SOL_IPV6 && m.Header.Type == unix.IPV6_RECVERR) {
			e = parseExtendedErr(m.Data)
		}
	}
	return e, true, nil
}

// parseExtendedErr decodes struct sock_extended_err and the offender's
// address after it (SO_EE_OFFENDER), include/uapi/linux/errqueue.h:
//
//	struct sock_extended_err {
//		__u32 ee_errno; __u8 ee_origin; __u8 ee_type; __u8 ee_code;
//		__u8 ee_pad; __u32 ee_info; __u32 ee_data;
//	};
//
// followed by a struct sockaddr_in or sockaddr_in6 (family AF_UNSPEC when
// there is no offender), as ip_recv_error and ipv6_recv_error write them.
func parseExtendedErr(b []byte) QueuedError {
	var e QueuedError
	if len(b) < sizeofExtendedErr {
		return e
	}
	e.Errno = syscall.Errno(binary.NativeEndian.Uint32(b[0:4]))
	e.Origin, e.Type, e.Code = ErrOrigin(b[4]), b[5], b[6]
	sa := b[sizeofExtendedErr:]
	if len(sa) < 2 {
		return e
	}
	switch binary.NativeEndian.Uint16(sa[0:2]) {
	case unix.AF_INET:
		if len(sa) >= unix.SizeofSockaddrInet4 {
			e.Offender = netip.AddrFrom4([4]byte(sa[4:8]))
		}
	case unix.AF_INET6:
		if len(sa) >= unix.SizeofSockaddrInet6 {
			e.Offender = netip.AddrFrom16([16]byte(sa[8:24])).Unmap()
		}
	}
	return e
}

// sizeofExtendedErr is sizeof(struct sock_extended_err).
const sizeofExtendedErr = 16
