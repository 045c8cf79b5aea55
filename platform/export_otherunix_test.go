//go:build unix && !aix && !linux && !darwin && !freebsd

package platform

// nativeFD reports false: there is no native backend here.
func nativeFD(Receiver) (int, bool) { return -1, false }
