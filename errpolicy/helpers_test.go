package errpolicy

import (
	"net"
	"os"
	"syscall"
)

// readErrno builds the chain the platform and engine layers produce for a
// failed read (the internal tests' copy of classify_test.go's readErr).
func readErrno(errno uintptr) error {
	return &net.OpError{Op: "read", Net: "udp", Err: &os.SyscallError{Syscall: "recvmmsg", Err: syscall.Errno(errno)}}
}
