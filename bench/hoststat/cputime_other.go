//go:build !unix && !windows

package hoststat

import (
	"errors"
	"fmt"
	"time"
)

// ProcessCPU is not available: a trial's CPU is then reported as 0.
func ProcessCPU() (time.Duration, error) {
	return 0, fmt.Errorf("hoststat: process CPU time: %w", errors.ErrUnsupported)
}
