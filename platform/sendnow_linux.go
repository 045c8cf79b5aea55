package platform

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SendNow sends p to `to` with one sendmsg(2), MSG_DONTWAIT, from the
// caller's goroutine. Everything the call reads lives on the caller's
// stack, so any number of goroutines may send at once, alongside the
// loop's own Send:
//
//	struct msghdr { void *msg_name; socklen_t msg_namelen; struct iovec *msg_iov;
//	                size_t msg_iovlen; void *msg_control; size_t msg_controllen; int msg_flags; };
//
// msg_name is a struct sockaddr_in or sockaddr_in6 (encodeSockaddr); no
// control message: the kernel chooses the source (udp_sendmsg routes
// from the bound address). It is a raw system call, as Send's: a
// non-blocking UDP send does not sleep (net/ipv4/udp.c udp_sendmsg with
// MSG_DONTWAIT returns EAGAIN rather than wait for sndbuf room).
func (r *linuxReceiver) SendNow(p []byte, to netip.AddrPort) error {
	if !r.inet {
		return fmt.Errorf("platform: SendNow on a unix datagram socket: %w", errors.ErrUnsupported)
	}
	var name unix.RawSockaddrInet6
	var iov unix.Iovec
	var hdr unix.Msghdr
	hdr.Name = (*byte)(unsafe.Pointer(&name))
	hdr.Namelen = encodeSockaddr(&name, to, r.snd.family)
	if len(p) > 0 {
		iov.Base = &p[0]
		iov.SetLen(len(p))
		hdr.Iov = &iov
		hdr.SetIovlen(1)
	}
	for {
		_, _, e := unix.RawSyscall(unix.SYS_SENDMSG, uintptr(r.fd), uintptr(unsafe.Pointer(&hdr)), unix.MSG_DONTWAIT)
		switch e {
		case 0:
			return nil
		case unix.EINTR:
			continue
		}
		return os.NewSyscallError("sendmsg", e)
	}
}
