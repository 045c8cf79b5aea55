//go:build unix

package pconn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// udpSegment is UDP_SEGMENT (linux/udp.h), which x/sys/unix defines only
// for Linux; TestUDPSegmentConstant checks it there.
const udpSegment = 103

// parseOOB reads the control messages of a write: the segment size of a
// UDP_SEGMENT message (Linux), 0 without one. IP_TOS and IPV6_TCLASS are
// passed over; anything else is refused, naming it.
func parseOOB(oob []byte) (seg int, err error) {
	for len(oob) > 0 {
		h, body, rest, err := unix.ParseOneSocketControlMessage(oob)
		if err != nil {
			return 0, fmt.Errorf("pconn: control messages: %w", err)
		}
		switch {
		case h.Level == unix.IPPROTO_UDP && h.Type == udpSegment && runtime.GOOS == "linux" && len(body) >= 2:
			seg = int(binary.NativeEndian.Uint16(body))
		case h.Level == unix.IPPROTO_IP && h.Type == unix.IP_TOS,
			h.Level == unix.IPPROTO_IPV6 && h.Type == unix.IPV6_TCLASS:
			// ECN marks: not applied (see Conn).
		default:
			return 0, fmt.Errorf("pconn: control message level %d type %d: %w", h.Level, h.Type, errors.ErrUnsupported)
		}
		oob = rest
	}
	return seg, nil
}

// setBuffer sets SO_RCVBUF or SO_SNDBUF on fd.
func setBuffer(fd uintptr, name string, bytes int) error {
	opt := unix.SO_RCVBUF
	if name == "SO_SNDBUF" {
		opt = unix.SO_SNDBUF
	}
	return os.NewSyscallError("setsockopt "+name, unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, opt, bytes))
}
