// Package kernel tells tests which Linux kernel they run on, for features
// that arrived in a known release (a test that needs one skips, saying
// which, on an older kernel).
//
//	if ok, _ := kernel.AtLeast(6, 2); !ok {
//		t.Skip("needs Linux 6.2")
//	}
package kernel
