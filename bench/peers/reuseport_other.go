//go:build !unix

package peers

import (
	"errors"
	"syscall"
)

func reusePortControl(network, address string, c syscall.RawConn) error {
	return errors.New("peers: several sockets on one address need SO_REUSEPORT, which this system lacks")
}
