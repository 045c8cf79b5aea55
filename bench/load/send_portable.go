package load

import (
	"fmt"
	"net"
	"time"

	"github.com/udprx/udprx/bench/wire"
)

// dialPortable opens flow number flow as a connected net.UDPConn written one
// datagram per call: the sender on systems without sendmmsg, built on every
// system so that its tests run on Linux too. It cannot do GSO.
func dialPortable(raddr *net.UDPAddr, cfg SendConfig, flow uint32) (flowWriter, error) {
	if cfg.GSO {
		return nil, fmt.Errorf("%w: GSO needs Linux", ErrGSOUnsupported)
	}
	conn, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		return nil, err
	}
	w := &portableWriter{conn: conn, size: cfg.Size, buf: make([]byte, cfg.Batch*cfg.Size)}
	for i := range cfg.Batch {
		wire.PutHeader(w.buf[i*cfg.Size:(i+1)*cfg.Size], wire.Header{Flow: flow})
	}
	return w, nil
}

// portableWriter sends a flow's datagrams with net.UDPConn.Write, which
// waits in Go's netpoller when the socket buffer is full and allocates
// nothing.
type portableWriter struct {
	conn *net.UDPConn
	size int
	buf  []byte // Batch payloads of size bytes, headers pre-filled
}

func (w *portableWriter) write(seq uint64, n int) (accepted, calls int, err error) {
	for i := range n {
		p := w.buf[i*w.size : (i+1)*w.size]
		if w.size >= wire.HeaderSize {
			wire.PutSeqTime(p, seq+uint64(i), time.Now().UnixNano())
		}
		calls++
		if _, err := w.conn.Write(p); err != nil {
			return i, calls, err
		}
	}
	return n, calls, nil
}

func (w *portableWriter) interrupt() {
	// A deadline in the past wakes a blocked Write.
	_ = w.conn.SetWriteDeadline(time.Unix(1, 0))
}

func (w *portableWriter) localAddr() net.Addr { return w.conn.LocalAddr() }

func (w *portableWriter) udpConn() *net.UDPConn { return w.conn }

func (w *portableWriter) close() error {
	return w.conn.Close()
}
