//go:build !unix && !windows

package bench

import (
	"errors"
	"fmt"
	"time"
)

// processCPU is not available: a trial's CPU is then reported as 0.
func processCPU() (time.Duration, error) {
	return 0, fmt.Errorf("bench: process CPU time: %w", errors.ErrUnsupported)
}
