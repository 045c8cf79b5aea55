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

// CloseIntake attaches a drop-all socket filter (SO_ATTACH_FILTER). On an
// adopted socket it first saves the owner's filter, which Close puts back
// (or detaches the drop-all one: SO_DETACH_FILTER); if the owner's filter
// cannot be saved (an eBPF one), it attaches nothing and returns an
// error: the stop then reads until the socket is empty.
func (r *linuxReceiver) CloseIntake() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	if r.adopted != nil && !r.adopted.filterAttached {
		if err := r.adopted.saveFilter(r.fd); err != nil {
			return err
		}
	}
	prog := unix.SockFprog{Len: uint16(len(dropAll)), Filter: (*unix.SockFilter)(unsafe.Pointer(&dropAll[0]))}
	err := unix.SetsockoptSockFprog(r.fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog)
	if err == nil && r.adopted != nil {
		r.adopted.filterAttached = true
	}
	return os.NewSyscallError("setsockopt SO_ATTACH_FILTER", err)
}
