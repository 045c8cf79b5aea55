//go:build !linux

package platform

import "time"

// Nap reports false and does not sleep: a precise short nap is
// implemented on Linux only (nap_linux.go); callers wait some other way,
// or not at all.
func Nap(d time.Duration) bool { return false }
