package platform

import (
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"syscall"

	"github.com/udprx/udprx/batch"
)

// Events are the conditions a Wait reports, as bits.
type Events uint8

const (
	// Readable: the socket has datagrams queued (or a pending error that a
	// read will return).
	Readable Events = 1 << iota
	// HangUp: the socket was shut down for reading (EPOLLRDHUP or EPOLLHUP
	// on Linux, EV_EOF on kqueue). A level-triggered poller keeps reporting
	// it: a loop that ignores it spins.
	HangUp
	// ErrorPending: the socket has a pending error (EPOLLERR; kqueue EV_EOF
	// with a non-zero fflags, or EV_ERROR).
	ErrorPending
	// Woken: Wake was called. Reported alone or with the others.
	Woken
	// Gone: the descriptor no longer refers to the socket that was opened:
	// it was closed, or another file was put in its place (dup2), from
	// outside. The poller has silently lost it; nothing will arrive.
	// Native backends check this when idle (see idleCheckMillis).
	Gone
)

// String names the set bits, for logs and test failures.
func (e Events) String() string {
	if e == 0 {
		return "none"
	}
	s := ""
	for i, name := range [...]string{"readable", "hangup", "error", "woken", "gone"} {
		if e&(1<<i) != 0 {
			if s != "" {
				s += "|"
			}
			s += name
		}
	}
	return s
}

// Event is what one Wait observed.
type Event struct {
	Events Events
	// Errno is the socket error the poller delivered with the event where
	// it delivers one (kqueue's fflags with EV_EOF, EV_ERROR's data); zero
	// otherwise.
	Errno syscall.Errno
}

// Receiver is one datagram socket and the means to wait on it: the unit one
// event loop drives. Wait, Read and Close belong to the loop's goroutine;
// Wake may be called from any goroutine, at any time, also after Close.
type Receiver interface {
	// Wait blocks until the socket is readable, reports a hang-up or an
	// error, or Wake is called. An error is a failure of the wait itself
	// (the poller's own fd broke: ErrPollerGone); an interruption by a
	// signal is retried, but only so many times in a row (64 on Linux),
	// then returned (EINTR), so that a caller's error policy bounds a
	// storm of them.
	Wait() (Event, error)
	// Read reads the datagrams already queued into b without blocking:
	// at most one read per slot, so up to len(b.Slots()) datagrams, or
	// with UDP GRO (Info.GRO) up to b.Cap() once coalesced reads are
	// split into their datagrams; what a read brought that does not fit
	// in b is carried over, and the next Read returns it without a
	// system call. b is Reset first. A Batch's datagrams are valid
	// until the next Read or Wait on the Receiver (the portable backend
	// receives in Wait, into the batch last passed to Read). It returns how many it read; 0
	// with a nil error means nothing was queued. After a Read,
	// b.Full() reports whether more may be queued. When the socket reports
	// a read shutdown in place of a datagram (see ErrReadShutdown), Read
	// returns the datagrams before it and ErrReadShutdown. Other errors
	// are *os.SyscallError wrapping the errno. With GRO on, a Batch whose
	// slots are smaller than batch.MaxSlotSize is refused with an error
	// wrapping ErrGROSlotSize, before anything is read.
	Read(b *batch.Batch) (int, error)
	// Wake makes the current or next Wait return with Woken. It is safe to
	// call more than once and concurrently with Wait.
	Wake() error
	// LocalAddr returns the bound address (port 0 resolved).
	LocalAddr() net.Addr
	// Info reports the facts about the socket fixed when it was opened.
	Info() Info
	// Close closes the socket and the poller. Wait must not be running.
	// For a unixgram socket Listen created at a path, Close then removes
	// the socket file (only if it is still the file that was bound) and
	// PATH.lock, and releases the lock (Info.Path).
	Close() error
}

