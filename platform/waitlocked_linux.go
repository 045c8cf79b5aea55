package platform

import (
	"golang.org/x/sys/unix"
)

// waitLocked is Wait for a loop with a thread of its own
// (Options.LockedThread): it blocks the thread in ppoll(2) on the socket
// and the wake-up eventfd, for up to the idle check.
//
// poll rather than epoll, because poll's wait-queue entries exist only
// while the thread sleeps in it (fs/select.c do_poll adds them and
// poll_freewait removes them): while the loop reads and handles a burst,
// a datagram the kernel queues wakes no one and runs no callback, as for
// a C loop blocking in recvmmsg, and nothing has to be re-armed before
// the next wait. An epoll registration stays on the socket's wait queue
// all along: it costs the receive path a callback per datagram, or, made
// one-shot, an epoll_ctl per wake-up to re-arm it (sockEvents). poll is
// level-triggered as epoll is here: a hang-up, an error or data left
// unread is reported at every call.
func (r *linuxReceiver) waitLocked() (Event, error) {
	fds := &r.pollfds
	for eintr := 0; ; {
		fds[0].Revents, fds[1].Revents = 0, 0
		// The system call writes the time left back into its timeout
		// (fs/select.c poll_select_finish; glibc's wrapper hides it).
		r.pollTimeout = unix.NsecToTimespec(idleCheck.Nanoseconds())
		// int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *tmo_p, const sigset_t *sigmask);
		// A blocking call: through the scheduler (entersyscall), so
		// that the P is handed to other goroutines while the thread
		// sleeps.
		n, err := unix.Ppoll(fds[:], &r.pollTimeout, nil)
		if err != nil || n == 0 {
			ev, again, err := r.waitEnded("ppoll", err, &eintr)
			if again {
				continue
			}
			return ev, err
		}
		eintr = 0
		var ev Event
		if fds[1].Revents != 0 {
			r.wakeSoon.Store(false) // reported now (a later Wake sets it again)
			// An eventfd that polls readable reads 8 bytes (and is reset):
			// anything else is another file at its number, which poll,
			// unlike epoll, watches now (a regular file always polls
			// readable), or none (POLLNVAL).
			if !readEventfd(r.evfd) {
				if gone := r.pollerGone(); gone != nil {
					return Event{}, gone
				}
			}
			ev.Events |= Woken
		}
		s := fds[0].Revents
		if s&unix.POLLNVAL != 0 {
			// The socket's number is no longer open: closed from outside.
			return Event{Events: ev.Events | Gone}, nil
		}
		if s&unix.POLLIN != 0 {
			ev.Events |= Readable
		}
		if s&(unix.POLLRDHUP|unix.POLLHUP) != 0 {
			ev.Events |= HangUp
		}
		if s&unix.POLLERR != 0 {
			ev.Events |= ErrorPending
		}
		return ev, nil
	}
}
