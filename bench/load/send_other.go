//go:build !linux

package load

import "net"

// GSOAvailable reports false: UDP GSO is Linux's.
func GSOAvailable() bool { return false }

// dialNative is the portable writer: one net.UDPConn.Write per datagram,
// and no GSO ("GSO needs Linux", wrapping ErrGSOUnsupported).
func dialNative(raddr *net.UDPAddr, cfg SendConfig, flow uint32) (flowWriter, error) {
	return dialPortable(raddr, cfg, flow)
}
