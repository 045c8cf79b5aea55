package engine

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/udprx/udprx/platform"
)

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count fds: %v", err)
	}
	return len(ents)
}

// TestCancelStopsPromptly cancels Run's context and checks every loop is
// gone within 100 ms, woken through its poller, with no goroutine or file
// descriptor left behind.
func TestCancelStopsPromptly(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			fds := openFDs(t)
			started, waitStarted := loopStarts(t)
			e, err := New(Config{Addr: "udp://127.0.0.1:0", Loops: 2, Portable: be.portable,
				Handler: HandlerFunc(func(*Writer, Batch) {}), started: started})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- e.Run(ctx) }()
			waitStarted(2)
			start := time.Now()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return 5s after cancel")
			}
			if d := time.Since(start); d > 100*time.Millisecond {
				t.Errorf("Run took %v to return after cancel, want under 100ms", d)
			}
			if got := openFDs(t); got != fds {
				t.Errorf("%d fds open after Run returned, %d before New", got, fds)
			}
		})
	}
}

// loopStarts returns a Config seam that reports each loop's start, and a
// function that waits, bounded, for n starts.
func loopStarts(t *testing.T) (func(int), func(n int)) {
	ch := make(chan int, 64)
	return func(i int) { ch <- i }, func(n int) {
		t.Helper()
		for range n {
			select {
			case <-ch:
			case <-time.After(5 * time.Second):
				t.Fatalf("fewer than %d loops started within 5s", n)
			}
		}
	}
}

func TestShutdownBeforeRun(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	fds := openFDs(t)
	e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 1, Handler: HandlerFunc(func(*Writer, Batch) {})})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := e.Shutdown(ctx); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	if err := e.Run(ctx); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Run after Shutdown = %v, want an error matching net.ErrClosed", err)
	}
	if got := openFDs(t); got != fds {
		t.Errorf("%d fds open after Shutdown, %d before New", got, fds)
	}
}

func TestConcurrentShutdown(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	started, waitStarted := loopStarts(t)
	e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 2, Handler: HandlerFunc(func(*Writer, Batch) {}), started: started})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- e.Run(ctx) }()
	waitStarted(2)
	errs := make(chan error, 4)
	for range 4 {
		go func() { errs <- e.Shutdown(ctx) }()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	}
	if running := e.life.running.Load(); running != 0 {
		t.Errorf("%d loops still running after Shutdown returned", running)
	}
	if err := <-ran; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	h := HandlerFunc(func(*Writer, Batch) {})
	var nilUDP *net.UDPConn
	var nilFile *os.File
	// Past what SO_RCVBUF (a C int) takes: 2^32 was cut to 0 and the kernel
	// granted its minimum. Computed at run time so that 32-bit builds,
	// where it wraps negative, compile and still test a refusal.
	tooBig, shift := platform.MaxRecvBuffer, 1
	tooBig++
	huge := 1 << (31 + shift)
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no handler", Config{Addr: "udp://:0"}, "Config.Handler is nil"},
		{"no scheme", Config{Addr: "127.0.0.1:0", Handler: h}, `Config.Addr "127.0.0.1:0"`},
		{"bad scheme", Config{Addr: "tcp://127.0.0.1:0", Handler: h}, `unknown scheme "tcp"`},
		{"no host", Config{Addr: "udp://", Handler: h}, "no host:port"},
		{"negative loops", Config{Addr: "udp://:0", Handler: h, Loops: -1}, "Config.Loops -1"},
		{"batch too big", Config{Addr: "udp://:0", Handler: h, BatchSize: 5000}, "Config.BatchSize 5000"},
		{"datagram too big", Config{Addr: "udp://:0", Handler: h, DatagramSize: 70000}, "Config.DatagramSize 70000"},
		{"negative buffer", Config{Addr: "udp://:0", Handler: h, RecvBuffer: -1}, "Config.RecvBuffer -1"},
		{"unbindable", Config{Addr: "udp4://192.0.2.1:0", Handler: h}, "udp4://192.0.2.1:0"},
		{"typed nil UDPConn", Config{Sockets: []syscall.Conn{nilUDP}, Handler: h}, "Config.Sockets[0] is nil (*net.UDPConn)"},
		{"typed nil File second", Config{Sockets: []syscall.Conn{os.Stdin, nilFile}, Handler: h}, "Config.Sockets[1] is nil (*os.File)"},
		{"buffer past int32", Config{Addr: "udp://:0", Handler: h, RecvBuffer: tooBig}, "Config.RecvBuffer"},
		{"buffer of 2^32", Config{Addr: "udp://:0", Handler: h, RecvBuffer: huge}, "Config.RecvBuffer"},
		{"incoming CPU without pinning", Config{Addr: "udp://:0", Handler: h, IncomingCPU: true}, "Config.IncomingCPU needs Config.PinCPU"},
		{"gather too long", Config{Addr: "udp://:0", Handler: h, Gather: time.Second}, "Config.Gather 1s: want at most 100ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(tc.cfg)
			if err == nil {
				e.Shutdown(context.Background())
				t.Fatalf("New succeeded, want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want it to contain %q", err, tc.want)
			}
			// A bind failure is no mistake in the Config: only the rest
			// match ErrConfig, so a command can tell usage from run time.
			if got, want := errors.Is(err, ErrConfig), tc.name != "unbindable"; got != want {
				t.Errorf("errors.Is(%v, ErrConfig) = %v, want %v", err, got, want)
			}
		})
	}
}
