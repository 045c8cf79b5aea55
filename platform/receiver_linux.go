package platform

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/udprx/udprx/batch"
)

// linuxReceiver is the native Linux backend: a non-blocking socket read with
// recvmmsg(2), waited on with a level-triggered epoll that also watches an
// eventfd for Wake.
//
// Level-triggered on purpose: a socket with data left after a budget-limited
// drain is reported again at once, and a hang-up keeps being reported until
// the loop acts on it (it must: see HangUp). One-shot as well, re-armed by
// each Wait (see sockEvents), and waited on through the Go runtime's poller
// (see parker). On a locked thread, ppoll(2) instead (waitLocked).
//
// Either way, a Wait that follows a read which found more than one
// datagram first reads again (reading ahead): under steady traffic more
// have come while the handler ran, and a read that finds them saves the
// poller's system calls; a read that finds one or none, a Wake, or
// readAheadLimit skipped waits in a row send Wait to the poller. Sparse
// traffic, a datagram a wake-up, never reads ahead, so it costs no
// system call more than before.
type linuxReceiver struct {
	fd   int
	epfd int
	evfd int
	// The identities of epfd and evfd: the loop's own descriptors are
	// checked as the socket's is (id), so that a wake-up is never written
	// into a file that took evfd's number, and a poller closed from
	// outside ends the wait (ErrPollerGone) instead of hanging it.
	epid, evid fileID
	// wakeSoon: a Wake came that Wait has not reported yet. waiting:
	// Wait is asking the poller, so a Wake must write the eventfd; while
	// it is not, the loop is running and Wake only sets wakeSoon, which
	// the next Wait reports before it reads or waits.
	wakeSoon atomic.Bool
	waiting  atomic.Bool
	// wakeLost: Wake found evfd no longer ours and wrote nothing; Wait
	// reports Woken at its next idle check instead.
	wakeLost atomic.Bool
	local    net.Addr
	info     Info
	inet     bool // AF_INET/AF_INET6: an empty entry without a source is a shutdown
	id       fileID

	release func() error // run by Close after the socket is closed; nil: nothing to clean up
	adopted *adoptState  // an adopted socket's options as found, put back by Close; nil: ours

	events [2]unix.EpollEvent // socket and eventfd
	rearm  unix.EpollEvent    // the socket's registration, for EPOLL_CTL_MOD
	// armed reports whether the socket's one-shot registration is armed:
	// false from the moment Wait reports a socket event until the next
	// Wait re-arms it (see sockEvents).
	armed bool

	// park owns epfd and is how Wait sleeps: in the Go runtime's poller
	// (see parker). Not parked() if the runtime would not poll epfd: then
	// Wait blocks in epoll_wait on its thread.
	park *parker

	// locked: Options.LockedThread. There is no epoll instance (epfd is
	// -1); Wait blocks the thread in ppoll(2) on pollfds, the socket and
	// the eventfd (waitLocked).
	locked      bool
	pollfds     [2]unix.PollFd // struct pollfd[2]
	pollTimeout unix.Timespec  // ppoll's timeout, which it rewrites

	mu     sync.Mutex // guards closed against Wake writing to a reused fd
	closed bool

	// recvmmsg state, built for one batch (bound) and reused for every read.
	bound *batch.Batch
	hdrs  []unix.Mmsghdr // struct mmsghdr[]
	iovs  []unix.Iovec   // struct iovec[], one per slot
	// names is where each entry's source goes on a UDP socket: struct
	// sockaddr_in6, room for either UDP source. unames is where it goes on
	// a unix socket: struct sockaddr_un, whose sun_path is reported as
	// Datagram.SrcName so that the sender can be answered.
	names  []unix.RawSockaddrInet6
	unames []unix.RawSockaddrUnix

	// ctl holds one control buffer (msg_control) of ctlSize bytes per
	// slot, for the control messages of a UDP socket (controlSpace). A
	// unix socket gets none: a unix peer can pass file descriptors
	// (SCM_RIGHTS), which the kernel would install in this process; with
	// no room it discards them (net/core/scm.c scm_detach_fds) and sets
	// MSG_CTRUNC, which nothing here reads for unix sockets.
	ctl     []byte
	ctlSize int
	gro     bool // UDP_GRO on: reads may be coalesced; Batches need 64 KiB slots

	// A read not delivered whole (with GRO, one recvmmsg can bring more
	// datagrams than the Batch holds, and Wait reads ahead): entries
	// [next, got) of hdrs are still to be delivered, the first of them
	// from byte off of its slot.
	next, got, off int
	// Reading ahead (see Wait): busy says the last recvmmsg found more
	// than one datagram; readAhead counts the waits skipped in a row; early is
	// the error of a read made ahead, for Read to return.
	busy      bool
	readAhead int
	early     error

	// SO_RXQ_OVFL: lastOvfl is the latest drop count a datagram carried,
	// total the running count widened to 64 bits; both belong to Read,
	// which publishes total in drops for KernelDrops, any goroutine's.
	lastOvfl uint32
	total    uint64
	drops    atomic.Uint64

	snd sendState // the send side (send_linux.go)
}

