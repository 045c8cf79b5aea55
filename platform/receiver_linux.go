package platform

import (
	"errors"
	"net"
	"os"
	"sync"
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
// the loop acts on it (it must: see HangUp).
type linuxReceiver struct {
	fd    int
	epfd  int
	evfd  int
	local net.Addr
	info  Info
	inet  bool // AF_INET/AF_INET6: an empty entry without a source is a shutdown
	id    fdIdentity

	release func() error // run by Close after the socket is closed; nil: nothing to clean up

	events [2]unix.EpollEvent // socket and eventfd

	mu     sync.Mutex // guards closed against Wake writing to a reused fd
	closed bool

	// recvmmsg state, built for one batch (bound) and reused for every read.
	bound *batch.Batch
	hdrs  []unix.Mmsghdr // struct mmsghdr[]
	iovs  []unix.Iovec   // struct iovec[], one per slot
	// names is where each entry's source goes: struct sockaddr_in6, room
	// for either UDP source. A unix datagram sender's address is longer
	// (up to 110 bytes); the kernel copies only what fits and reports its
	// full length in msg_namelen (net/socket.c move_addr_to_user), and
	// decodeSockaddr reads neither: unix senders are reported as unknown.
	names []unix.RawSockaddrInet6
}

// newNative takes over fd, a bound, non-blocking datagram socket. inet is
// true for AF_INET/AF_INET6, false for AF_UNIX (where an empty datagram
// with no source is real: an unbound sender's). release, if not nil, runs
// once when Close has closed the socket.
func newNative(fd int, local net.Addr, info Info, inet bool, release func() error) (Receiver, error) {
	info.Backend = NativeBackend
	r := &linuxReceiver{fd: fd, epfd: -1, evfd: -1, local: local, info: info, inet: inet, release: release}
	var err error
	if r.id, err = identify(fd); err != nil {
		return nil, os.NewSyscallError("fstat", err)
	}
	if r.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	if r.evfd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		unix.Close(r.epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	// EPOLLERR and EPOLLHUP are always reported; EPOLLRDHUP must be asked
	// for. It is what a UDP socket shut down for reading raises
	// (net/ipv4/udp.c udp_poll -> datagram_poll in net/core/datagram.c).
	sock := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(fd)}
	wake := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(r.evfd)}
	if err = unix.EpollCtl(r.epfd, unix.EPOLL_CTL_ADD, fd, &sock); err == nil {
		err = unix.EpollCtl(r.epfd, unix.EPOLL_CTL_ADD, r.evfd, &wake)
	}
	if err != nil {
		unix.Close(r.evfd)
		unix.Close(r.epfd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return r, nil
}

func (r *linuxReceiver) Wait() (Event, error) {
	for {
		n, err := unix.EpollWait(r.epfd, r.events[:], idleCheckMillis)
		if err == unix.EINTR {
			continue // a signal (the Go runtime preempts with SIGURG)
		}
		if err != nil {
			return Event{}, os.NewSyscallError("epoll_wait", err)
		}
		if n == 0 {
			if !stillOurs(r.fd, r.id) {
				return Event{Events: Gone}, nil
			}
			continue
		}
		var ev Event
		for _, e := range r.events[:n] {
			if int(e.Fd) == r.evfd {
				var buf [8]byte
				unix.Read(r.evfd, buf[:]) // reset the counter; EAGAIN if raced: harmless
				ev.Events |= Woken
				continue
			}
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

// Read reads with one recvmmsg(2) call. It is a raw system call: the socket
// is non-blocking, so the call never parks the thread, and skipping the
// scheduler's entersyscall/exitsyscall is worth about 7% of the receive
// rate (FACTS.md). Waiting happens in Wait, through the ordinary path.
func (r *linuxReceiver) Read(b *batch.Batch) (int, error) {
	if b != r.bound {
		r.bind(b)
	}
	b.Reset()
	hdrs := r.hdrs
	for i := range hdrs {
		hdrs[i].Hdr.Namelen = unix.SizeofSockaddrInet6
		hdrs[i].Hdr.Flags = 0
	}
	n, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, uintptr(r.fd),
		uintptr(unsafe.Pointer(&hdrs[0])), uintptr(len(hdrs)), unix.MSG_DONTWAIT, 0, 0)
	if e != 0 {
		if e == unix.EAGAIN {
			return 0, nil
		}
		return 0, os.NewSyscallError("recvmmsg", e)
	}
	size := b.SlotSize()
	for i := range int(n) {
		h := &hdrs[i]
		if r.inet && h.Len == 0 && h.Hdr.Namelen == 0 {
			return i, ErrReadShutdown
		}
		var f batch.Flags
		if h.Hdr.Flags&unix.MSG_TRUNC != 0 {
			f |= batch.Truncated
		}
		b.Append(i, min(int(h.Len), size), decodeSockaddr(&r.names[i], h.Hdr.Namelen), f)
	}
	return int(n), nil
}

// bind points one mmsghdr, iovec and sockaddr at each slot of b. It runs
// once per batch: the engine reads into the same batch for a loop's life.
func (r *linuxReceiver) bind(b *batch.Batch) {
	slots := b.Slots()
	r.hdrs = make([]unix.Mmsghdr, len(slots))
	r.iovs = make([]unix.Iovec, len(slots))
	r.names = make([]unix.RawSockaddrInet6, len(slots))
	for i, s := range slots {
		r.iovs[i].Base = &s[0]
		r.iovs[i].SetLen(len(s))
		h := &r.hdrs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		h.Namelen = unix.SizeofSockaddrInet6
		h.Iov = &r.iovs[i]
		h.SetIovlen(1)
	}
	r.bound = b
}

func (r *linuxReceiver) Wake() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	one := [8]byte{1}
	if *(*uint64)(unsafe.Pointer(&one)) != 1 { // big-endian host
		one = [8]byte{7: 1}
	}
	if _, err := unix.Write(r.evfd, one[:]); err != nil && err != unix.EAGAIN {
		return os.NewSyscallError("write eventfd", err)
	}
	return nil
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
	unix.Close(r.evfd)
	unix.Close(r.epfd)
	if !stillOurs(r.fd, r.id) {
		// Closed or replaced from outside: the number may belong to
		// someone else's file now. Closing it would break them.
		return nil
	}
	return os.NewSyscallError("close", unix.Close(r.fd))
}
