package platform

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/udprx/udprx/batch"
)

// The portable backend: a *net.UDPConn from package net, read one datagram
// at a time with ReadMsgUDPAddrPort (for unixgram a *net.UnixConn, read
// with recvmsg through its RawConn: unixgramread_unix.go). It is built on
// every system, is the only backend where no native one exists, and runs
// on Linux and the BSDs too when Options.Portable asks for it.
//
// Package net offers only a blocking read (the Go runtime's poller waits
// inside it), so Wait is where the datagram is received, and Read hands it
// over. The per-system pieces, in socket_native.go and socket_other.go:
//
//	portableControl(opts Options) func(network, address string, c syscall.RawConn) error
//	portableRecvBuffer(conn *net.UDPConn, n int) (granted int, err error)
//
// and, for truncation, msgTrunc and readTruncated in portable_unix.go,
// portable_windows.go and portable_other.go.

// portableBackend is Info.Backend for this backend.
const portableBackend = "portable"

// aLongTimeAgo is a read deadline that has already passed: setting it makes
// a blocked read return at once with os.ErrDeadlineExceeded. A fixed
// instant rather than time.Now() so no clock reading can make it the future.
var aLongTimeAgo = time.Unix(1, 0)

// listenPortable opens the portable backend on network ("udp", "udp4" or
// "udp6") and address. ReusePort is refused where it would not balance
// (ReusePortBalances), as Listen does for the native backends, and set
// through ListenConfig.Control before the bind where it does.
func listenPortable(network, address string, opts Options) (Receiver, error) {
	switch network {
	case "udp", "udp4", "udp6":
	default:
		return nil, fmt.Errorf("platform: network %q: want udp, udp4 or udp6", network)
	}
	if opts.ReusePort && !ReusePortBalances {
		return nil, errReusePortUnbalanced
	}
	lc := net.ListenConfig{Control: portableControl(opts)}
	pc, err := lc.ListenPacket(context.Background(), network, address)
	if err != nil {
		return nil, err
	}
	conn := pc.(*net.UDPConn)
	info := Info{Backend: portableBackend, RecvBufferRequested: opts.RecvBuffer, ReusePort: opts.ReusePort}
	if opts.ReusePort && opts.ReusePortGroup > 0 {
		if rc, err := conn.SyscallConn(); err == nil {
			var aerr error
			if rc.Control(func(fd uintptr) { aerr = setReusePortGroup(int(fd), opts.ReusePortGroup) }) == nil && aerr == nil {
				info.ReusePortGroup = opts.ReusePortGroup
			}
		}
	}
	if info.RecvBufferGranted, err = portableRecvBuffer(conn, opts.RecvBuffer); err != nil {
		conn.Close()
		return nil, err
	}
	return &portableReceiver{conn: conn, local: conn.LocalAddr(), info: info, readMsg: udpReadMsg(conn), inet: true}, nil
}

// portableConn is what the portable backend needs of its socket: a
// *net.UDPConn, or a *net.UnixConn for unixgram (portablefd_unix.go).
type portableConn interface {
	SetReadDeadline(t time.Time) error
	SyscallConn() (syscall.RawConn, error)
	Close() error
}

// udpReadMsg returns the portableReceiver.readMsg of a UDP socket:
// ReadMsgUDPAddrPort, which allocates nothing.
func udpReadMsg(c *net.UDPConn) func([]byte) (int, int, netip.AddrPort, error) {
	return func(b []byte) (int, int, netip.AddrPort, error) {
		n, _, flags, src, err := c.ReadMsgUDPAddrPort(b, nil)
		return n, flags, src, err
	}
}

// portableReceiver adapts a blocking *net.UDPConn (or *net.UnixConn) to
// the Receiver's wait-then-read contract.
//
// Where the datagram goes: Wait receives straight into slot 0 of the Batch
// most recently passed to Read (the engine passes the same Batch every
// time), so in the steady state nothing is copied and nothing allocated.
// The consequence a caller must know: in this backend the next Wait, not
// only the next Read, overwrites the Payload of slot 0, so a Batch's
// datagrams are valid only until the next Wait. Before the first Read there
// is no Batch to receive into: Wait then receives into a spare buffer of
// batch.MaxSlotSize bytes (allocated then, released after use), and Read
// copies that one datagram into its Batch, marking it Truncated if it is
// longer than the slot. A caller that calls Read once before its first Wait
// (it returns 0, nil) never needs the spare. If Read is given a different
// Batch than the one Wait received into, the datagram is copied likewise.
//
// Read returns the datagram Wait received (1, nil), then (0, nil) until
// Wait receives again: package net has no non-blocking read, so this
// backend cannot drain the socket's queue in one call.
//
// Wake sets a flag and an already-expired read deadline, which makes a
// blocked read return at once; Wait checks the flag before every read, so a
// Wake before Wait is never lost, and a deadline error is never reported:
// it only means "look at the flag".
type portableReceiver struct {
	conn  portableConn
	local net.Addr
	info  Info

	// readMsg blocks until one datagram is received into b and returns
	// its length, msg_flags and sender (the zero AddrPort where unknown),
	// or package net's error.
	readMsg func(b []byte) (n, flags int, src netip.AddrPort, err error)
	inet    bool         // UDP: an empty read with no sender is a read shutdown
	release func() error // run by the first Close after the socket; nil: nothing to clean up

	woken atomic.Bool // set by Wake, cleared by the Wait that reports it

	// The rest belongs to the loop's goroutine (Wait, Read, Close).

	last  *batch.Batch // the Batch last passed to Read: Wait receives into its slot 0
	spare []byte       // receive buffer for a Wait before any Read

	// What Wait received and Read has not yet returned. ready is the Event
	// Wait reported for it (zero: nothing held); a repeated Wait reports it
	// again without reading, as a level-triggered poller would.
	ready Event
	into  *batch.Batch // where the datagram is: slot 0 of into, or spare if nil
	n     int
	src   netip.AddrPort
	flags batch.Flags
	err   error // the read failed: Read returns this instead of a datagram
}

