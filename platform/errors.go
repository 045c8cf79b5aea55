package platform

import "errors"

var errReusePortUnbalanced = errors.New("platform: SO_REUSEPORT does not balance load on this system: use one loop")
