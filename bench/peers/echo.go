package peers

import (
	"fmt"
	"sort"
)

// echoServers maps an echo server's name to its constructor. Each answers
// every datagram with its own payload, to its source, and counts what it
// received (RecvCounts.Datagrams) and answered (RecvCounts.Replies,
// RecvCounts.SendDrops). They are the receivers of receiver.go with their
// answering turned on, so that an echo comparison and a receive comparison
// measure the same loops.
var echoServers = map[string]func(RecvConfig) (Receiver, error){
	"udprx":   newUdprxEcho,
	"stdlib":  newStdlibEcho,
	"xnet":    newXnetEcho,
	"gnet":    newGnetEcho,
	"rawmmsg": newRawmmsgEcho,
	// udprx-sockperf speaks sockperf's protocol rather than echoing:
	// not compared, named only for "udpbench echo".
	"udprx-sockperf": newUdprxSockperf,
}

// EchoServerNames lists the echo servers NewEchoServer knows, sorted.
func EchoServerNames() []string {
	names := make([]string, 0, len(echoServers))
	for n := range echoServers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DefaultEchoServers lists the servers EchoCompare compares when none are
// named: every true echo server (not udprx-sockperf).
func DefaultEchoServers() []string {
	var names []string
	for _, n := range EchoServerNames() {
		if n != "udprx-sockperf" {
			names = append(names, n)
		}
	}
	return names
}

// NewEchoServer builds the named echo server, bound and ready to Run:
//
//   - udprx: the engine, answering with Writer.Reply (replies leave in one
//     sendmmsg per batch, from the address each request was sent to);
//   - stdlib: ReadFromUDPAddrPort, then WriteToUDPAddrPort, per datagram;
//   - xnet: golang.org/x/net ReadBatch, then WriteBatch of the batch;
//   - gnet: gnet/v2, Conn.Write in OnTraffic (one sendto per datagram);
//   - rawmmsg (Linux): the plainest recvmmsg + sendmmsg loop, the
//     yardstick for what the engine's machinery costs;
//   - udprx-sockperf: the engine answering as sockperf's server does
//     (only pong requests, client flag cleared: see sockperf.go), so that
//     sockperf's clients can measure it.
//
// RecvConfig.Track is ignored: an echo server does not read the payload.
func NewEchoServer(name string, cfg RecvConfig) (Receiver, error) {
	mk, ok := echoServers[name]
	if !ok {
		return nil, fmt.Errorf("peers: unknown echo server %q: want one of %v", name, EchoServerNames())
	}
	return mk(cfg)
}
