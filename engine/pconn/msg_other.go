//go:build !unix

package pconn

import (
	"errors"
	"fmt"
)

// parseOOB refuses control messages: there are none to pass here.
func parseOOB(oob []byte) (seg int, err error) {
	if len(oob) > 0 {
		return 0, fmt.Errorf("pconn: control messages: %w", errors.ErrUnsupported)
	}
	return 0, nil
}

// setBuffer is not offered here.
func setBuffer(fd uintptr, name string, bytes int) error {
	return fmt.Errorf("pconn: %s: %w", name, errors.ErrUnsupported)
}