// newNative takes over fd, a bound, non-blocking datagram socket. inet is
// true for AF_INET/AF_INET6, false for AF_UNIX (where an empty datagram
// with no source is real: an unbound sender's). release, if not nil, runs
// once when Close has closed the socket.
func newNative(fd int, local net.Addr, info Info, inet, locked bool, release func() error) (Receiver, error) {
	info.Backend = NativeBackend
	r := &linuxReceiver{fd: fd, epfd: -1, evfd: -1, local: local, info: info, inet: inet, release: release}
	if inet {
		r.ctlSize = controlSpace(info)
		r.gro = info.GRO
	}
	var err error
	if r.id, err = identify(fd); err != nil {
		return nil, os.NewSyscallError("fstat", err)
	}
	if r.evfd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		return nil, os.NewSyscallError("eventfd", err)
	}
	if r.evid, err = identify(r.evfd); err != nil {
		unix.Close(r.evfd)
		return nil, os.NewSyscallError("fstat", err)
	}
	if locked {
		// A thread of its own: Wait blocks it in ppoll(2) on the socket
		// and the eventfd (waitLocked), and needs no epoll instance.
		r.locked = true
		r.pollfds = [2]unix.PollFd{
			{Fd: int32(fd), Events: unix.POLLIN | unix.POLLRDHUP},
			{Fd: int32(r.evfd), Events: unix.POLLIN},
		}
		r.initSend()
		return r, nil
	}
	if r.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		unix.Close(r.evfd)
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	if r.epid, err = identify(r.epfd); err != nil {
		unix.Close(r.evfd)
		unix.Close(r.epfd)
		return nil, os.NewSyscallError("fstat", err)
	}
	// EPOLLERR and EPOLLHUP are always reported; EPOLLRDHUP must be asked
	// for. It is what a UDP socket shut down for reading raises
	// (net/ipv4/udp.c udp_poll -> datagram_poll in net/core/datagram.c).
	sock := unix.EpollEvent{Events: sockEvents, Fd: int32(fd)}
	wake := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(r.evfd)}
	if err = unix.EpollCtl(r.epfd, unix.EPOLL_CTL_ADD, fd, &sock); err == nil {
		err = unix.EpollCtl(r.epfd, unix.EPOLL_CTL_ADD, r.evfd, &wake)
	}
	if err != nil {
		unix.Close(r.evfd)
		unix.Close(r.epfd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	r.park = newParker(r.epfd, r.events[:])
	r.info.Parks = r.park.parked()
	r.armed = true
	r.initSend()
	return r, nil
}

// sockEvents is the socket's epoll registration: level-triggered, so a
// hang-up or data left unread is reported again, and one-shot, so that
// between the event Wait reports and the re-arm at the next Wait the
// kernel does not run epoll's wake-up callback for every datagram it
// queues. The callback runs in the receive path, on the CPU doing the
// kernel's receive work (a NIC queue's softirq; on loopback, the
// sender's): with the epoll descriptor itself watched by the runtime's
// poller (parker), each datagram would otherwise wake two levels of
// epoll (ep_poll_callback in fs/eventpoll.c wakes an epoll's own
// watchers on every call). Re-arming is one epoll_ctl per wake-up, and
// the kernel checks readiness as it re-arms (ep_modify), so nothing that
// arrived meanwhile is missed.
const sockEvents = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT

func (r *linuxReceiver) Wait() (Event, error) {
	if r.next < r.got || r.early != nil {
		// A coalesced read is still carried over in user space, where
		// the poller cannot see it: readable now, without waiting for a
		// datagram that may never come.
		return Event{Events: Readable}, nil
	}
	if r.wakeSoon.Swap(false) {
		// A Wake while the loop was not waiting, which wrote nothing
		// (see Wake).
		return Event{Events: Woken}, nil
	}
	if r.busy && r.readAhead < readAheadLimit { // busy: a recv ran, so a batch is bound
		// The last read found several datagrams: read again before
		// waiting, as more have likely come while they were handled.
		// If this one finds any, the wait is skipped, and with it the
		// poller's system calls (re-arming and asking); Read delivers
		// them.
		r.readAhead++
		err := r.recv()
		if err != nil {
			r.early = err
			return Event{Events: Readable}, nil
		}
		if r.next < r.got {
			return Event{Events: Readable}, nil
		}
	}
	r.readAhead = 0
	// waiting, then wakeSoon again: a Wake either sees waiting and
	// writes the eventfd, which the poller reports, or came before it,
	// and its wakeSoon is seen here (both are sequentially consistent).
	r.waiting.Store(true)
	if r.wakeSoon.Swap(false) {
		r.waiting.Store(false)
		return Event{Events: Woken}, nil
	}
	var ev Event
	var err error
	if r.locked {
		ev, err = r.waitLocked()
	} else {
		ev, err = r.waitEpoll()
	}
	r.waiting.Store(false)
	return ev, err
}

// waitEpoll is Wait's sleep in the loop's epoll instance, parked in the
// runtime's poller (parker) or blocking the thread.
func (r *linuxReceiver) waitEpoll() (Event, error) {
	if !r.armed {
		// A raw system call, as the reads are: it never blocks, and
		// through the scheduler's entersyscall the first call after an
		// idle spell wakes sysmon, which then polls every 20 µs for a
		// while: 7-10% of a loop's CPU at 20k datagrams/s in profiles.
		r.rearm = unix.EpollEvent{Events: sockEvents, Fd: int32(r.fd)}
		if _, _, err := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(r.epfd), unix.EPOLL_CTL_MOD,
			uintptr(r.fd), uintptr(unsafe.Pointer(&r.rearm)), 0, 0); err != 0 {
			// ENOENT or EBADF: the descriptor was closed or replaced
			// from outside, and epoll dropped it.
			if !stillOurs(r.fd, r.id) {
				return Event{Events: Gone}, nil
			}
			return Event{}, os.NewSyscallError("epoll_ctl", err)
		}
		r.armed = true
	}
	for eintr := 0; ; {
		var n int
		var err error
		if r.park.parked() {
			n, err = r.park.wait()
		} else {
			n, err = unix.EpollWait(r.epfd, r.events[:], idleCheckMillis)
		}
		if err != nil || n == 0 {
			ev, again, err := r.waitEnded("epoll_wait", err, &eintr)
			if again {
				continue
			}
			return ev, err
		}
		eintr = 0
		var ev Event
		for _, e := range r.events[:n] {
			if int(e.Fd) == r.evfd {
				r.wakeSoon.Store(false) // reported now (a later Wake sets it again)
				readEventfd(r.evfd)     // reset the counter; EAGAIN if raced: harmless
				ev.Events |= Woken
				continue
			}
			r.armed = false // a one-shot event: reported, so disarmed
			if e.Events&unix.EPOLLIN != 0 {
				ev.Events |= Readable
			}
			if e.Events&(unix.EPOLLRDHUP|unix.EPOLLHUP) != 0 {
				ev.Events |= HangUp
			}
			if e.Events&unix.EPOLLERR != 0 {
				ev.Events |= ErrorPending
			}
		}
		return ev, nil
	}
}

