//go:build !mips && !mipsle && !mips64 && !mips64le

package errpolicy

import (
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestLinuxNamesMatchHost checks at run time what table_check_linux.go checks
// at compile time, from the other side: x/sys/unix's name for each number is
// the row's name, or its alias for the same number, in the receive and the
// send rows.
func TestLinuxNamesMatchHost(t *testing.T) {
	aliases := map[string]string{"EOPNOTSUPP": "ENOTSUP", "EAGAIN": "EWOULDBLOCK"}
	for _, r := range Linux.Rows() {
		if r.Errno >= linuxKernelInternalMin {
			continue
		}
		if got := unix.ErrnoName(syscall.Errno(r.Errno)); got != r.Name && got != aliases[r.Name] {
			t.Errorf("errno %d: x/sys/unix calls it %q, the table %q", r.Errno, got, r.Name)
		}
	}
	for _, r := range Linux.SendRows() {
		if got := unix.ErrnoName(syscall.Errno(r.Errno)); got != r.Name && got != aliases[r.Name] {
			t.Errorf("send errno %d: x/sys/unix calls it %q, the table %q", r.Errno, got, r.Name)
		}
	}
}
