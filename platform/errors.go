package platform

import (
	"errors"
	"fmt"
)

var errReusePortUnbalanced = fmt.Errorf("platform: SO_REUSEPORT does not balance load on this system: use one loop: %w", errors.ErrUnsupported)
