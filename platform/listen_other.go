//go:build !linux && !darwin && !freebsd

package platform

// Listen opens a datagram socket bound to address ("host:port") on network
// ("udp", "udp4" or "udp6"). On this system the portable backend is the
// only one, so Options.Portable changes nothing; ReusePort is refused (see
// ReusePortBalances).
func Listen(network, address string, opts Options) (Receiver, error) {
	return listenPortable(network, address, opts)
}
