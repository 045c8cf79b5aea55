package platform

// nativeFD returns the socket descriptor of a native Receiver.
func nativeFD(r Receiver) (int, bool) {
	lr, ok := r.(*linuxReceiver)
	if !ok {
		return -1, false
	}
	return lr.fd, true
}
