package platform

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ReusePortBalances reports whether SO_REUSEPORT spreads datagrams over the
// sockets bound to one address. true on FreeBSD through SO_REUSEPORT_LB
// (FreeBSD 12.0 and later), which hashes each datagram's 4-tuple onto one
// socket of the group (sys/netinet/in_pcb.c in_pcblookup_lbgroup). Plain
// SO_REUSEPORT there does not balance. On FreeBSD 11, setting the option
// fails (ENOPROTOOPT) and Listen says so.
const ReusePortBalances = true

// sysSocket opens a non-blocking, close-on-exec UDP socket in one call.
func sysSocket(family int) (int, error) {
	return unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
}

// setReusePort sets SO_REUSEPORT_LB, the load-balancing variant.
func setReusePort(fd int) error {
	return os.NewSyscallError("setsockopt SO_REUSEPORT_LB", unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT_LB, 1))
}

// recvmsg receives one datagram as msg describes (struct msghdr,
// sys/sys/socket.h) on a non-blocking socket. Errors are bare errnos.
//
// A raw system call: the socket is non-blocking, so recvmsg never sleeps,
// and skipping the scheduler's entersyscall/exitsyscall saves a measurable
// share of a per-datagram cost (docs/kernel.md measures 7% on Linux). FreeBSD's
// system call interface is stable, unlike darwin's.
func recvmsg(fd int, msg *unix.Msghdr) (int, error) {
	n, _, e := unix.RawSyscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(msg)), 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// sendmsg sends one datagram as msg describes (struct msghdr) on a
// non-blocking socket, as a raw system call for the reason recvmsg is.
// Errors are bare errnos.
func sendmsg(fd int, msg *unix.Msghdr) (int, error) {
	n, _, e := unix.RawSyscall(unix.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(msg)), 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
