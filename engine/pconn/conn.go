package pconn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/udprx/udprx/engine"
)

// DefaultQueue is the number of datagrams a Conn holds for its readers
// when Config.Queue is 0.
const DefaultQueue = 1024

// Config configures a Conn.
type Config struct {
	// Engine configures the engine underneath: the address, loops, batch
	// and datagram sizes, receive buffer, restarts, metrics. Its Handler
	// must be nil: the Conn sets it.
	Engine engine.Config
	// Queue is how many datagrams the Conn holds for its readers, across
	// all loops, each in a preallocated buffer of Engine.DatagramSize
	// bytes. 0 means DefaultQueue.
	Queue int
}

// Conn is a net.PacketConn backed by an engine: its loops read in batches
// (recvmmsg on Linux), copy each datagram into a preallocated buffer and
// queue it for the Conn's readers; writes go through the engine's
// goroutine-safe send path (Engine.WriteToWait) and leave from a loop's
// socket in that loop's next send batch. It is safe for concurrent use by
// any number of readers and writers.
//
// Writes are queued for the loop, not sent from the writer's goroutine as
// a *net.UDPConn sends them, by measurement: the loop sends what many
// writers queued in one sendmmsg (about 100 DNS answers per call under
// dnsperf), and a sendmsg per write from the writer answered 20% fewer
// queries, with no better latency (docs/performance.md). A read takes a
// queued datagram without a system call; moving a deadline that has not
// passed allocates nothing.
//
// ReadFromUDPAddrPort, ReadMsgUDPAddrPort, WriteToUDPAddrPort and
// WriteMsgUDPAddrPort allocate nothing per datagram, as their
// *net.UDPConn namesakes; ReadFrom allocates the *net.UDPAddr it returns,
// as *net.UDPConn does. ReadBatch and WriteBatch have the signatures of
// golang.org/x/net/ipv4.PacketConn's.
//
// quic-go takes its fast path on a Conn, as on a *net.UDPConn (it asks
// for SyscallConn, SetReadBuffer, ReadMsgUDP and WriteMsgUDP): it reads
// in batches through ReadBatch, sets DF through SyscallConn and sends
// with UDP GSO (WriteMsgUDP with a UDP_SEGMENT message, which the loop
// sends as GSO again). Turn Config.Engine.GRO on for QUIC (ListenPacket
// does): a peer's GSO trains then arrive in a few coalesced reads, and a
// quic-go server on a Conn received 16 MiB streams 1.15x as fast as on a
// *net.UDPConn, for 0.77x the CPU, and sent them as fast
// (docs/performance.md).
//
// What differs from a *net.UDPConn, and what is lost:
//   - A datagram longer than Engine.DatagramSize is cut to it by the
//     loop (Stats.Truncated) before any reader sees it; a reader's
//     buffer shorter than the datagram truncates it as *net.UDPConn does
//     (the rest is discarded, no error).
//   - When the readers fall behind and the queue is full, the loop drops
//     the datagram and counts it as an application drop
//     (Stats.AppDrops, udprx_app_drops_total) instead of letting the
//     kernel drop it unseen; datagrams still queued at Close are counted
//     the same way.
//   - A write returns once its datagram is in the loop's send queue
//     (waiting while that is full); send errors past the queue (an
//     ICMP-refused destination, a full send buffer past
//     Engine.SendTimeout) are counted by the engine (Stats.SendDrops),
//     not returned.
//   - ECN: received datagrams come with no control messages (oobn is 0),
//     and the IP_TOS or IPV6_TCLASS a writer passes is not applied: the
//     marks are lost as on a path that clears them, which quic-go's ECN
//     validation detects before it relies on them. Packet info is not
//     passed either way, so on a wildcard address a write leaves from
//     the address the kernel's routing picks.
//   - SyscallConn's RawConn lends the sockets for options only (Control);
//     it cannot read or write them.
type Conn struct {
	e      *engine.Engine
	q      *engine.Queue
	laddr  *net.UDPAddr
	loops  int
	next   atomic.Uint32 // round robin of writes over the loops
	rd, wd *deadline

	closing   chan struct{} // closed by Close
	closeOnce sync.Once
	closeErr  error
	failed    chan struct{} // closed when the engine ended on its own
	failErr   error         // why, set before failed is closed
	runDone   chan struct{}
}