// readAheadLimit is how many waits in a row Wait may skip by reading
// ahead: at least that often the poller is asked for what a read does not
// say (an error queued, a hang-up with data still queued), however busy
// the socket.
const readAheadLimit = 16

// waitEnded is what both waits (waitEpoll, waitLocked) do when their
// system call, call, failed or timed out with nothing to report. EINTR (a
// signal: the Go runtime preempts with SIGURG) is retried, but not
// forever: a signal storm, or a filter failing every call, would spin
// there unseen, so eintrLimit in a row (counted in *eintr) are returned.
// Another error is the loop's own descriptors closed from outside
// (pollerGone) or the call's own. A timeout is the idle check: a Wake
// that could not reach the poller (wakeLost, or written to an eventfd the
// poller no longer watches) is found there, so a stop is never lost, and
// so is a socket closed or replaced from outside. again says the wait
// goes on; otherwise ev and err are Wait's.
func (r *linuxReceiver) waitEnded(call string, err error, eintr *int) (ev Event, again bool, werr error) {
	if err == unix.EINTR {
		if *eintr++; *eintr < eintrLimit {
			return Event{}, true, nil
		}
		return Event{}, false, os.NewSyscallError(call, err)
	}
	*eintr = 0
	if err != nil {
		if gone := r.pollerGone(); gone != nil {
			return Event{}, false, gone
		}
		return Event{}, false, os.NewSyscallError(call, err)
	}
	if r.wakeLost.Swap(false) {
		return Event{Events: Woken}, false, nil
	}
	if gone := r.pollerGone(); gone != nil {
		return Event{}, false, gone
	}
	if readEventfd(r.evfd) {
		return Event{Events: Woken}, false, nil
	}
	if !stillOurs(r.fd, r.id) {
		return Event{Events: Gone}, false, nil
	}
	return Event{}, true, nil
}

