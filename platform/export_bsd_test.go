//go:build darwin || freebsd

package platform

// nativeFD returns the socket descriptor of a native Receiver.
func nativeFD(r Receiver) (int, bool) {
	kr, ok := r.(*kqueueReceiver)
	if !ok {
		return -1, false
	}
	return kr.fd, true
}