// ListenPacket listens on a UDP address as net.ListenPacket does, with
// network "udp", "udp4" or "udp6" and address "host:port" (port 0 picks
// one), and the engine's defaults otherwise, but for GRO, which it turns
// on: a QUIC peer's GSO trains then cost a few reads, and small
// datagrams from many clients read as fast without (miekg/dns under
// dnsperf: 95-106k queries/s with GRO against 97-106k without, 3 rounds
// each, docs/performance.md).
func ListenPacket(network, address string) (*Conn, error) {
	switch network {
	case "udp", "udp4", "udp6":
	default:
		return nil, &net.OpError{Op: "listen", Net: network, Err: net.UnknownNetworkError(network)}
	}
	return New(Config{Engine: engine.Config{Addr: network + "://" + address, GRO: true}})
}

// New starts an engine configured by cfg and returns a Conn reading from
// it. Close shuts the engine down.
func New(cfg Config) (*Conn, error) {
	if cfg.Engine.Handler != nil {
		return nil, errors.New("pconn: Config.Engine.Handler: must be nil, the Conn sets it")
	}
	if cfg.Queue == 0 {
		cfg.Queue = DefaultQueue
	}
	q := engine.NewQueue(cfg.Queue)
	cfg.Engine.Handler = q
	e, err := engine.New(cfg.Engine)
	if err != nil {
		return nil, err
	}
	la, ok := e.Addr().(*net.UDPAddr)
	if !ok {
		e.Shutdown(context.Background())
		return nil, fmt.Errorf("pconn: Config.Engine.Addr %q: a Conn serves UDP addresses only", cfg.Engine.Addr)
	}
	c := &Conn{
		e:       e,
		q:       q,
		laddr:   la,
		loops:   len(e.Stats().Loops),
		rd:      newDeadline(),
		wd:      newDeadline(),
		closing: make(chan struct{}),
		failed:  make(chan struct{}),
		runDone: make(chan struct{}),
	}
	go c.run()
	return c, nil
}

// run runs the engine until Close or a failure it cannot recover from
// (restarts exhausted): then reads and writes fail with that error.
func (c *Conn) run() {
	defer close(c.runDone)
	if err := c.e.Run(context.Background()); err != nil {
		c.failErr = err
		close(c.failed)
	}
}

// Engine returns the engine underneath, for its Stats and metrics.
func (c *Conn) Engine() *engine.Engine { return c.e }

// LocalAddr returns the bound address, a *net.UDPAddr.
func (c *Conn) LocalAddr() net.Addr { return c.laddr }

// take waits for the next queued datagram, Close, the engine's failure
// or the read deadline, whichever comes first. A deadline already past
// fails the read even when datagrams are queued, as for *net.UDPConn.
// While datagrams are queued it takes one without a select over all four
// (each check below is a single-channel poll, far cheaper than selectgo).
func (c *Conn) take() (*engine.Job, error) {
	dl := c.rd.wait()
	if isClosed(c.closing) {
		return nil, net.ErrClosed
	}
	if isClosed(c.failed) {
		return nil, c.failErr
	}
	if isClosed(dl) {
		return nil, os.ErrDeadlineExceeded
	}
	select {
	case j := <-c.q.Ready():
		return j, nil
	default:
	}
	select {
	case j := <-c.q.Ready():
		return j, nil
	case <-c.closing:
		return nil, net.ErrClosed
	case <-c.failed:
		return nil, c.failErr
	case <-dl:
		return nil, os.ErrDeadlineExceeded
	}
}

