//go:build darwin || freebsd

package platform

// adoptState would record what Adopt changes on an adopted socket; on
// the BSDs it records nothing yet: O_NONBLOCK and SO_RCVBUF stay as Adopt
// set them (docs/operations.md).
type adoptState struct{}

func saveAdopted(fd int, inet bool, opts Options) *adoptState { return nil }
