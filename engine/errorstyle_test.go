package engine

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// TestRunErrorOnePrefix: the errors Run ends with carry the package's
// prefix once, however they were wrapped (restarts run out, a back-off
// streak given up on, a handler that always panics), and are *LoopErrors.
func TestRunErrorOnePrefix(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fake  func() *fakeReceiver
		tweak func(*Config)
	}{
		{"restarts run out", func() *fakeReceiver { return newFake(nil, &step{err: errno(syscall.ENOTCONN)}) },
			func(c *Config) { c.MaxRestarts = 2 }},
		{"back-off streak", func() *fakeReceiver { return newFake(nil, &step{err: errno(syscall.ENOBUFS)}) },
			func(c *Config) { c.MaxRestarts = 2 }},
		{"panics", func() *fakeReceiver { return newFake(nil, &step{n: 1}) }, func(c *Config) {
			c.MaxRestarts = 2
			c.Handler = HandlerFunc(func(*Writer, Batch) { panic(io.ErrUnexpectedEOF) })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(int) *fakeReceiver { return tc.fake() }, tc.tweak)
			err := h.runUntilDone()
			var le *LoopError
			if !errors.As(err, &le) {
				t.Fatalf("Run = %v, want a *LoopError", err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "engine: ") || strings.Count(msg, "engine: ") != 1 {
				t.Errorf("Run = %q, want the prefix \"engine: \" once, at the start", msg)
			}
		})
	}
}

// TestPanicErrorUnwrap: a panic with an error is seen through by
// errors.Is and errors.As; a panic with anything else unwraps to nil.
func TestPanicErrorUnwrap(t *testing.T) {
	wrapped := fmt.Errorf("engine: loop 0: %w", &PanicError{Value: fmt.Errorf("decode: %w", io.ErrUnexpectedEOF)})
	if !errors.Is(wrapped, io.ErrUnexpectedEOF) {
		t.Errorf("%v: does not match the error the handler panicked with", wrapped)
	}
	var rerr runtime.Error
	func() {
		defer func() {
			pe := &PanicError{Value: recover()}
			if !errors.As(pe, &rerr) {
				t.Errorf("%v: errors.As finds no runtime.Error", pe)
			}
		}()
		var m map[string]int
		m["x"]++ // assignment to entry in nil map
	}()
	if err := (&PanicError{Value: "text"}).Unwrap(); err != nil {
		t.Errorf("Unwrap of a string panic = %v, want nil", err)
	}
}

// TestUnsupportedWrapped: a feature this system or backend lacks fails
// with an error matching errors.ErrUnsupported (and ErrConfig, when New
// can tell from the Config).
func TestUnsupportedWrapped(t *testing.T) {
	h := HandlerFunc(func(*Writer, Batch) {})
	cfgs := map[string]Config{
		"IncomingCPU on the portable backend": {Addr: "udp4://127.0.0.1:0", Handler: h, PinCPU: true, IncomingCPU: true, Portable: true},
	}
	if runtime.GOOS != "linux" {
		cfgs["PinCPU off Linux"] = Config{Addr: "udp4://127.0.0.1:0", Handler: h, PinCPU: true}
	}
	for name, cfg := range cfgs {
		e, err := New(cfg)
		if err == nil {
			e.Shutdown(t.Context())
			t.Errorf("%s: New succeeded", name)
			continue
		}
		if !errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want it to match errors.ErrUnsupported and ErrConfig", name, err)
		}
	}
	if err := steerToCPU(newFake(nil, nil), 0); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("steering a socket whose backend cannot: %v, want errors.ErrUnsupported", err)
	}
}