// ReadFromUDPAddrPort reads one datagram into b and returns its length
// and source. A datagram longer than b is truncated to len(b); the rest
// is discarded. It allocates nothing.
func (c *Conn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	j, err := c.take()
	if err != nil {
		return 0, netip.AddrPort{}, c.opError("read", nil, err)
	}
	n := copy(b, j.Datagram.Payload)
	src := j.Datagram.Src
	j.Release()
	return n, src, nil
}

// ReadFrom reads one datagram into b, as ReadFromUDPAddrPort does, and
// returns its source as a *net.UDPAddr (one allocation).
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, src, err := c.ReadFromUDPAddrPort(b)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(src), nil
}

// ReadMsgUDPAddrPort reads one datagram as ReadFromUDPAddrPort does. No
// control messages are passed up: oobn is always 0, and flags is 0.
func (c *Conn) ReadMsgUDPAddrPort(b, oob []byte) (n, oobn, flags int, addr netip.AddrPort, err error) {
	n, addr, err = c.ReadFromUDPAddrPort(b)
	return n, 0, 0, addr, err
}

// ReadBatch reads up to len(ms) datagrams: it waits for the first, then
// takes what else is queued without waiting. Each message gets its
// payload scattered over its Buffers, N, and its source in Addr: a
// *net.UDPAddr already there is reused, so a caller that keeps its
// messages allocates nothing. OOB, NN and Flags are zero. flags is
// ignored.
func (c *Conn) ReadBatch(ms []ipv4.Message, flags int) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	j, err := c.take()
	if err != nil {
		return 0, c.opError("read", nil, err)
	}
	i := 0
	for {
		fill(&ms[i], j)
		i++
		if i == len(ms) {
			return i, nil
		}
		select {
		case j = <-c.q.Ready():
		default:
			return i, nil
		}
	}
}

// fill copies j into m and releases it. The *net.UDPAddr already in
// m.Addr is kept when it is the datagram's source, and replaced by a new
// one otherwise: a caller such as quic-go hands the address of a datagram
// it read on to other goroutines and reads the next batch into the same
// messages, so it is never written to.
func fill(m *ipv4.Message, j *engine.Job) {
	p := j.Datagram.Payload
	n := 0
	for _, b := range m.Buffers {
		k := copy(b, p[n:])
		n += k
		if n == len(p) {
			break
		}
	}
	m.N, m.NN, m.Flags = n, 0, 0
	src := j.Datagram.Src
	j.Release()
	if a, ok := m.Addr.(*net.UDPAddr); ok && sameAddr(a, src) {
		return // the caller may still hold it: never written to
	}
	m.Addr = net.UDPAddrFromAddrPort(src)
}

// WriteToUDPAddrPort queues b for addr on one of the engine's sockets
// (round robin over the loops); it is sent in that loop's next send
// batch. It returns len(b) once queued. While the loop's send queue
// (Engine.SendQueue) is full it waits, as a *net.UDPConn writer waits for
// room in the send buffer, until the loop takes the queue, the write
// deadline passes (a timeout error) or the Conn is closed
// (net.ErrClosed). It fails with engine.ErrTooLarge for a datagram longer
// than Engine.ReplySize and engine.ErrNoAddress for an invalid address or
// port 0. It allocates nothing.
func (c *Conn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	if err := c.write(c.pick(), b, addr); err != nil {
		return 0, err
	}
	return len(b), nil
}

// pick chooses the loop a write is queued on: round robin.
func (c *Conn) pick() int {
	if c.loops > 1 {
		return int(c.next.Add(1) % uint32(c.loops))
	}
	return 0
}

// write queues b for addr on loop, as WriteToUDPAddrPort says.
func (c *Conn) write(loop int, b []byte, addr netip.AddrPort) error {
	if err := c.writable(); err != nil {
		return err
	}
	return c.enqueue(loop, b, addr)
}

// writable fails a write that comes after Close, the engine's failure or
// the write deadline.
func (c *Conn) writable() error {
	select {
	case <-c.closing:
		return c.opError("write", nil, net.ErrClosed)
	case <-c.failed:
		return c.opError("write", nil, c.failErr)
	case <-c.wd.wait():
		return c.opError("write", nil, os.ErrDeadlineExceeded)
	default:
	}
	return nil
}

