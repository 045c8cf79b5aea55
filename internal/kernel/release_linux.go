package kernel

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// AtLeast reports whether the running kernel's release (uname -r) is
// major.minor or later.
func AtLeast(major, minor int) (bool, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return false, err
	}
	release := unix.ByteSliceToString(u.Release[:])
	var ma, mi int
	if _, err := fmt.Sscanf(release, "%d.%d", &ma, &mi); err != nil {
		return false, fmt.Errorf("kernel release %q: %w", release, err)
	}
	return ma > major || ma == major && mi >= minor, nil
}
