//go:build !linux

package platform

import "errors"

// setReusePortGroup fails: only Linux lets a program choose among the
// sockets of an SO_REUSEPORT group (SO_ATTACH_REUSEPORT_CBPF); FreeBSD's
// SO_REUSEPORT_LB has no such hook.
func setReusePortGroup(fd, n int) error {
	return errors.New("no SO_ATTACH_REUSEPORT_CBPF on this system")
}
