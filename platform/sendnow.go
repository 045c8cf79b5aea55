package platform

import "net/netip"

// DirectSender is implemented by receivers whose socket may be written
// from any goroutine, at once, without the loop: the Linux backend (one
// sendmsg(2)) and the darwin and FreeBSD one (the same). The portable
// backend does not implement it; its sends go through the loop.
//
// SendNow sends p to `to` with one non-blocking system call from the
// caller's goroutine, as a *net.UDPConn write does, without touching the
// loop's send state (Sender's buffers), and allocates nothing. The source
// is the one the kernel chooses. Its error is an *os.SyscallError
// ("sendmsg") wrapping the errno: EAGAIN when the send buffer is full
// (nothing was sent; the caller may queue it for the loop, which waits
// for room), or one of a destination's errors.
//
// SendNow does not guard against a concurrent Close: the caller must
// keep Close from running while a SendNow is in progress (package engine
// holds a read lock that the socket's close and replacement take
// exclusively), or the descriptor number could belong to another file by
// the time the system call runs.
type DirectSender interface {
	SendNow(p []byte, to netip.AddrPort) error
}
