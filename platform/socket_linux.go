package platform

import (
	"os"

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
