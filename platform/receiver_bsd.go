//go:build darwin || freebsd

package platform

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/udprx/udprx/batch"
)

// kqueueReceiver is the native darwin and FreeBSD backend: a non-blocking
// socket drained with recvmsg(2), one datagram per call, waited on with a
// kqueue that also carries an EVFILT_USER event for Wake.
//
// The socket's EVFILT_READ is level-triggered (no EV_CLEAR): it fires again
// at once while datagrams are queued after a budget-limited drain, and
// keeps reporting EV_EOF until the loop acts on a hang-up. The user event
// has EV_CLEAR, so one NOTE_TRIGGER is reported once and then resets.
type kqueueReceiver struct {
	fd     int
	kq     int
	local  net.Addr
	info   Info
	id     fileID
	idle   unix.Timespec // idleCheckMillis, a field so Wait does not allocate it
	inet   bool          // AF_INET/AF_INET6: an empty read without a source is a shutdown
	family int           // SO_DOMAIN, for Send's destination addresses

	release func() error // run by Close after the socket is closed; nil: nothing to clean up

	events [4]unix.Kevent_t // struct kevent[]: the socket's and the wake event, with room

	mu     sync.Mutex  // held by Wake and Close, so Wake never triggers a reused kq
	closed atomic.Bool // set under mu; read without it by Wait

	// recvmsg state, built once and reused for every datagram: msg points
	// at iov and name; Read points iov at each slot in turn.
	msg  unix.Msghdr           // struct msghdr
	iov  unix.Iovec            // struct iovec
	name unix.RawSockaddrInet6 // struct sockaddr_in6: room for either UDP source
}

// wakeIdent identifies the EVFILT_USER event. User events have their own
// identifier space, unrelated to file descriptors.
const wakeIdent = 1

// newNative takes over fd, a bound, non-blocking datagram socket. inet is
// true for AF_INET/AF_INET6, false for AF_UNIX (where an empty datagram
// with no source is real: an unbound sender's). release, if not nil, runs
// once when Close has closed the socket.
func newNative(fd int, local net.Addr, info Info, inet, _ bool, release func() error) (Receiver, error) {
	info.Backend = NativeBackend
	// kqueue(2) has no close-on-exec flag on darwin, but a kqueue is not
	// inherited across fork (kqueue(2) on both systems), so the window
	// before CloseOnExec cannot leak it into a child.
	kq, err := unix.Kqueue()
	if err != nil {
		return nil, os.NewSyscallError("kqueue", err)
	}
	unix.CloseOnExec(kq)
	var changes [2]unix.Kevent_t
	unix.SetKevent(&changes[0], fd, unix.EVFILT_READ, unix.EV_ADD)
	unix.SetKevent(&changes[1], wakeIdent, unix.EVFILT_USER, unix.EV_ADD|unix.EV_CLEAR)
	// With no room for events, a change that fails fails the call (kevent(2)).
	if err := kevent(kq, changes[:], nil); err != nil {
		unix.Close(kq)
		return nil, err
	}
	id, err := identify(fd)
	if err != nil {
		unix.Close(kq)
		return nil, os.NewSyscallError("fstat", err)
	}
	r := &kqueueReceiver{fd: fd, kq: kq, local: local, info: info, id: id,
		idle: unix.NsecToTimespec(idleCheckMillis * 1e6), inet: inet, release: release}
	if sa, err := unix.Getsockname(fd); err == nil {
		if _, ok := sa.(*unix.SockaddrInet4); ok {
			r.family = unix.AF_INET
		} else {
			r.family = unix.AF_INET6
		}
	}
	r.msg.Name = (*byte)(unsafe.Pointer(&r.name))
	r.msg.Iov = &r.iov
	r.msg.SetIovlen(1)
	return r, nil
}

// kevent applies changes that wait for nothing, retrying on EINTR.
func kevent(kq int, changes, events []unix.Kevent_t) error {
	for {
		_, err := unix.Kevent(kq, changes, events, nil)
		if err != unix.EINTR {
			return os.NewSyscallError("kevent", err)
		}
	}
}

