package hoststat

import (
	"os"
	"syscall"
	"time"
)

// ProcessCPU returns the user plus kernel CPU time this process has used so
// far, from GetProcessTimes.
func ProcessCPU() (time.Duration, error) {
	var creation, exit, kernel, user syscall.Filetime
	h, err := syscall.GetCurrentProcess()
	if err != nil {
		return 0, os.NewSyscallError("GetCurrentProcess", err)
	}
	if err := syscall.GetProcessTimes(h, &creation, &exit, &kernel, &user); err != nil {
		return 0, os.NewSyscallError("GetProcessTimes", err)
	}
	// FILETIME counts 100-nanosecond intervals.
	ticks := func(f syscall.Filetime) int64 { return int64(f.HighDateTime)<<32 | int64(f.LowDateTime) }
	return time.Duration((ticks(kernel) + ticks(user)) * 100), nil
}
