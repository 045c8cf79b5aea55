package platform

import "syscall"

// keventRecord is what the kqueue receiver (receiver_bsd.go) reads from one
// struct kevent that kevent(2) returned (sys/sys/event.h on FreeBSD,
// bsd/sys/event.h on darwin): the filter and the flags as booleans, fflags
// and data as they are. Copying the fields out keeps foldKevents plain Go,
// built everywhere, so its tests run on every system.
type keventRecord struct {
	user   bool   // EVFILT_USER: the Wake trigger; else the socket's EVFILT_READ
	eof    bool   // EV_EOF in flags
	err    bool   // EV_ERROR in flags
	fflags uint32 // with EV_EOF on EVFILT_READ: the socket's so_error
	data   int64  // EVFILT_READ: bytes queued; with EV_ERROR: the errno
}

// foldKevents merges what one kevent(2) call returned into an Event.
//
// For a socket's EVFILT_READ, both kernels' filt_soread (FreeBSD
// sys/kern/uipc_socket.c, darwin bsd/kern/uipc_socket.c) set data to the
// bytes queued, excluding the sender's address, and fire:
//   - with EV_EOF and fflags = so_error once the socket can receive no
//     more (SBS_CANTRCVMORE: a shutdown; on darwin also a defunct socket,
//     fflags EBADF): HangUp, plus ErrorPending and Errno when fflags is
//     set, plus Readable when data is still queued;
//   - with data 0 and no EV_EOF when so_error is set (darwin's comment:
//     "temporary udp error"): the read will return that error, so
//     Readable|ErrorPending, the errno unknown until then (as EPOLLERR);
//   - with data > 0 otherwise: Readable.
//
// EV_ERROR means a change could not be applied; data is the errno:
// ErrorPending with that Errno. The first non-zero errno wins.
func foldKevents(recs []keventRecord) Event {
	var ev Event
	setErrno := func(e syscall.Errno) {
		if ev.Errno == 0 {
			ev.Errno = e
		}
	}
	for _, k := range recs {
		switch {
		case k.err:
			ev.Events |= ErrorPending
			setErrno(syscall.Errno(k.data))
		case k.user:
			ev.Events |= Woken
		case k.eof:
			ev.Events |= HangUp
			if k.fflags != 0 {
				ev.Events |= ErrorPending
				setErrno(syscall.Errno(k.fflags))
			}
			if k.data > 0 {
				ev.Events |= Readable
			}
		case k.data > 0:
			ev.Events |= Readable
		default:
			ev.Events |= Readable | ErrorPending
		}
	}
	return ev
}
