package load

import (
	"net"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// answerBatch is the most datagrams one recvmmsg of answers takes.
const answerBatch = 64

// mmsgReader reads a flow's answers with recvmmsg(2) on its connected,
// non-blocking socket, waiting in Go's netpoller when none is queued, so
// that a client offering a high rate spends little on reading.
type mmsgReader struct {
	rc   syscall.RawConn
	size int
	buf  []byte
	iovs [answerBatch]unix.Iovec
	hdrs [answerBatch]unix.Mmsghdr
	got  int
	err  syscall.Errno
	// recvFD is r.recv bound once, so RawConn.Read does not allocate.
	recvFD func(fd uintptr) bool
}

// newAnswerReader returns a recvmmsg reader on conn, or a one-at-a-time
// reader if conn gives no raw access.
func newAnswerReader(conn *net.UDPConn, size int) answerReader {
	rc, err := conn.SyscallConn()
	if err != nil {
		return &connReader{conn: conn, buf: make([]byte, MaxSize)}
	}
	r := &mmsgReader{rc: rc, size: size, buf: make([]byte, answerBatch*size)}
	for i := range r.hdrs {
		r.iovs[i].Base = &r.buf[i*size]
		r.iovs[i].SetLen(size)
		r.hdrs[i].Hdr.Iov = &r.iovs[i]
		r.hdrs[i].Hdr.SetIovlen(1)
	}
	r.recvFD = r.recv
	return r
}

// recv is the RawConn.Read callback: one recvmmsg; false on EAGAIN (wait
// in the netpoller, then again).
func (r *mmsgReader) recv(fd uintptr) bool {
	// int recvmmsg(int sockfd, struct mmsghdr *msgvec, unsigned int vlen,
	//              int flags, struct timespec *timeout);
	// unix.Mmsghdr mirrors struct mmsghdr; no names are asked for (the
	// socket is connected). hdrs, iovs and buf belong to r, on the heap.
	n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])),
		answerBatch, unix.MSG_DONTWAIT, 0, 0)
	switch e {
	case 0:
		r.got, r.err = int(n), 0
		return true
	case unix.EAGAIN:
		return false
	case unix.EINTR:
		return r.recv(fd)
	}
	r.got, r.err = 0, e
	return true
}

func (r *mmsgReader) read(fn func(p []byte, now int64)) error {
	if err := r.rc.Read(r.recvFD); err != nil {
		return err
	}
	if r.err != 0 {
		return os.NewSyscallError("recvmmsg", r.err)
	}
	now := time.Now().UnixNano()
	for i := range r.got {
		fn(r.buf[i*r.size:i*r.size+min(int(r.hdrs[i].Len), r.size)], now) // longer: truncated
	}
	return nil
}