// Options are the socket options Listen sets before binding.
type Options struct {
	// ReusePort sets SO_REUSEPORT (SO_REUSEPORT_LB on FreeBSD) so several
	// sockets, one per loop, can bind the same address and share its load.
	// Listen fails where the option does not balance load (see
	// ReusePortBalances) rather than bind sockets that would starve.
	ReusePort bool
	// ReusePortGroup, with ReusePort, is the number of sockets the caller
	// opens on the address (one per loop). On Linux a program is attached
	// to the SO_REUSEPORT group that hands each datagram to one of the
	// first ReusePortGroup sockets that joined it, by a hash of its
	// addresses and ports: a socket another process adds to the group
	// later receives nothing. Info.ReusePortGroup says whether it took;
	// where it cannot be attached (other systems, Linux before 4.5) the
	// kernel's own hash over every member is used. 0 attaches nothing.
	ReusePortGroup int
	// RecvBuffer is the SO_RCVBUF size to request in bytes; 0 keeps the
	// system default. Info reports what was granted.
	RecvBuffer int
	// Portable selects the portable backend even where a native one
	// exists, for comparison and for testing it.
	Portable bool
	// UnixMode is the permission bits of the socket file a "unixgram"
	// Listen creates at a path (only bits in 0777); 0 means 0660. It is
	// applied with chmod after bind; the process's umask is never
	// changed. On Linux it is also set on the socket before bind, which
	// the kernel takes (less the umask) as the new file's mode, so the
	// file never allows more than asked for; elsewhere the file has the
	// umask's mode until the chmod, so the directory, not the file mode,
	// should be what keeps other users out. Abstract names (Linux
	// "@name") have no file and ignore it.
	UnixMode os.FileMode
	// GRO turns on UDP generic receive offload (Linux: UDP_GRO): the
	// kernel may coalesce consecutive datagrams of one flow into one read
	// of up to 64 KiB, and Read splits it back into its datagrams in the
	// Batch (nothing is copied), so a caller sees ordinary datagrams and
	// the kernel's per-datagram cost is paid once per read. It needs
	// Batches from batch.NewSegmented(n, batch.MaxSlotSize,
	// batch.GROSegments): Read refuses smaller slots (ErrGROSlotSize).
	// Where the kernel refuses UDP_GRO (before Linux 5.0), or on the BSDs
	// and the portable backend, the socket runs without it: Info.GRO says
	// which. Asking never makes Listen fail.
	GRO bool
	// PktInfo asks for each datagram's destination address and receiving
	// interface (Datagram.Dst, Datagram.IfIndex; Linux: IP_PKTINFO, and
	// IPV6_RECVPKTINFO on an IPv6 socket, both on a dual-stack one). It
	// is how a server bound to a wildcard address learns which of its
	// addresses a datagram was sent to. Linux only so far: Info.PktInfo
	// says whether it is on.
	PktInfo bool
	// PinSource says that replies will be sent from each request's
	// destination address (Sender.Send with Message.From): on a UDP
	// socket bound to a wildcard address it turns PktInfo on, so that
	// every datagram, from the first, reports the address it was sent
	// to. Linux only so far.
	PinSource bool
	// Timestamps asks for the kernel's receive time of each datagram
	// (Datagram.Timestamp; Linux: SO_TIMESTAMPNS). Linux only so far:
	// Info.Timestamps says whether it is on.
	Timestamps bool
	// LockedThread says that the goroutine calling Wait is locked to its
	// OS thread (runtime.LockOSThread) and has it to itself. Wait then
	// blocks that thread in a system call (Linux: ppoll on the socket and
	// the wake-up eventfd) instead of parking the goroutine in the Go
	// runtime's poller: waking a locked goroutine from there means
	// handing it back to its thread, which costs more than the thread's
	// own sleep (docs/performance.md). Linux only; the other backends
	// always block the thread.
	LockedThread bool
}

// MaxRecvBuffer is the largest Options.RecvBuffer a socket can take:
// SO_RCVBUF is a C int on every platform (setsockopt(2) with an int
// argument; Linux's sk_setsockopt in net/core/sock.c, the BSDs' sosetopt,
// Winsock's setsockopt), so a larger Go int would be cut to its low 32
// bits. Linux then caps what it grants at net.core.rmem_max (or INT_MAX/2
// with SO_RCVBUFFORCE).
const MaxRecvBuffer = math.MaxInt32

