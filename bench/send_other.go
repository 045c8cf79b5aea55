//go:build !linux

package bench

import "net"

// dialNative is the portable writer: one net.UDPConn.Write per datagram,
// and no GSO ("GSO needs Linux", wrapping ErrGSOUnsupported).
func dialNative(raddr *net.UDPAddr, cfg SendConfig, flow uint32) (flowWriter, error) {
	return dialPortable(raddr, cfg, flow)
}
