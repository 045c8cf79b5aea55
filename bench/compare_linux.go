package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// pinSupported reports whether TrialSetup.Pin can be honoured.
const pinSupported = true

// pinning is a pinned run's CPU sets: the sender child on one CPU, every
// thread of this process (the receiver's) on another, and the affinity to
// restore at the end.
type pinning struct {
	orig, sender, receiver unix.CPUSet
}

// startPinning moves every thread of this process to the second CPU this
// process may run on, and keeps the first for the sender.
//
// Linux has no process-wide affinity: sched_setaffinity acts on one thread,
// and a new thread inherits its creator's. So every thread listed in
// /proc/self/task is moved (again, until a pass finds no thread it has not
// seen, as the Go runtime may start threads meanwhile); threads started
// later inherit the receiver's CPU from their creator.
func startPinning() (*pinning, error) {
	p := &pinning{}
	if err := unix.SchedGetaffinity(0, &p.orig); err != nil {
		return nil, fmt.Errorf("bench: pin: %w", os.NewSyscallError("sched_getaffinity", err))
	}
	var cpus []int
	for i := 0; i < len(p.orig)*64 && len(cpus) < 2; i++ {
		if p.orig.IsSet(i) {
			cpus = append(cpus, i)
		}
	}
	if len(cpus) < 2 {
		return nil, fmt.Errorf("bench: pin: this process may run on %d CPU, pinning needs 2", len(cpus))
	}
	p.sender.Set(cpus[0])
	p.receiver.Set(cpus[1])
	if err := setThreadsAffinity(&p.receiver); err != nil {
		p.restore()
		return nil, err
	}
	return p, nil
}

// cpus returns the sender's and the receiver's CPU, for reports.
func (p *pinning) cpus() (sender, receiver int) {
	for i := 0; i < len(p.orig)*64; i++ {
		if p.sender.IsSet(i) {
			sender = i
		}
		if p.receiver.IsSet(i) {
			receiver = i
		}
	}
	return sender, receiver
}

// start starts cmd on the sender's CPU. A child inherits the affinity of the
// thread that forks it, and the Go runtime forks from the calling
// goroutine's thread: so that thread is locked, moved to the sender's CPU
// for the fork, and moved back. Setting the child's affinity after the
// fork instead would miss the threads its runtime starts first.
func (p *pinning) start(cmd *exec.Cmd) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.SchedSetaffinity(0, &p.sender); err != nil {
		return fmt.Errorf("bench: pin the sender: %w", os.NewSyscallError("sched_setaffinity", err))
	}
	err := cmd.Start()
	if rerr := unix.SchedSetaffinity(0, &p.receiver); rerr != nil && err == nil {
		err = fmt.Errorf("bench: pin: %w", os.NewSyscallError("sched_setaffinity", rerr))
	}
	// A thread the runtime started from this one meanwhile would have
	// inherited the sender's CPU.
	if serr := setThreadsAffinity(&p.receiver); serr != nil && err == nil {
		err = serr
	}
	return err
}

// restore gives every thread the affinity the process had before.
func (p *pinning) restore() error { return setThreadsAffinity(&p.orig) }

// setThreadsAffinity sets the affinity of every thread of this process.
func setThreadsAffinity(set *unix.CPUSet) error {
	done := map[int]bool{}
	for {
		ents, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return fmt.Errorf("bench: pin: %w", err)
		}
		fresh := false
		for _, e := range ents {
			tid, err := strconv.Atoi(e.Name())
			if err != nil || done[tid] {
				continue
			}
			fresh = true
			done[tid] = true
			if err := unix.SchedSetaffinity(tid, set); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("bench: pin thread %d: %w", tid, os.NewSyscallError("sched_setaffinity", err))
			}
		}
		if !fresh {
			return nil
		}
	}
}