// eintrLimit is how many EINTRs in a row Wait retries before it returns
// one to the caller, whose error policy retries it and, if it goes on,
// backs off (errpolicy.Streak), as for EINTR on reads. A real signal
// interrupts one call; 64 in a row means every call fails so.
const eintrLimit = 64

// pollerGone reports the loop's own epoll or eventfd descriptor closed, or
// replaced by another file, from outside (checked as stillOurs checks the
// socket): an error wrapping ErrPollerGone and EBADF, or nil.
func (r *linuxReceiver) pollerGone() error {
	for _, d := range [...]struct {
		name string
		fd   int
		id   fileID
	}{{"epoll", r.epfd, r.epid}, {"eventfd", r.evfd, r.evid}} {
		if d.fd < 0 {
			continue // no epoll instance on a locked thread
		}
		if !stillOurs(d.fd, d.id) {
			return fmt.Errorf("platform: %s descriptor %d closed or replaced from outside: %w (%w)", d.name, d.fd, ErrPollerGone, unix.EBADF)
		}
	}
	return nil
}

// controlSpace is the control buffer one datagram of a UDP socket needs
// for the messages info says are on, plus SO_RXQ_OVFL, always on: the sum
// of their CMSG_SPACE. The kernel writes only those asked for, in this
// order (udp_recvmsg, net/ipv4/udp.c and net/ipv6/udp.c: sock_recv_cmsgs
// for the timestamp and the drop count, udp_cmsg_recv for GRO, then the
// IP level: on a dual-stack socket an IPv4 datagram gets IPV6_PKTINFO,
// then IP_PKTINFO; seen on 6.18), so the buffer is never short for a
// socket Listen opened. An adopted socket can have more turned on by its owner
// (IP_RECVTOS, say): what does not fit is cut (MSG_CTRUNC, reported as
// batch.ControlTruncated).
func controlSpace(info Info) int {
	n := hostCmsg.space(4) // SO_RXQ_OVFL: __u32
	if info.GRO {
		n += hostCmsg.space(4) // UDP_GRO: int
	}
	if info.PktInfo {
		// struct in_pktinfo and struct in6_pktinfo: a dual-stack
		// socket's IPv4 datagrams carry both.
		n += hostCmsg.space(unix.SizeofInet4Pktinfo) + hostCmsg.space(unix.SizeofInet6Pktinfo)
	}
	if info.Timestamps {
		n += hostCmsg.space(16) // struct __kernel_timespec
	}
	return n
}

