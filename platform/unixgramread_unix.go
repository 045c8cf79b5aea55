//go:build unix && !aix && !solaris

package platform

import (
	"net"
	"net/netip"
	"os"
	"syscall"
	_ "unsafe" // for go:linkname

	"golang.org/x/sys/unix"
)

// unixgramReadMsg returns the portable backend's readMsg for c: a
// unixgramReader's read.
func unixgramReadMsg(c *net.UnixConn, local net.Addr) (func([]byte) (int, int, netip.AddrPort, error), error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	u := &unixgramReader{rc: rc, local: local}
	u.recv = u.recvmsg
	u.msg.Iov = &u.iov
	u.msg.SetIovlen(1)
	return u.read, nil
}

// unixgramReader is the portable backend's readMsg for a *net.UnixConn.
//
// Package net's ReadMsgUnix allocates the sender's *UnixAddr, and its name,
// for every datagram from a bound sender. This reads with recvmsg(2)
// through the conn's RawConn instead, with no room for the sender's address
// (unix senders are reported as unknown anyway: listenUnixgram), and
// allocates nothing: the callback is a method value bound once, and msg and
// iov are reused. RawConn.Read waits in the Go runtime's poller as
// ReadMsgUnix would and honours read deadlines, so Wake works the same.
type unixgramReader struct {
	rc    syscall.RawConn
	local net.Addr
	recv  func(fd uintptr) bool // u.recvmsg: a method value made per read would allocate

	msg unix.Msghdr // struct msghdr: no name, one iovec
	iov unix.Iovec  // struct iovec: the buffer of the current read

	n     int   // what the callback's recvmsg returned
	errno error // its error: an Errno, never EAGAIN or EINTR
}

// read receives one datagram into b (never empty: a Batch slot or the
// portable backend's spare buffer), returning its length and msg_flags.
// Errors from the wait are package net's (*net.OpError, matching
// os.ErrDeadlineExceeded or net.ErrClosed); from recvmsg a *net.OpError
// wrapping an *os.SyscallError, as ReadMsgUDPAddrPort's are.
func (u *unixgramReader) read(b []byte) (int, int, netip.AddrPort, error) {
	u.iov.Base = &b[0]
	u.iov.SetLen(len(b))
	u.n, u.errno = 0, nil
	if err := u.rc.Read(u.recv); err != nil {
		return 0, 0, netip.AddrPort{}, err
	}
	if u.errno != nil {
		return 0, 0, netip.AddrPort{}, &net.OpError{Op: "read", Net: "unixgram", Addr: u.local, Err: os.NewSyscallError("recvmsg", u.errno)}
	}
	return u.n, int(u.msg.Flags), netip.AddrPort{}, nil
}

// recvmsg is the RawConn.Read callback: one non-blocking recvmsg(2).
// It returns false (wait for readiness) on EAGAIN.
func (u *unixgramReader) recvmsg(fd uintptr) bool {
	for {
		u.msg.Namelen = 0
		u.msg.Flags = 0
		n, err := sysRecvmsg(int(fd), &u.msg, 0)
		switch err {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		u.n, u.errno = n, err
		return true
	}
}

// sysRecvmsg is golang.org/x/sys/unix's own recvmsg(2) wrapper, present on
// every unix system it supports; it exports only Recvmsg, which allocates a
// Sockaddr for every named sender. On darwin it calls libSystem, as Apple
// requires (socket_darwin.go). The link fails, rather than anything going
// wrong at run time, if x/sys ever renames it.
//
//go:linkname sysRecvmsg golang.org/x/sys/unix.recvmsg
func sysRecvmsg(s int, msg *unix.Msghdr, flags int) (n int, err error)
