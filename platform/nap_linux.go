package platform

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Nap sleeps the calling thread for d, precisely, and reports true: a raw
// nanosleep(2), which keeps the goroutine's P (no other goroutine runs on
// it meanwhile, and sysmon is not woken to take it), for naps of tens of
// microseconds that Go's timers cannot give (on an idle process they sleep
// at least a millisecond: the runtime's poller waits in whole
// milliseconds). Only for short naps: a long one would hold the P as long.
func Nap(d time.Duration) bool {
	// struct timespec; an EINTR (a signal) ends the nap early, which is
	// harmless: the caller reads sooner.
	ts := unix.NsecToTimespec(d.Nanoseconds())
	unix.RawSyscall(unix.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0)
	return true
}
