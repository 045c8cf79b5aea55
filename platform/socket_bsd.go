//go:build darwin || freebsd

package platform

import (
	"os"

	"golang.org/x/sys/unix"
)

// NativeBackend names the native read path (Info.Backend): a recvmsg(2)
// drain waited on with kqueue. The BSDs have no recvmmsg that udprx can use
// (darwin's recvmsg_x is private; FreeBSD's recvmmsg is a libc loop over
// recvmsg, no cheaper than this one).
const NativeBackend = "recvmsg"

// rcvbufScale: the BSDs report SO_RCVBUF as it was set (sb_hiwat;
// FreeBSD sys/kern/uipc_socket.c sogetopt, darwin bsd/kern/uipc_socket.c).
const rcvbufScale = 1

// setRecvBuffer asks for n bytes of SO_RCVBUF and returns what was granted.
// Unlike Linux, which caps a request at net.core.rmem_max silently, the
// BSDs refuse one above their limit with ENOBUFS (sbreserve against
// kern.ipc.maxsockbuf: FreeBSD sys/kern/uipc_sockbuf.c, darwin
// bsd/kern/uipc_socket2.c). So that a request means the same everywhere
// ("as much as allowed, up to n; Info says how much"), a refused request
// is lowered to the largest size the kernel accepts.
func setRecvBuffer(fd, n int) (int, error) {
	set := func(size int) error { return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, size) }
	err := set(n)
	if err == unix.ENOBUFS {
		var cur int
		if cur, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF); err == nil {
			err = setLargestRecvBuffer(cur, n, set, unix.ENOBUFS)
		}
	}
	if err != nil {
		return 0, os.NewSyscallError("setsockopt SO_RCVBUF", err)
	}
	return recvBuffer(fd)
}

// setRecvOptions would turn on the per-datagram information opts asks for;
// on the BSDs it turns on nothing yet, and info says so (GRO, PktInfo and
// Timestamps stay false). The equivalents exist (IP_RECVDSTADDR with
// IP_RECVIF, or IP_RECVPKTINFO on darwin; IPV6_RECVPKTINFO; SO_TIMESTAMP)
// but the recvmsg drain does not read control messages yet, and there is
// no GRO and no SO_RXQ_OVFL (so no DropCounter either).
func setRecvOptions(fd int, opts Options, wildcard bool, info *Info) {}
