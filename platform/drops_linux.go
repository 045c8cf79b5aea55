package platform

import (
	"net"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// KernelDrops returns the drop count the latest datagram read carried
// (SO_RXQ_OVFL), widened to 64 bits. See DropCounter.
func (r *linuxReceiver) KernelDrops() uint64 { return r.drops.Load() }

// QueueInfo reads getsockopt(SOL_SOCKET, SO_MEMINFO): an array of
// SK_MEMINFO_VARS __u32, indexed by the SK_MEMINFO_ enum of
// include/uapi/linux/sock_diag.h (RMEM_ALLOC, RCVBUF, WMEM_ALLOC, SNDBUF,
// FWD_ALLOC, WMEM_QUEUED, OPTMEM, BACKLOG, DROPS), filled by
// sk_get_meminfo in net/core/sock.c. The kernel copies at most the length
// given and reports how much it wrote, so an older kernel's shorter array
// leaves HasDrops false. It holds the lock Close takes, so it never reads
// a descriptor number Close has released for reuse.
func (r *linuxReceiver) QueueInfo() (QueueInfo, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return QueueInfo{}, net.ErrClosed
	}
	var mem [unix.SK_MEMINFO_VARS]uint32
	size := uint32(unsafe.Sizeof(mem))
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(r.fd), unix.SOL_SOCKET, unix.SO_MEMINFO,
		uintptr(unsafe.Pointer(&mem[0])), uintptr(unsafe.Pointer(&size)), 0)
	if e != 0 {
		return QueueInfo{}, os.NewSyscallError("getsockopt SO_MEMINFO", e)
	}
	q := QueueInfo{Queued: uint64(mem[unix.SK_MEMINFO_RMEM_ALLOC]), Limit: uint64(mem[unix.SK_MEMINFO_RCVBUF])}
	if size >= (unix.SK_MEMINFO_DROPS+1)*4 {
		q.Drops, q.HasDrops = uint64(mem[unix.SK_MEMINFO_DROPS]), true
	}
	return q, nil
}