// Wait blocks until a datagram (or a read error) arrives or Wake is called.
// Its only error is the socket's closure (matching net.ErrClosed); other
// read errors are held for Read and reported as Readable|ErrorPending, a
// read shutdown as Readable|HangUp.
func (r *portableReceiver) Wait() (Event, error) {
	for {
		if r.woken.Swap(false) {
			// Lift the deadline so the next Wait can block. A Wake racing
			// with this has set the flag again by the time it sets the
			// deadline, and the next Wait sees the flag before it blocks.
			r.conn.SetReadDeadline(time.Time{})
			return Event{Events: r.ready.Events | Woken, Errno: r.ready.Errno}, nil
		}
		if r.ready.Events != 0 {
			return r.ready, nil
		}
		ev, err := r.receive()
		if err != nil {
			return Event{}, err
		}
		if ev.Events != 0 {
			r.ready = ev
			return ev, nil
		}
		// A Wake's deadline interrupted the read: check the flag.
	}
}

// receive blocks in one read. It returns the zero Event when a Wake's
// deadline interrupted it (after lifting the deadline: the flag is checked
// after this, so a Wake that sets both is still seen).
func (r *portableReceiver) receive() (Event, error) {
	into := r.last
	var buf []byte
	if into != nil {
		buf = into.Slots()[0]
	} else {
		if r.spare == nil {
			r.spare = make([]byte, batch.MaxSlotSize)
		}
		buf = r.spare
	}
	n, msgFlags, src, err := r.readMsg(buf)
	var f batch.Flags
	switch {
	case err == nil:
		if msgFlags&msgTrunc != 0 {
			f |= batch.Truncated
		}
		if r.inet && n == 0 && !hasSource(src) {
			// What a UDP socket shut down for reading returns: no
			// datagram and no sender (see ErrReadShutdown). FreeBSD's
			// recvmsg does this on a non-blocking socket; Linux's
			// returns EAGAIN instead, so there package net never sees
			// the shutdown and the read goes on waiting, quietly.
			r.err = ErrReadShutdown
			return Event{Events: Readable | HangUp}, nil
		}
	case errors.Is(err, os.ErrDeadlineExceeded):
		r.conn.SetReadDeadline(time.Time{})
		return Event{}, nil
	case errors.Is(err, net.ErrClosed):
		return Event{}, err
	case readTruncated(err):
		// The data is there but the call failed, so package net left
		// the sender undecoded: it is reported as unknown.
		f |= batch.Truncated
		src = netip.AddrPort{}
	default:
		r.err = err
		ev := Event{Events: Readable | ErrorPending}
		var errno syscall.Errno
		if errors.As(err, &errno) {
			ev.Errno = errno
		}
		return ev, nil
	}
	r.into = into
	r.n = min(max(n, 0), len(buf))
	r.src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	r.flags = f
	return Event{Events: Readable}, nil
}

// hasSource reports whether a read returned a sender. Package net reports
// a read that returned no address (msg_namelen 0) as 0.0.0.0:0 or [::]:0,
// which no real UDP datagram carries.
func hasSource(src netip.AddrPort) bool {
	return src.Addr().IsValid() && !(src.Addr().IsUnspecified() && src.Port() == 0)
}

// Read returns the datagram the last Wait received, in slot 0 of b (1,
// nil), or (0, nil) when it holds none. A read error Wait saw is returned
// instead, unchanged (a *net.OpError wrapping an *os.SyscallError), or
// ErrReadShutdown for a read shutdown. b is remembered as the Batch the
// next Wait receives into.
func (r *portableReceiver) Read(b *batch.Batch) (int, error) {
	b.Reset()
	r.last = b
	if r.ready.Events == 0 {
		return 0, nil
	}
	r.ready = Event{}
	if err := r.err; err != nil {
		r.err = nil
		return 0, err
	}
	n, f := r.n, r.flags
	if r.into != b {
		from := r.spare
		if r.into != nil {
			from = r.into.Slots()[0]
		}
		slot := b.Slots()[0]
		if n > len(slot) {
			n = len(slot)
			f |= batch.Truncated
		}
		copy(slot, from[:n])
		if r.into == nil {
			r.spare = nil // b is known from now on: the spare is not needed again
		}
	}
	r.into = nil
	b.Append(0, n, r.src, f)
	return 1, nil
}

// Wake makes the current or next Wait return Woken. After Close it does
// nothing and returns nil.
func (r *portableReceiver) Wake() error {
	r.woken.Store(true)
	if err := r.conn.SetReadDeadline(aLongTimeAgo); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// LocalAddr returns the bound address.
func (r *portableReceiver) LocalAddr() net.Addr { return r.local }

// Info reports the facts fixed at Listen.
func (r *portableReceiver) Info() Info { return r.info }

// Close closes the socket, then runs release (removing a unix socket file
// Listen created). A second Close returns an error matching net.ErrClosed.
func (r *portableReceiver) Close() error {
	err := r.conn.Close()
	if release := r.release; release != nil {
		r.release = nil
		if rerr := release(); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}
	return err
}

// Control lends the descriptor through the socket's own RawConn, which
// fails with an error matching net.ErrClosed once it is closed.
func (r *portableReceiver) Control(f func(fd uintptr)) error {
	rc, err := r.conn.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Control(f)
}
