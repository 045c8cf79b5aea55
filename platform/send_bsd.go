//go:build darwin || freebsd

package platform

import (
	"net/netip"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/udprx/udprx/batch"
)

// Send sends msgs one sendmsg(2) each: darwin's sendmsg_x batches only on
// connected sockets and FreeBSD's sendmmsg is a libc loop over sendmsg.
// Sources are not pinned (Info.PinsSource is false): on darwin an
// IP_PKTINFO source on a socket bound to a specific address rebinds it to
// the wildcard, and the receive side does not yet report destinations
// here. No segmentation (Info.GSO is false).
func (r *kqueueReceiver) Send(msgs []batch.Message) (sent, failed int, err error) {
	var msg unix.Msghdr
	var iov unix.Iovec
	var name unix.RawSockaddrInet6
	msg.Name = (*byte)(unsafe.Pointer(&name))
	for i := range msgs {
		m := &msgs[i]
		msg.Iov, msg.Iovlen = nil, 0
		if len(m.Payload) > 0 {
			iov.Base = &m.Payload[0]
			iov.SetLen(len(m.Payload))
			msg.Iov = &iov
			msg.SetIovlen(1)
		}
		msg.Namelen = encodeSockaddrBSD(&name, m.To, r.family)
		for {
			_, err = sendmsg(r.fd, &msg)
			if err != unix.EINTR {
				break
			}
		}
		if err != nil {
			return i, 1, os.NewSyscallError("sendmsg", err)
		}
	}
	return len(msgs), 0, nil
}

// encodeSockaddrBSD writes to as struct sockaddr_in (AF_INET socket, IPv4
// destination) or struct sockaddr_in6, whose first byte on the BSDs is
// its length (sin_len, sin6_len), and returns that length.
func encodeSockaddrBSD(sa *unix.RawSockaddrInet6, to netip.AddrPort, family int) uint32 {
	a, port := to.Addr(), to.Port()
	if family == unix.AF_INET && a.Unmap().Is4() {
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		*sa4 = unix.RawSockaddrInet4{Len: unix.SizeofSockaddrInet4, Family: unix.AF_INET, Addr: a.Unmap().As4()}
		p := (*[2]byte)(unsafe.Pointer(&sa4.Port))
		p[0], p[1] = byte(port>>8), byte(port)
		return unix.SizeofSockaddrInet4
	}
	*sa = unix.RawSockaddrInet6{Len: unix.SizeofSockaddrInet6, Family: unix.AF_INET6, Addr: a.As16()}
	p := (*[2]byte)(unsafe.Pointer(&sa.Port))
	p[0], p[1] = byte(port>>8), byte(port)
	return unix.SizeofSockaddrInet6
}

// WaitWritable polls the socket for POLLOUT, for at most d. A Wake does
// not cut it short here (the wake event lives in the kqueue): d bounds it.
func (r *kqueueReceiver) WaitWritable(d time.Duration) (bool, error) {
	deadline := time.Now().Add(d)
	for {
		fds := [1]unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLOUT}}
		ms := int(time.Until(deadline).Milliseconds())
		if ms < 0 || r.closed.Load() {
			return false, nil
		}
		_, err := unix.Poll(fds[:], max(ms, 1))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false, os.NewSyscallError("poll", err)
		}
		return fds[0].Revents&unix.POLLOUT != 0, nil
	}
}

// DisableGSO does nothing: the BSDs have no segmented sends.
func (r *kqueueReceiver) DisableGSO() {}
