package platform

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// dropAll is a classic BPF program of one instruction, "ret #0": accept
// zero bytes of every packet, which drops it. A socket filter runs before
// a datagram is queued (net/core/filter.c sk_filter_trim_cap, called from
// udp_queue_rcv_one_skb), so what is already queued is untouched.
var dropAll = [1]unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: 0}}

// CloseIntake attaches a drop-all socket filter (SO_ATTACH_FILTER).
func (r *linuxReceiver) CloseIntake() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	prog := unix.SockFprog{Len: uint16(len(dropAll)), Filter: (*unix.SockFilter)(unsafe.Pointer(&dropAll[0]))}
	return os.NewSyscallError("setsockopt SO_ATTACH_FILTER", unix.SetsockoptSockFprog(r.fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog))
}
