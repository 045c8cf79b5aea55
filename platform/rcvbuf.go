package platform

// recvBufferStep is the precision of setLargestRecvBuffer's search.
const recvBufferStep = 4096

// setLargestRecvBuffer finds, by bisection, about the largest size in
// [ok, refused) that set accepts, and leaves it set. ok is a size known to
// be accepted (the current one), refused one that set refused with
// tooLarge. Any other error from set ends the search and is returned.
//
// It serves the BSDs' setRecvBuffer (socket_bsd.go); it is plain Go, built
// everywhere, so its tests run on every system.
func setLargestRecvBuffer(ok, refused int, set func(int) error, tooLarge error) error {
	if ok >= refused {
		return tooLarge
	}
	for refused-ok > recvBufferStep {
		mid := ok + (refused-ok)/2
		switch err := set(mid); err {
		case nil:
			ok = mid
		case tooLarge:
			refused = mid
		default:
			return err
		}
	}
	return set(ok)
}
