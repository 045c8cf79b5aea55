//go:build !linux

package load

import "net"

// newAnswerReader reads one datagram per call: recvmmsg is Linux's.
func newAnswerReader(conn *net.UDPConn, size int) answerReader {
	return &connReader{conn: conn, buf: make([]byte, max(size, MaxSize))}
}
