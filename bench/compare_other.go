//go:build !linux

package bench

import (
	"errors"
	"fmt"
	"os/exec"
)

// pinSupported reports whether TrialSetup.Pin can be honoured: not here
// (no sched_setaffinity).
const pinSupported = false

// pinning is never made here.
type pinning struct{}

func startPinning() (*pinning, error) {
	return nil, fmt.Errorf("bench: pin: %w", errors.ErrUnsupported)
}

func (p *pinning) cpus() (sender, receiver int) { return 0, 0 }
func (p *pinning) start(cmd *exec.Cmd) error    { return cmd.Start() }
func (p *pinning) restore() error               { return nil }
