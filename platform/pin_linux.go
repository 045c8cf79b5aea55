package platform

import (
	"os"

	"golang.org/x/sys/unix"
)

// PinThread binds the calling OS thread to one CPU (sched_setaffinity(2)
// with pid 0: the calling thread only): the i-th, counting from 0 and
// modulo their number, of the CPUs the thread may run on now, so that a
// process started under taskset(1) or in a cpuset pins within it. It
// returns that CPU's number, and a function that gives the thread back
// the CPU set it had, to be called before the thread is handed back to
// the Go scheduler. The caller must hold the thread with
// runtime.LockOSThread, or the pin lands on a thread other goroutines use.
func PinThread(i int) (cpu int, restore func() error, err error) {
	var old, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return 0, nil, os.NewSyscallError("sched_getaffinity", err)
	}
	cpu = nthCPU(&old, i)
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return 0, nil, os.NewSyscallError("sched_setaffinity", err)
	}
	return cpu, func() error {
		return os.NewSyscallError("sched_setaffinity", unix.SchedSetaffinity(0, &old))
	}, nil
}

// nthCPU returns the i-th CPU, modulo their number, of set (never empty:
// the kernel refuses an empty affinity mask).
func nthCPU(set *unix.CPUSet, i int) int {
	n := set.Count()
	if n == 0 {
		return 0
	}
	i %= n
	for cpu := 0; ; cpu++ {
		if set.IsSet(cpu) {
			if i == 0 {
				return cpu
			}
			i--
		}
	}
}