// enqueue queues b for addr on loop, waiting for room until the write
// deadline, and turns the engine's error into the Conn's.
func (c *Conn) enqueue(loop int, b []byte, addr netip.AddrPort) error {
	if err := c.e.WriteToWait(c.wd.wait(), loop, b, addr); err != nil {
		switch {
		case errors.Is(err, net.ErrClosed):
			err = net.ErrClosed
		case errors.Is(err, engine.ErrSendQueueFull):
			err = os.ErrDeadlineExceeded // waited for room until the deadline
		}
		return c.opError("write", net.UDPAddrFromAddrPort(addr), err)
	}
	return nil
}

// WriteTo queues b for addr, a *net.UDPAddr, as WriteToUDPAddrPort does.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	a, ok := addr.(*net.UDPAddr)
	if !ok || a == nil {
		return 0, c.opError("write", addr, fmt.Errorf("pconn: WriteTo address %v (%T): want a *net.UDPAddr", addr, addr))
	}
	return c.WriteToUDPAddrPort(b, a.AddrPort())
}

// WriteMsgUDPAddrPort queues b for addr as WriteToUDPAddrPort does, with
// the control messages a *net.UDPConn writer passes most (see the Conn's
// documentation): a UDP_SEGMENT message (Linux) cuts b into datagrams of
// that size, all queued on one loop, which sends equal-size runs to one
// destination as a UDP GSO send again; IP_TOS and IPV6_TCLASS are
// accepted and not applied. Any other control message fails the write
// with an error wrapping errors.ErrUnsupported, before anything is
// queued. A write cut into several datagrams that fails part-way returns
// the bytes queued before the failure.
func (c *Conn) WriteMsgUDPAddrPort(b, oob []byte, addr netip.AddrPort) (n, oobn int, err error) {
	seg, err := parseOOB(oob)
	if err != nil {
		return 0, 0, c.opError("write", net.UDPAddrFromAddrPort(addr), err)
	}
	if seg == 0 || seg >= len(b) {
		if n, err = c.WriteToUDPAddrPort(b, addr); err != nil {
			return 0, 0, err
		}
		return n, len(oob), nil
	}
	if err := c.writable(); err != nil { // once for the write, not per datagram
		return 0, 0, err
	}
	loop := c.pick()
	for off := 0; off < len(b); off += seg {
		if err := c.enqueue(loop, b[off:min(off+seg, len(b))], addr); err != nil {
			return off, 0, err
		}
	}
	return len(b), len(oob), nil
}

// WriteMsgUDP is WriteMsgUDPAddrPort with a *net.UDPAddr, the form
// quic-go calls.
func (c *Conn) WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (n, oobn int, err error) {
	if addr == nil {
		return 0, 0, c.opError("write", nil, errors.New("pconn: WriteMsgUDP: nil address"))
	}
	return c.WriteMsgUDPAddrPort(b, oob, addr.AddrPort())
}

// ReadMsgUDP reads one datagram as ReadMsgUDPAddrPort does and returns
// its source as a *net.UDPAddr (one allocation).
func (c *Conn) ReadMsgUDP(b, oob []byte) (n, oobn, flags int, addr *net.UDPAddr, err error) {
	n, src, err := c.ReadFromUDPAddrPort(b)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	return n, 0, 0, net.UDPAddrFromAddrPort(src), nil
}

// SyscallConn returns a syscall.RawConn for socket options: its Control
// calls its function with each of the engine's sockets in turn
// (Engine.Control: an option lasts until the engine re-opens a socket
// after an error). Its Read and Write fail with an error wrapping
// errors.ErrUnsupported: the loops read the sockets, and writers queue
// for them.
func (c *Conn) SyscallConn() (syscall.RawConn, error) { return rawConn{c}, nil }

type rawConn struct{ c *Conn }

