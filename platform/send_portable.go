package platform

import (
	"net"
	"os"
	"syscall"
	"time"

	"github.com/udprx/udprx/batch"
)

// sendTimeout bounds one blocking write of the portable backend, which
// package net makes wait for room in the send buffer in its own poller.
const sendTimeout = 100 * time.Millisecond

// Send writes each message with WriteMsgUDPAddrPort (no allocation). The
// socket is a package net one, so a write waits for room in the send
// buffer itself, up to sendTimeout; a write that times out fails with
// package net's deadline error, which the send policy takes as a full
// buffer, as EAGAIN from a native backend. Sources are not pinned and nothing
// is segmented. A unixgram socket cannot address a netip.AddrPort: its
// messages fail with EDESTADDRREQ.
func (r *portableReceiver) Send(msgs []batch.Message) (sent, failed int, err error) {
	c, ok := r.conn.(*net.UDPConn)
	if !ok {
		if len(msgs) == 0 {
			return 0, 0, nil
		}
		return 0, 1, os.NewSyscallError("sendmsg", syscall.EDESTADDRREQ)
	}
	if len(msgs) == 0 {
		return 0, 0, nil
	}
	c.SetWriteDeadline(time.Now().Add(sendTimeout))
	for i := range msgs {
		m := &msgs[i]
		if _, _, err := c.WriteMsgUDPAddrPort(m.Payload, nil, m.To); err != nil {
			return i, 1, err
		}
	}
	return len(msgs), 0, nil
}

// WaitWritable reports true at once: Send waits for room itself.
func (r *portableReceiver) WaitWritable(time.Duration) (bool, error) { return true, nil }

// DisableGSO does nothing: the portable backend does not segment.
func (r *portableReceiver) DisableGSO() {}
