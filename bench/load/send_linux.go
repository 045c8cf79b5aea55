package load

import (
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/udprx/udprx/bench/wire"
	"golang.org/x/sys/unix"
)

// maxGSOSegments is GSOSegments, under the name this file has always used.
const maxGSOSegments = GSOSegments

// sendBuffer is the SO_SNDBUF asked for on every flow's socket (the kernel
// caps it at net.core.wmem_max): room for several batches of GSO
// super-packets, so a flow rarely waits for buffer space.
const sendBuffer = 4 << 20

// GSOAvailable reports whether Send can use UDP GSO here: whether this
// kernel has UDP_SEGMENT (4.18 on).
func GSOAvailable() bool { return gsoSupport() == nil }

// gsoSupport probes once per process whether this kernel has UDP_SEGMENT,
// by setting it on a throwaway socket. nil means supported.
var gsoSupport = sync.OnceValue(func() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("probing UDP GSO: %w", os.NewSyscallError("socket", err))
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.SOL_UDP, unix.UDP_SEGMENT, DefaultSize); err != nil {
		// ENOPROTOOPT: a kernel before 4.18.
		return fmt.Errorf("%w: setsockopt UDP_SEGMENT: %w", ErrGSOUnsupported, os.NewSyscallError("setsockopt", err))
	}
	return nil
})

// dialNative opens flow number flow as a connected UDP socket sending with
// sendmmsg, with UDP_SEGMENT set to cfg.Size if cfg.GSO.
func dialNative(raddr *net.UDPAddr, cfg SendConfig, flow uint32) (flowWriter, error) {
	if cfg.GSO {
		if err := gsoSupport(); err != nil {
			return nil, err
		}
	}
	conn, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		return nil, err
	}
	w, err := newMmsgWriter(conn, cfg, flow)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return w, nil
}

// mmsgWriter sends a flow's datagrams with sendmmsg on a connected,
// non-blocking socket, waiting in Go's netpoller when the socket buffer is
// full. Its batch memory is built once: a payload buffer of Batch × Size
// bytes and, over it, one iovec and one mmsghdr per message, where a message
// is one datagram, or with GSO one super-packet of up to segs consecutive
// datagrams. A write only sets iovec lengths and header fields.
type mmsgWriter struct {
	conn *net.UDPConn
	rc   syscall.RawConn
	size int  // payload bytes per datagram
	segs int  // datagrams per message: 1, or the GSO segment count
	gso  bool // UDP_SEGMENT is set
	buf  []byte
	iovs []unix.Iovec
	msgs []unix.Mmsghdr

	// The current write, for sendFD.
	seq   uint64 // sequence number of the write's first datagram
	n     int    // datagrams in the write
	nmsg  int    // messages in the write
	next  int    // first message not yet accepted
	calls int
	errno syscall.Errno

	// sendFD is w.send bound once, so that passing it to RawConn.Write
	// does not allocate.
	sendFD func(fd uintptr) bool
}

// newMmsgWriter builds the writer of flow number flow on conn, which it
// takes over. It sets the socket's send buffer and, if cfg.GSO, UDP_SEGMENT.
func newMmsgWriter(conn *net.UDPConn, cfg SendConfig, flow uint32) (*mmsgWriter, error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	// Best effort: a smaller buffer only means more waiting.
	_ = conn.SetWriteBuffer(sendBuffer)
	w := &mmsgWriter{conn: conn, rc: rc, size: cfg.Size, segs: 1, gso: cfg.GSO}
	if cfg.GSO {
		w.segs = min(maxGSOSegments, MaxSize/cfg.Size, cfg.Batch)
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_UDP, unix.UDP_SEGMENT, cfg.Size)
		})
		if err == nil && serr != nil {
			err = fmt.Errorf("%w: %w", ErrGSOUnsupported, os.NewSyscallError("setsockopt UDP_SEGMENT", serr))
		}
		if err != nil {
			return nil, err
		}
	}
	w.buf = make([]byte, cfg.Batch*cfg.Size)
	for i := range cfg.Batch {
		wire.PutHeader(w.buf[i*cfg.Size:(i+1)*cfg.Size], wire.Header{Flow: flow})
	}
	nmsg := (cfg.Batch + w.segs - 1) / w.segs
	w.iovs = make([]unix.Iovec, nmsg)
	w.msgs = make([]unix.Mmsghdr, nmsg)
	for j := range nmsg {
		w.iovs[j].Base = &w.buf[j*w.segs*cfg.Size]
		w.iovs[j].SetLen(w.segs * cfg.Size)
		w.msgs[j].Hdr.Iov = &w.iovs[j]
		w.msgs[j].Hdr.SetIovlen(1)
	}
	w.sendFD = w.send
	return w, nil
}

func (w *mmsgWriter) write(seq uint64, n int) (accepted, calls int, err error) {
	w.seq, w.n, w.next, w.calls, w.errno = seq, n, 0, 0, 0
	w.nmsg = (n + w.segs - 1) / w.segs
	for j := range w.nmsg {
		w.iovs[j].SetLen(min(w.segs, n-j*w.segs) * w.size)
	}
	werr := w.rc.Write(w.sendFD)
	accepted = min(w.next*w.segs, n)
	switch {
	case werr != nil:
		err = werr
	case w.errno != 0:
		err = os.NewSyscallError("sendmmsg", w.errno)
		if w.gso && (w.errno == unix.EINVAL || w.errno == unix.EIO) {
			// EINVAL: a segment larger than the path MTU allows; EIO:
			// no checksum offload on the route (udp_send_skb in
			// net/ipv4/udp.c).
			err = fmt.Errorf("GSO send of %d-byte segments refused (segments must fit the MTU and the device must offload checksums): %w", w.size, err)
		}
	}
	return accepted, w.calls, err
}

// send is the RawConn.Write callback: it calls sendmmsg until every message
// of the write is accepted (true), the socket buffer is full (false: wait
// for room, then be called again), or the kernel reports an error (true,
// with w.errno set). Partial sends are resumed from the first message the
// kernel did not take, with fresh timestamps.
func (w *mmsgWriter) send(fd uintptr) bool {
	for w.next < w.nmsg {
		if w.size >= wire.HeaderSize {
			now := time.Now().UnixNano()
			for i := w.next * w.segs; i < w.n; i++ {
				wire.PutSeqTime(w.buf[i*w.size:], w.seq+uint64(i), now)
			}
		}
		// int sendmmsg(int sockfd, struct mmsghdr *msgvec, unsigned int vlen, int flags);
		// struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; };
		// unix.Mmsghdr mirrors it; x/sys/unix has no wrapper. msgs,
		// iovs and buf are heap memory held by w, which Go's collector
		// does not move. The kernel (__sys_sendmmsg, net/socket.c)
		// returns how many messages it took, and an error only if it
		// took none: an error on a later message is dropped, and the
		// next call meets it again (or not, if it was one-shot).
		r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd,
			uintptr(unsafe.Pointer(&w.msgs[w.next])), uintptr(w.nmsg-w.next), 0, 0, 0)
		w.calls++
		switch e {
		case 0:
			w.next += int(r)
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			w.errno = e
			return true
		}
	}
	return true
}

func (w *mmsgWriter) interrupt() {
	// A deadline in the past wakes a write waiting in the netpoller.
	_ = w.conn.SetWriteDeadline(time.Unix(1, 0))
}

func (w *mmsgWriter) localAddr() net.Addr { return w.conn.LocalAddr() }

func (w *mmsgWriter) udpConn() *net.UDPConn { return w.conn }

func (w *mmsgWriter) close() error {
	return w.conn.Close()
}
