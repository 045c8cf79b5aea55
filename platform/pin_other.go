//go:build !linux

package platform

import (
	"errors"
	"runtime"
)

// PinThread is not supported here: darwin has only affinity hints, and
// the other systems' calls are left for when someone needs them.
func PinThread(cpu int) (restore func() error, err error) {
	return nil, errors.New("platform: pinning a thread to a CPU is not supported on " + runtime.GOOS)
}