// Read reads with one recvmmsg(2) call. It is a raw system call: the socket
// is non-blocking, so the call never parks the thread, and skipping the
// scheduler's entersyscall/exitsyscall is worth about 7% of the receive
// rate (docs/kernel.md). Waiting happens in Wait, through the ordinary path.
//
// A datagram that came without control messages (msg_controllen 0: no
// option asked for any, nothing dropped yet, not coalesced) costs two
// comparisons more than a plain read; the others are parsed (cmsg.go).
func (r *linuxReceiver) Read(b *batch.Batch) (int, error) {
	if b != r.bound {
		if err := r.bind(b); err != nil {
			return 0, err
		}
	}
	b.Reset()
	if err := r.early; err != nil {
		r.early = nil
		return 0, err // what Wait's early read returned
	}
	if r.next < r.got {
		return r.deliver(b) // the rest of the last read, or Wait's early read: no system call
	}
	if err := r.recv(); err != nil || r.next == r.got {
		return 0, err
	}
	return r.deliver(b)
}

// recv makes one recvmmsg(2) into the bound batch's slots: on success,
// entries [r.next, r.got) are the datagrams it read, none on EAGAIN;
// r.busy says whether it read more than one.
func (r *linuxReceiver) recv() error {
	// The kernel rewrote msg_namelen, msg_controllen and msg_flags only in
	// the entries the previous call filled (r.got of them); bind set the
	// rest, which nothing has touched since.
	hdrs := r.hdrs
	for i := range hdrs[:r.got] {
		hdrs[i].Hdr.Namelen = r.nameSize()
		hdrs[i].Hdr.SetControllen(r.ctlSize)
		hdrs[i].Hdr.Flags = 0
	}
	n, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, uintptr(r.fd),
		uintptr(unsafe.Pointer(&hdrs[0])), uintptr(len(hdrs)), unix.MSG_DONTWAIT, 0, 0)
	if e != 0 {
		r.next = r.got
		r.busy = false
		if e == unix.EAGAIN {
			return nil
		}
		return os.NewSyscallError("recvmmsg", e)
	}
	r.next, r.got, r.off = 0, int(n), 0
	// One datagram a read is sparse traffic, where a read ahead would
	// mostly find nothing and cost a system call a wake-up.
	r.busy = n > 1
	return nil
}

// deliver appends entries [r.next, r.got) of the last recvmmsg to b, until
// b is full; what does not fit stays for the next Read.
func (r *linuxReceiver) deliver(b *batch.Batch) (int, error) {
	hdrs := r.hdrs
	size := b.SlotSize()
	for i := r.next; i < r.got; i++ {
		h := &hdrs[i]
		if r.inet && h.Len == 0 && h.Hdr.Namelen == 0 {
			r.next = r.got
			return b.Len(), ErrReadShutdown
		}
		if b.Room() == 0 {
			r.next = i // only after a coalesced read filled b
			return b.Len(), nil
		}
		if h.Hdr.Controllen != 0 || h.Hdr.Flags&unix.MSG_CTRUNC != 0 {
			if !r.appendControl(b, i, size) {
				r.next = i
				return b.Len(), nil
			}
			continue
		}
		var f batch.Flags
		if h.Hdr.Flags&unix.MSG_TRUNC != 0 {
			f |= batch.Truncated
		}
		if !r.inet {
			b.Append(i, min(int(h.Len), size), netip.AddrPort{}, f)
			b.SetSrcName(b.Len()-1, unixName(&r.unames[i], h.Hdr.Namelen))
			continue
		}
		b.Append(i, min(int(h.Len), size), decodeSockaddr(&r.names[i], h.Hdr.Namelen), f)
	}
	r.next = r.got
	return b.Len(), nil
}

// nameSize is msg_namelen for the socket's kind of source address.
func (r *linuxReceiver) nameSize() uint32 {
	if r.inet {
		return unix.SizeofSockaddrInet6
	}
	return unix.SizeofSockaddrUnix
}