// Wait blocks in kevent(2) until the socket or the wake event fires. It
// retries EINTR itself. After Close it returns net.ErrClosed.
func (r *kqueueReceiver) Wait() (Event, error) {
	if r.closed.Load() {
		return Event{}, net.ErrClosed
	}
	for {
		n, err := unix.Kevent(r.kq, nil, r.events[:], &r.idle)
		if err == unix.EINTR {
			continue // a signal (the Go runtime preempts with SIGURG)
		}
		if err != nil {
			return Event{}, os.NewSyscallError("kevent", err)
		}
		if n == 0 {
			if !stillOurs(r.fd, r.id) {
				return Event{Events: Gone}, nil
			}
			continue
		}
		var recs [len(r.events)]keventRecord
		for i := range n {
			k := &r.events[i]
			recs[i] = keventRecord{
				user:   k.Filter == unix.EVFILT_USER,
				eof:    k.Flags&unix.EV_EOF != 0,
				err:    k.Flags&unix.EV_ERROR != 0,
				fflags: k.Fflags,
				data:   int64(k.Data),
			}
		}
		if ev := foldKevents(recs[:n]); ev.Events != 0 {
			return ev, nil
		}
	}
}

// Read drains the socket with recvmsg(2) into b's slots until the socket
// has nothing queued (EAGAIN) or b is full. It returns the datagrams read
// with a nil error, or with the error that stopped it: ErrReadShutdown for
// an empty read with no sender on a UDP socket (FreeBSD's soreceive_dgram
// on a socket shut down for reading returns 0 as Linux does; a unix socket
// has no such rule, since an unbound sender's datagram has no source
// either: its hang-up shows as EV_EOF in Wait), else an *os.SyscallError.
// A unix sender's address does not fit name and is cut to it by the
// kernel; it is not decoded: unix senders are reported as unknown.
// A one-shot error (an ICMP-derived ECONNREFUSED on a connected socket) is
// returned with the datagrams before it, never lost.
//
// It allocates nothing: msg, iov and name are reused, and the source
// address is decoded straight into the Batch.
func (r *kqueueReceiver) Read(b *batch.Batch) (int, error) {
	b.Reset()
	slots := b.Slots()
	for i := 0; i < len(slots); {
		slot := slots[i]
		r.iov.Base = &slot[0]
		r.iov.SetLen(len(slot))
		r.msg.Namelen = unix.SizeofSockaddrInet6
		r.msg.Flags = 0
		n, err := recvmsg(r.fd, &r.msg)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return i, nil
		case err != nil:
			return i, os.NewSyscallError("recvmsg", err)
		case r.inet && n == 0 && r.msg.Namelen == 0:
			return i, ErrReadShutdown
		}
		var f batch.Flags
		if r.msg.Flags&unix.MSG_TRUNC != 0 {
			f |= batch.Truncated
		}
		b.Append(i, min(n, len(slot)), decodeSockaddr(&r.name, r.msg.Namelen), f)
		i++
	}
	return len(slots), nil
}

// Wake triggers the user event (NOTE_TRIGGER). After Close it does nothing
// and returns nil.
func (r *kqueueReceiver) Wake() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed.Load() {
		return nil
	}
	var change [1]unix.Kevent_t
	unix.SetKevent(&change[0], wakeIdent, unix.EVFILT_USER, 0)
	change[0].Fflags = unix.NOTE_TRIGGER
	return kevent(r.kq, change[:], nil)
}

// LocalAddr returns the bound address.
func (r *kqueueReceiver) LocalAddr() net.Addr { return r.local }

// Info reports the facts fixed at Listen.
func (r *kqueueReceiver) Info() Info { return r.info }

// Close closes the kqueue and the socket (which removes its event). A
// second Close returns net.ErrClosed.
func (r *kqueueReceiver) Close() (err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed.Load() {
		return net.ErrClosed
	}
	r.closed.Store(true)
	if r.release != nil {
		defer func() {
			if rerr := r.release(); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}()
	}
	unix.Close(r.kq)
	if !stillOurs(r.fd, r.id) {
		return nil // closed or replaced from outside: not ours to close
	}
	return os.NewSyscallError("close", unix.Close(r.fd))
}

// Control calls f with the socket's descriptor under the lock Close takes,
// so f never sees a number Close has released.
func (r *kqueueReceiver) Control(f func(fd uintptr)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed.Load() {
		return net.ErrClosed
	}
	f(uintptr(r.fd))
	return nil
}
