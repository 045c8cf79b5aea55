package pconn

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestUDPSegmentConstant checks the UDP_SEGMENT that parseOOB reads,
// written out because x/sys/unix defines it only for Linux.
func TestUDPSegmentConstant(t *testing.T) {
	if udpSegment != unix.UDP_SEGMENT {
		t.Errorf("udpSegment %d, unix.UDP_SEGMENT %d", udpSegment, unix.UDP_SEGMENT)
	}
}