// unixName returns the sun_path of a unix sender's address as the kernel
// wrote it (net/unix/af_unix.c unix_copy_addr: namelen is
// offsetof(struct sockaddr_un, sun_path) plus the name's length, with the
// terminating 0 of a path, none for an abstract name, which starts with a
// 0 byte), without that terminating 0; nil for an unbound sender
// (namelen 2, the family alone).
//
//	struct sockaddr_un { sa_family_t sun_family; char sun_path[108]; };
func unixName(sa *unix.RawSockaddrUnix, namelen uint32) []byte {
	const pathOff = 2 // sizeof(sa_family_t)
	n := int(namelen) - pathOff
	if n <= 0 {
		return nil
	}
	path := unsafe.Slice((*byte)(unsafe.Pointer(&sa.Path[0])), min(n, len(sa.Path)))
	if path[0] != 0 && path[len(path)-1] == 0 {
		path = path[:len(path)-1]
	}
	return path
}

// appendControl appends entry i, which came with control messages: its
// metadata, and with GRO its segments. It returns false if b could not
// take all of it; r.off then says how much of the slot it took.
//
// MSG_CTRUNC: the kernel had more control messages than the buffer held.
// The datagram is flagged batch.ControlTruncated. A UDP_GRO message that
// was written whole is still exact (put_cmsg writes a message whole or
// sets MSG_CTRUNC and cuts it, and the parser never reads a cut one); if
// it was cut or not written, the read may be coalesced but its segment
// size is unknown, and it is delivered as one datagram: never split at a
// guessed size.
func (r *linuxReceiver) appendControl(b *batch.Batch, i, size int) bool {
	h := &r.hdrs[i]
	clen := min(int(h.Hdr.Controllen), r.ctlSize)
	var c ctlInfo
	base := i * r.ctlSize
	hostCmsg.parse(r.ctl[base:base+clen:base+clen], &c)
	if c.hasDrops {
		r.noteDrops(c.drops)
	}
	var f batch.Flags
	if h.Hdr.Flags&unix.MSG_TRUNC != 0 {
		f |= batch.Truncated
	}
	if h.Hdr.Flags&unix.MSG_CTRUNC != 0 {
		f |= batch.ControlTruncated
	}
	var src netip.AddrPort
	if r.inet {
		src = decodeSockaddr(&r.names[i], h.Hdr.Namelen)
	}
	off := 0
	if i == r.next {
		off = r.off // 0 unless resuming a coalesced read
	}
	n := min(int(h.Len), size) - off
	room := b.Room()
	if batch.Segments(n, c.gro) <= room {
		b.AppendSegments(i, off, n, c.gro, src, f, c.meta)
		if !r.inet {
			b.SetSrcName(b.Len()-1, unixName(&r.unames[i], h.Hdr.Namelen))
		}
		r.off = 0
		return true
	}
	// Only a coalesced read can overflow b (room is at least 1 here):
	// deliver the segments that fit, whole, and the rest next time.
	part := room * c.gro
	b.AppendSegments(i, off, part, c.gro, src, f&^batch.Truncated, c.meta)
	r.off = off + part
	return false
}

// noteDrops records an SO_RXQ_OVFL count. Datagrams queued concurrently
// on two CPUs can carry counts out of order, and the 32-bit count wraps,
// so it is compared in serial-number arithmetic (RFC 1982): a count
// behind the latest is ignored, one ahead adds the difference.
func (r *linuxReceiver) noteDrops(v uint32) {
	if d := v - r.lastOvfl; int32(d) > 0 {
		r.lastOvfl = v
		r.total += uint64(d)
		r.drops.Store(r.total)
	}
}

