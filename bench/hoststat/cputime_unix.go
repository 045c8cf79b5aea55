//go:build unix

package hoststat

import (
	"os"
	"syscall"
	"time"
)

// ProcessCPU returns the user plus system CPU time this process has used so
// far, from getrusage(RUSAGE_SELF): every thread's, the receiver's and the
// Go runtime's alike (children are not included).
func ProcessCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, os.NewSyscallError("getrusage", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