// Info reports facts about an open Receiver.
type Info struct {
	// Backend names the read path: "recvmmsg", "recvmsg" or "portable".
	Backend string
	// RecvBufferRequested is Options.RecvBuffer.
	RecvBufferRequested int
	// RecvBufferGranted is the receive buffer the kernel reports, in the
	// same units as the request (Linux doubles the value it stores for its
	// own bookkeeping: this is halved back); 0 where it cannot be read.
	RecvBufferGranted int
	// ReusePort reports whether SO_REUSEPORT (or _LB) is set.
	ReusePort bool
	// ReusePortGroup is Options.ReusePortGroup when the selection program
	// was attached, 0 when none was (not asked for, or refused).
	ReusePortGroup int
	// Path is the unix socket file this Receiver created and will remove
	// on Close (absolute); "" for everything else: UDP, abstract names,
	// adopted sockets.
	Path string
	// pathID is the device and inode of the socket file at Path, as bound:
	// what CheckPath compares the path with.
	pathID fileID
	// GRO reports whether UDP GRO is on (Options.GRO, granted).
	GRO bool
	// PktInfo reports whether Read fills Datagram.Dst and IfIndex.
	PktInfo bool
	// Timestamps reports whether Read fills Datagram.Timestamp.
	Timestamps bool
	// Parks reports whether Wait parks the goroutine in the Go runtime's
	// poller between events (Linux, unless Options.LockedThread) rather
	// than blocking its thread.
	Parks bool
	// GSO reports whether Send coalesces runs of messages to one
	// destination into segmented sends (Linux UDP_SEGMENT, probed when
	// the socket is opened, off after DisableGSO).
	GSO bool
	// PinsSource reports whether Send sends each message from its From
	// address: on a UDP socket bound to a wildcard address, on Linux.
	// Elsewhere From is ignored and the socket's address is the source.
	PinsSource bool
}

// fileID tells one file from another, also one that reuses a descriptor
// number or takes a path over: the device and inode fstat(2) or lstat(2)
// reports (identity_unix.go).
type fileID struct{ dev, ino uint64 }

// errReusePortUnbalanced is Listen's error for Options.ReusePort where
// SO_REUSEPORT does not balance load (see ReusePortBalances).
var errReusePortUnbalanced = fmt.Errorf("platform: SO_REUSEPORT does not balance load on this system: use one loop: %w", errors.ErrUnsupported)

// ErrPathLost is wrapped by CheckPath's error when the unix socket file a
// Receiver was bound to (Info.Path) was removed, or replaced by another
// file, from outside: the socket still works, but no new sender can reach
// it by its path.
var ErrPathLost = errors.New("the socket file no longer leads to the socket")

// ErrReadShutdown is returned by Read when the kernel handed back an
// empty entry with no source address on a UDP socket: what a UDP socket
// shut down for reading returns in place of datagrams. A real UDP datagram,
// even an empty one, always carries its source address.
var ErrReadShutdown = errors.New("empty read with no source address: socket shut down for reading")

// ErrGROSlotSize is wrapped by the error Read returns, without reading,
// when UDP GRO is on (Info.GRO) and the Batch's slots are smaller than
// batch.MaxSlotSize: the kernel would cut coalesced reads to the slot and
// the datagrams past the cut would be lost. It is a mistake in the caller,
// not a condition of the socket: build the Batch with
// batch.NewSegmented(n, batch.MaxSlotSize, batch.GROSegments).
var ErrGROSlotSize = errors.New("UDP GRO needs batch slots of batch.MaxSlotSize (64 KiB) bytes")

// ErrPollerGone is wrapped by the error Wait (and Wake) returns when one
// of the Receiver's own descriptors, its poller (epoll) or its wake-up
// (eventfd), was closed or replaced by another file from outside. The
// error wraps syscall.EBADF as well: the Receiver cannot wait any more and
// should be closed (Close leaves a number that is no longer its own
// alone). A Wake that found its eventfd gone wrote nothing; the next Wait
// reports Woken within the idle check (a second) instead.
var ErrPollerGone = errors.New("poller descriptor closed or replaced from outside")

// ErrAddrInUse is wrapped by the error a "unixgram" Listen returns when
// another socket has the address: a process answers on the path (or holds
// its PATH.lock while starting or serving), or another socket is bound to
// the abstract name. The message names the path. A UDP Listen whose bind
// fails with EADDRINUSE, and ProbeUnshared, wrap it too (with the errno).
var ErrAddrInUse = errors.New("address in use")

// ErrNotSocket is wrapped by the error a "unixgram" Listen returns when
// something other than a socket (a regular file, directory, symbolic link,
// FIFO or device) is at the path. Listen leaves it untouched; the message
// names the path and what is there. Adopt wraps it too, for a descriptor
// that is not a socket.
var ErrNotSocket = errors.New("not a socket")
