package platform

import (
	"errors"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// parker lets a loop's goroutine sleep in the Go runtime's poller rather
// than in epoll_wait on its own thread.
//
// The runtime's poller is edge-triggered, which is why the socket is not
// in it (a hang-up would be reported once and then never again; docs/kernel.md).
// The loop's own epoll instance is, instead: an epoll descriptor is
// readable while its ready list is not empty, and its poll waiters (the
// runtime's epoll) are woken each time an event joins the list
// (ep_poll_callback in fs/eventpoll.c). So wait asks the loop's epoll,
// without blocking, for its level-triggered events; only if there are none
// does it park the goroutine until the next edge. An event that arrives in
// between is not lost: it raises an edge after the empty answer, and the
// runtime keeps it for the park.
//
// What this buys is the cost of a wake-up. A thread blocking in epoll_wait
// sleeps and wakes in the kernel, and the scheduler hands its P to another
// thread while it sleeps and takes one back after; a parked goroutine is
// woken by whichever thread is already polling, and runs there. At a fixed
// 300k datagrams/s, with a wake-up every 60 datagrams, that is about a
// sixth of the loop's CPU (docs/performance.md).
type parker struct {
	file    *os.File // the epoll descriptor, registered with the runtime's poller
	rc      syscall.RawConn
	events  []unix.EpollEvent
	n       int           // events the last poll found
	errno   syscall.Errno // its error, if any
	pollNow func(uintptr) bool
}

// idleCheck is idleCheckMillis as a duration: the read deadline is set
// that far ahead, so a wait ends for the idle check at least that often.
const idleCheck = idleCheckMillis * time.Millisecond

// newParker takes over epfd, registering it with the runtime's poller.
// If the runtime will not poll it, parked reports false and the caller
// blocks in epoll_wait on epfd as before; either way close closes it.
func newParker(epfd int, events []unix.EpollEvent) *parker {
	// os.NewFile registers a non-blocking descriptor with the runtime's
	// poller; whether that worked shows only in whether deadlines work.
	nbErr := unix.SetNonblock(epfd, true)
	p := &parker{file: os.NewFile(uintptr(epfd), "epoll"), events: events}
	if nbErr != nil || p.file.SetReadDeadline(time.Now().Add(idleCheck)) != nil {
		return p
	}
	rc, err := p.file.SyscallConn()
	if err != nil {
		return p
	}
	p.rc, p.pollNow = rc, p.poll
	return p
}

// parked reports whether wait can be used: the runtime polls the epoll
// descriptor.
func (p *parker) parked() bool { return p != nil && p.rc != nil }

// wait returns the number of events in p.events, or 0 when the idle check
// is due (every idleCheckMillis, busy or not: one fstat a second). Only if
// parked.
func (p *parker) wait() (int, error) {
	err := p.rc.Read(p.pollNow)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		if err := p.file.SetReadDeadline(time.Now().Add(idleCheck)); err != nil {
			return 0, err
		}
		return 0, nil
	case err != nil:
		return 0, err
	case p.errno != 0:
		return 0, p.errno
	}
	return p.n, nil
}

// poll is the RawConn.Read callback: epoll_wait(2) with a zero timeout,
// which never blocks, so it is a raw system call. false (nothing ready)
// parks the goroutine until the epoll descriptor's next edge.
func (p *parker) poll(fd uintptr) bool {
	for eintr := 0; ; eintr++ {
		// int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout);
		// as epoll_pwait with no signal mask, which every architecture has.
		n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, fd,
			uintptr(unsafe.Pointer(&p.events[0])), uintptr(len(p.events)), 0, 0, 0)
		switch e {
		case 0:
			p.n, p.errno = int(n), 0
			return n > 0
		case unix.EINTR:
			if eintr+1 < eintrLimit {
				continue // the list was not read: a park now could miss its edge
			}
			p.n, p.errno = 0, e // Wait bounds EINTRs in a row (eintrLimit)
			return true
		default:
			p.n, p.errno = 0, e
			return true
		}
	}
}

// close closes the epoll descriptor.
func (p *parker) close() { p.file.Close() }

// abandon gives up the epoll descriptor without closing it, for when its
// number was closed or taken over by another file from outside: closing
// the os.File would close that file, and first remove its number from the
// runtime's poller (internal/poll's close calls netpollclose), silencing
// another *os.File or net.Conn that lives there now. The os.File is kept
// reachable for the process's life so that no finalizer closes it either:
// a few bytes per such event.
func (p *parker) abandon() {
	abandoned.Lock()
	abandoned.files = append(abandoned.files, p.file)
	abandoned.Unlock()
}

// abandoned holds the os.Files of epoll descriptors lost to outside
// interference (see parker.abandon).
var abandoned struct {
	sync.Mutex
	files []*os.File
}