func (r rawConn) Control(f func(fd uintptr)) error {
	if err := r.c.e.Control(f); err != nil {
		return r.c.opError("raw-control", nil, err)
	}
	return nil
}

func (r rawConn) Read(func(fd uintptr) bool) error {
	return r.c.opError("raw-read", nil, errRawIO)
}

func (r rawConn) Write(func(fd uintptr) bool) error {
	return r.c.opError("raw-write", nil, errRawIO)
}

var errRawIO = fmt.Errorf("pconn: %w: the engine's loops read the sockets, and writes are queued for them", errors.ErrUnsupported)

// SetReadBuffer sets SO_RCVBUF on each of the engine's sockets, as
// *net.UDPConn does on its one (quic-go raises it to 7 MiB this way).
// Config.Engine.RecvBuffer is the better place: it also holds for a
// socket the engine re-opens, and Stats reports what it was granted.
func (c *Conn) SetReadBuffer(bytes int) error { return c.setBuffer("SO_RCVBUF", bytes) }

// SetWriteBuffer sets SO_SNDBUF on each of the engine's sockets.
func (c *Conn) SetWriteBuffer(bytes int) error { return c.setBuffer("SO_SNDBUF", bytes) }

func (c *Conn) setBuffer(name string, bytes int) error {
	var serr error
	if err := c.e.Control(func(fd uintptr) {
		if err := setBuffer(fd, name, bytes); err != nil && serr == nil {
			serr = err
		}
	}); err != nil {
		return c.opError("set", nil, err)
	}
	if serr != nil {
		return c.opError("set", nil, serr)
	}
	return nil
}

// WriteBatch queues each message's Buffers, joined, for its Addr (a
// *net.UDPAddr), and returns how many were queued before the first that
// failed, with that failure. flags is ignored.
func (c *Conn) WriteBatch(ms []ipv4.Message, flags int) (int, error) {
	for i := range ms {
		m := &ms[i]
		p := []byte(nil)
		if len(m.Buffers) == 1 {
			p = m.Buffers[0]
		} else {
			for _, b := range m.Buffers {
				p = append(p, b...)
			}
		}
		n, err := c.WriteTo(p, m.Addr)
		if err != nil {
			return i, err
		}
		m.N = n
	}
	return len(ms), nil
}

// sameAddr reports whether a is src.
func sameAddr(a *net.UDPAddr, src netip.AddrPort) bool {
	if a == nil || a.Port != int(src.Port()) {
		return false
	}
	ip, ok := netip.AddrFromSlice(a.IP)
	return ok && ip.Unmap().WithZone(a.Zone) == src.Addr().Unmap()
}

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

// SetReadDeadline sets the deadline for reads: a read waiting at t, or
// started after it, fails with an error for which
// errors.Is(err, os.ErrDeadlineExceeded) holds and Timeout() is true. A
// zero t means no deadline. It may be called while reads wait.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.rd.set(t)
	return nil
}

// SetWriteDeadline sets the deadline for writes, as SetReadDeadline does
// for reads: a write waits only for room in a full send queue.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.wd.set(t)
	return nil
}

// Close wakes every waiting reader with an error matching net.ErrClosed,
// refuses further reads and writes, and shuts the engine down gracefully
// (Engine.Shutdown: writes already queued are sent). Datagrams still
// queued for readers are counted as application drops. A second Close
// returns an error matching net.ErrClosed.
func (c *Conn) Close() error {
	first := false
	c.closeOnce.Do(func() {
		first = true
		close(c.closing)
		c.closeErr = c.e.Shutdown(context.Background())
		<-c.runDone
		c.q.Discard()
	})
	if !first {
		return c.opError("close", nil, net.ErrClosed)
	}
	if c.closeErr != nil {
		return c.opError("close", nil, c.closeErr)
	}
	return nil
}

func (c *Conn) opError(op string, addr net.Addr, err error) error {
	return &net.OpError{Op: op, Net: "udp", Source: c.laddr, Addr: addr, Err: err}
}
