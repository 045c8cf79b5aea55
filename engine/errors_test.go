package engine

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/udprx/udprx/platform"
)

// TestPlatformErrorMatchesBoth: an error of package platform handed to the
// caller matches the engine's sentinel and still the platform's and the
// errno, with its text unchanged; other errors pass through as they are.
func TestPlatformErrorMatchesBoth(t *testing.T) {
	for _, s := range platformSentinels {
		cause := fmt.Errorf("bind /run/x.sock: %w: %w", s.platform, os.NewSyscallError("bind", syscall.EADDRINUSE))
		err := fmt.Errorf("engine: listen: %w", platformError(cause))
		if !errors.Is(err, s.engine) || !errors.Is(err, s.platform) || !errors.Is(err, syscall.EADDRINUSE) {
			t.Errorf("%v: does not match %v, %v and EADDRINUSE", err, s.engine, s.platform)
		}
		if got, want := err.Error(), "engine: listen: "+cause.Error(); got != want {
			t.Errorf("text %q, want %q", got, want)
		}
		for _, other := range platformSentinels {
			if other.engine != s.engine && errors.Is(err, other.engine) {
				t.Errorf("%v matches %v too", err, other.engine)
			}
		}
	}
	plain := os.NewSyscallError("recvmmsg", syscall.ENOTCONN)
	if got := platformError(plain); got != error(plain) {
		t.Errorf("platformError(%v) = %#v, want it unchanged", plain, got)
	}
	if platformError(nil) != nil {
		t.Error("platformError(nil) is not nil")
	}
	if errors.Is(platform.ErrAddrInUse, ErrAddrInUse) {
		t.Error("the engine's sentinel is the platform's: nothing would tell them apart")
	}
}
