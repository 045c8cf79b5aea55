//go:build !unix

package bench

import (
	"errors"
	"syscall"
)

func reusePortControl(network, address string, c syscall.RawConn) error {
	return errors.New("bench: several sockets on one address need SO_REUSEPORT, which this system lacks")
}
