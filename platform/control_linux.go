package platform

import "net"

// Control calls f with the socket's descriptor under the lock Close takes,
// so f never sees a number Close has released.
func (r *linuxReceiver) Control(f func(fd uintptr)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return net.ErrClosed
	}
	f(uintptr(r.fd))
	return nil
}
