package platform

import (
	"os"
	"syscall"
	_ "unsafe" // for go:linkname

	"golang.org/x/sys/unix"
)

// ReusePortBalances reports whether SO_REUSEPORT spreads datagrams over the
// sockets bound to one address. false on darwin: several sockets may bind,
// but each unicast datagram goes to one of them only, the first the
// protocol control block lookup finds (xnu bsd/netinet/in_pcb.c
// in_pcblookup_hash), so every loop but one would starve.
const ReusePortBalances = false

// sysSocket opens a non-blocking, close-on-exec UDP socket. darwin's
// socket(2) takes no SOCK_NONBLOCK or SOCK_CLOEXEC, so close-on-exec is set
// under syscall.ForkLock, as package net does, lest a fork+exec between the
// two calls leak the descriptor into a child.
func sysSocket(family int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(family, unix.SOCK_DGRAM, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// setReusePort sets SO_REUSEPORT. Listen never calls it on darwin
// (ReusePortBalances is false); it exists so the native code compiles the
// same everywhere.
func setReusePort(fd int) error {
	return os.NewSyscallError("setsockopt SO_REUSEPORT", unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1))
}

// libcRecvmsg is golang.org/x/sys/unix's own recvmsg(2) wrapper, which
// calls libSystem's recvmsg. Apple supports system calls only through
// libSystem (the kernel's trap numbers and conventions are not a stable
// interface, which is why the Go runtime uses libSystem on darwin), and x/sys
// exports recvmsg only as Recvmsg, which allocates a Sockaddr per call. The
// link fails, rather than anything going wrong at run time, if x/sys ever
// renames it.
//
//go:linkname libcRecvmsg golang.org/x/sys/unix.recvmsg
func libcRecvmsg(s int, msg *unix.Msghdr, flags int) (n int, err error)

// recvmsg receives one datagram as msg describes (struct msghdr, xnu
// bsd/sys/socket.h) on a non-blocking socket. Errors are bare errnos.
func recvmsg(fd int, msg *unix.Msghdr) (int, error) {
	return libcRecvmsg(fd, msg, 0)
}

// libcSendmsg is x/sys/unix's sendmsg(2) wrapper, reached as libcRecvmsg
// is: the exported Sendmsg takes a Sockaddr interface, which allocates.
//
//go:linkname libcSendmsg golang.org/x/sys/unix.sendmsg
func libcSendmsg(s int, msg *unix.Msghdr, flags int) (n int, err error)

// sendmsg sends one datagram as msg describes on a non-blocking socket.
// Errors are bare errnos.
func sendmsg(fd int, msg *unix.Msghdr) (int, error) {
	return libcSendmsg(fd, msg, 0)
}
