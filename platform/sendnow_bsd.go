//go:build darwin || freebsd

package platform

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SendNow sends p to `to` with one sendmsg(2) on the non-blocking socket,
// from the caller's goroutine, as Send sends each message; the header,
// I/O vector and struct sockaddr_in/in6 (encodeSockaddrBSD) live on the
// caller's stack.
func (r *kqueueReceiver) SendNow(p []byte, to netip.AddrPort) error {
	if !r.inet {
		return fmt.Errorf("platform: SendNow on a unix datagram socket: %w", errors.ErrUnsupported)
	}
	var name unix.RawSockaddrInet6
	var iov unix.Iovec
	var msg unix.Msghdr
	msg.Name = (*byte)(unsafe.Pointer(&name))
	msg.Namelen = encodeSockaddrBSD(&name, to, r.family)
	if len(p) > 0 {
		iov.Base = &p[0]
		iov.SetLen(len(p))
		msg.Iov = &iov
		msg.SetIovlen(1)
	}
	for {
		_, err := sendmsg(r.fd, &msg)
		switch err {
		case nil:
			return nil
		case unix.EINTR:
			continue
		}
		return os.NewSyscallError("sendmsg", err)
	}
}
