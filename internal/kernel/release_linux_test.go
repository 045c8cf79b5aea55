package kernel

import "testing"

// TestAtLeast: every kernel this runs on is at least 3.2 (Go's minimum)
// and older than 1000.0.
func TestAtLeast(t *testing.T) {
	if ok, err := AtLeast(3, 2); !ok || err != nil {
		t.Errorf("AtLeast(3, 2) = %v, %v", ok, err)
	}
	if ok, err := AtLeast(1000, 0); ok || err != nil {
		t.Errorf("AtLeast(1000, 0) = %v, %v", ok, err)
	}
}
