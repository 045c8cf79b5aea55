package platform

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestPinThread: PinThread(i) pins the thread to the i-th of the CPUs it
// may run on, and restore gives it all of them back. Under a narrower
// mask (as taskset -c 1 gives a whole process) index 0 is the first CPU
// of that mask, not CPU 0 of the machine.
func TestPinThread(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var before unix.CPUSet
	if err := unix.SchedGetaffinity(0, &before); err != nil {
		t.Fatal(err)
	}
	var allowed []int
	for cpu := 0; len(allowed) < before.Count(); cpu++ {
		if before.IsSet(cpu) {
			allowed = append(allowed, cpu)
		}
	}
	for i := range len(allowed) + 1 {
		cpu, restore, err := PinThread(i)
		if err != nil {
			t.Fatal(err)
		}
		want := allowed[i%len(allowed)]
		var pinned unix.CPUSet
		unix.SchedGetaffinity(0, &pinned)
		if cpu != want || pinned.Count() != 1 || !pinned.IsSet(want) {
			t.Errorf("PinThread(%d) = CPU %d, the thread may run on %d CPUs (CPU %d: %v); want CPU %d alone", i, cpu, pinned.Count(), want, pinned.IsSet(want), want)
		}
		if err := restore(); err != nil {
			t.Fatal(err)
		}
		var after unix.CPUSet
		unix.SchedGetaffinity(0, &after)
		if after != before {
			t.Errorf("restore left the thread on %d CPUs, it had %d", after.Count(), before.Count())
		}
	}

	last := allowed[len(allowed)-1]
	var narrow unix.CPUSet
	narrow.Set(last)
	if err := unix.SchedSetaffinity(0, &narrow); err != nil {
		t.Fatal(err)
	}
	defer unix.SchedSetaffinity(0, &before)
	cpu, restore, err := PinThread(0)
	if err != nil {
		t.Fatal(err)
	}
	if cpu != last {
		t.Errorf("on a thread allowed only CPU %d, PinThread(0) = CPU %d", last, cpu)
	}
	if err := restore(); err != nil {
		t.Fatal(err)
	}
}
