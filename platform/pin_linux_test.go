package platform

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

func TestPinThread(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var before unix.CPUSet
	if err := unix.SchedGetaffinity(0, &before); err != nil {
		t.Fatal(err)
	}
	restore, err := PinThread(0)
	if err != nil {
		t.Fatal(err)
	}
	var pinned unix.CPUSet
	unix.SchedGetaffinity(0, &pinned)
	if pinned.Count() != 1 || !pinned.IsSet(0) {
		t.Errorf("after PinThread(0) the thread may run on %d CPUs (cpu0 %v)", pinned.Count(), pinned.IsSet(0))
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
