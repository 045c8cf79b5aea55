//go:build unix

package platform

import "syscall"

// msgTrunc is the msg_flags bit recvmsg(2) sets when a datagram was longer
// than the buffer (POSIX; Linux net/ipv4/udp.c udp_recvmsg, the BSDs'
// soreceive_dgram).
const msgTrunc = syscall.MSG_TRUNC

// readTruncated reports whether a read error means "truncated": never on
// unix systems, which return the datagram and set MSG_TRUNC instead.
func readTruncated(error) bool { return false }
