package platform

// Isolator is implemented by receivers that can stop their socket from
// matching any further datagram, so that the kernel's counters for it are
// final before it is closed: the Linux backend, for UDP sockets. A socket
// with its intake closed (IntakeCloser) still counts each datagram its
// filter drops, up to the moment it is closed, so a drop count read just
// before Close misses those that arrive in between; after Isolate none
// arrive. Only for a socket about to be closed, and only for one the
// caller opened: it changes the socket for everyone who shares it. Where
// a socket cannot be isolated (a unix socket) it returns an error and
// changes nothing.
type Isolator interface {
	Isolate() error
}
