package platform

import (
	"errors"
	"time"

	"github.com/udprx/udprx/batch"
)

// Sender is the send half of a Receiver's socket: every Receiver that
// Listen and Adopt return implements it. Its methods belong to the loop's
// goroutine, as Read does.
type Sender interface {
	// Send sends msgs in order with as few system calls as it can
	// (Linux: sendmmsg(2), and with GSO on, a run of messages to one
	// destination as one segmented send). It returns how many messages
	// were sent. When it stops short, err is why msgs[sent] could not be
	// sent (an *os.SyscallError), and failed is how many messages that
	// one send carried: more than 1 only for a segmented send, and then
	// err also wraps ErrSegmented. Nothing after those was tried.
	//
	// A message's From is used only on a socket bound to a wildcard
	// address (Info.PinsSource); elsewhere the socket's own address is
	// the source (on darwin, sending one would rebind the socket).
	Send(msgs []batch.Message) (sent, failed int, err error)
	// WaitWritable blocks until the socket's send buffer has room, Wake
	// is called, or d has passed, and reports whether the socket became
	// writable. A Wake is left for the next Wait to report.
	WaitWritable(d time.Duration) (bool, error)
	// DisableGSO stops segmented sends on this socket (Info.GSO turns
	// false): the kernel refused one (EIO from a device without checksum
	// offload, EINVAL from a segment size the route cannot carry).
	DisableGSO()
}

// ErrSegmented is wrapped by Send's error when the send that failed was a
// segmented one (UDP GSO) carrying several messages: the caller may
// DisableGSO and send the same messages again, one by one.
var ErrSegmented = errors.New("segmented (GSO) send")

// maxGSOSegments is the most messages one segmented send carries:
// UDP_MAX_SEGMENTS, 64 before Linux 6.9 and 128 after
// (include/linux/udp.h); 64 is safe on both.
const maxGSOSegments = 64

// maxGSOBytes bounds a segmented send's payload: the largest UDP payload
// over IPv4 (65535 less 20 bytes of IP and 8 of UDP header). The kernel
// refuses larger with EMSGSIZE.
const maxGSOBytes = 65507
