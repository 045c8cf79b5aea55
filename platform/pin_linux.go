package platform

import (
	"os"

	"golang.org/x/sys/unix"
)

// PinThread binds the calling OS thread to one CPU (sched_setaffinity(2)
// with pid 0: the calling thread only) and returns a function that gives
// the thread back the CPU set it had, to be called before the thread is
// handed back to the Go scheduler. The caller must hold the thread with
// runtime.LockOSThread, or the pin lands on a thread other goroutines use.
func PinThread(cpu int) (restore func() error, err error) {
	var old, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return nil, os.NewSyscallError("sched_getaffinity", err)
	}
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return nil, os.NewSyscallError("sched_setaffinity", err)
	}
	return func() error {
		return os.NewSyscallError("sched_setaffinity", unix.SchedSetaffinity(0, &old))
	}, nil
}
