//go:build !linux && !darwin && !freebsd

package platform

// Listen opens a datagram socket bound to address ("host:port") on network
// ("udp", "udp4" or "udp6"), or on network "unixgram" a unix datagram
// socket bound to a path where the system has them (see listenUnixgram;
// not on Windows, whose AF_UNIX has no datagrams). On this system the
// portable backend is the only one, so Options.Portable changes nothing;
// ReusePort is refused (see ReusePortBalances).
func Listen(network, address string, opts Options) (Receiver, error) {
	if network == "unixgram" {
		return listenUnixgram(address, opts)
	}
	return listenPortable(network, address, opts)
}
