//go:build !linux

package platform

import (
	"errors"
	"fmt"
	"runtime"
)

// PinThread is not supported here: darwin has only affinity hints, and
// the other systems' calls are left for when someone needs them.
func PinThread(i int) (cpu int, restore func() error, err error) {
	return 0, nil, fmt.Errorf("platform: pinning a thread to a CPU on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
