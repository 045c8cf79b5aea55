package platform

import (
	"errors"

	"golang.org/x/sys/windows"
)

// msgTrunc is zero: Windows reports truncation as an error, not a flag.
const msgTrunc = 0

// readTruncated reports whether a read failed only because the datagram was
// longer than the buffer: WSARecvMsg fails with WSAEMSGSIZE (10040) having
// filled the buffer with the datagram's start (Winsock's WSARecvMsg and
// WSARecvFrom documentation).
func readTruncated(err error) bool { return errors.Is(err, windows.WSAEMSGSIZE) }