// bind points one mmsghdr, iovec, sockaddr and control buffer at each
// slot of b. It runs once per batch: the engine reads into the same batch
// for a loop's life. Anything carried over from a read into the previous
// Batch is dropped with it. With GRO on it refuses slots smaller than
// batch.MaxSlotSize (ErrGROSlotSize): a coalesced read would be cut.
func (r *linuxReceiver) bind(b *batch.Batch) error {
	if r.gro && b.SlotSize() < batch.MaxSlotSize {
		return fmt.Errorf("platform: read into slots of %d bytes with UDP GRO on: %w", b.SlotSize(), ErrGROSlotSize)
	}
	slots := b.Slots()
	r.hdrs = make([]unix.Mmsghdr, len(slots))
	r.iovs = make([]unix.Iovec, len(slots))
	if r.inet {
		r.names = make([]unix.RawSockaddrInet6, len(slots))
	} else {
		r.unames = make([]unix.RawSockaddrUnix, len(slots))
	}
	r.ctl = make([]byte, len(slots)*r.ctlSize)
	for i, s := range slots {
		r.iovs[i].Base = &s[0]
		r.iovs[i].SetLen(len(s))
		h := &r.hdrs[i].Hdr
		if r.inet {
			h.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		} else {
			h.Name = (*byte)(unsafe.Pointer(&r.unames[i]))
		}
		h.Namelen = r.nameSize()
		h.Iov = &r.iovs[i]
		h.SetIovlen(1)
		if r.ctlSize > 0 {
			h.Control = &r.ctl[i*r.ctlSize]
			h.SetControllen(r.ctlSize)
		}
	}
	r.bound = b
	r.next, r.got, r.off = 0, 0, 0
	return nil
}

// Wake sets wakeSoon and, if Wait is asking the poller, writes to the
// eventfd, after checking it is still the one Wait watches: if it was
// closed or its number taken by another file, it writes nothing there,
// and Wait reports Woken at its next idle check instead. A loop that is
// running costs its wakers no system call: a writer queueing replies
// from another goroutine while the loop reads a burst wakes it for free.
func (r *linuxReceiver) Wake() error {
	r.wakeSoon.Store(true)
	if !r.waiting.Load() {
		return nil // the loop is running: its next Wait sees wakeSoon
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	if !stillOurs(r.evfd, r.evid) {
		r.wakeLost.Store(true)
		return fmt.Errorf("platform: wake: eventfd %d closed or replaced from outside: %w (%w)", r.evfd, ErrPollerGone, unix.EBADF)
	}
	// write(2) of a uint64 1 to the non-blocking eventfd, raw as the
	// loop's own calls are (see Wait).
	one := uint64(1)
	if _, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(r.evfd), uintptr(unsafe.Pointer(&one)), 8); e != 0 && e != unix.EAGAIN {
		return os.NewSyscallError("write eventfd", e)
	}
	return nil
}

// readEventfd reads and so resets the eventfd's counter, with a raw
// read(2) (see Wait); it reports whether it read one: false if the
// counter was 0 (EAGAIN), or the descriptor is no eventfd.
func readEventfd(fd int) bool {
	var v uint64
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&v)), 8)
	return e == 0 && n == 8
}

func (r *linuxReceiver) LocalAddr() net.Addr { return r.local }
func (r *linuxReceiver) Info() Info          { return r.info }

func (r *linuxReceiver) Close() (err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return net.ErrClosed
	}
	r.closed = true
	if r.release != nil {
		defer func() {
			if rerr := r.release(); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}()
	}
	// Each of the loop's own descriptors is closed only if it is still
	// ours: a number taken over by another file belongs to someone else.
	if stillOurs(r.evfd, r.evid) {
		unix.Close(r.evfd)
	}
	switch {
	case r.epfd < 0: // a locked thread's: none
	case !stillOurs(r.epfd, r.epid):
		if r.park != nil {
			r.park.abandon()
		}
	case r.park != nil:
		r.park.close() // and with it r.epfd
	default:
		unix.Close(r.epfd)
	}
	if !stillOurs(r.fd, r.id) {
		// Closed or replaced from outside: the number may belong to
		// someone else's file now. Closing it would break them.
		return nil
	}
	var rerr error
	if r.adopted != nil {
		rerr = r.adopted.restore(r.fd)
	}
	return errors.Join(rerr, os.NewSyscallError("close", unix.Close(r.fd)))
}

// setAdopted records what Adopt found on the socket, for Close to put back.
func (r *linuxReceiver) setAdopted(s *adoptState) { r.adopted = s }
