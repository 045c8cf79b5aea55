package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/udprx/udprx/errpolicy"
	"github.com/udprx/udprx/platform"
)

// ErrConfig is matched (errors.Is) by the error New returns when a Config
// field is out of range, inconsistent with another or missing: a mistake
// in the caller, found before anything was opened. Failures to open the
// sockets (EMFILE, an address in use, ...) do not match it: a command can
// tell a usage error from a run-time failure by it.
var ErrConfig = errors.New("engine: invalid Config")

// configError marks a Config error as matching ErrConfig, its message
// unchanged.
type configError struct{ err error }

func (e configError) Error() string        { return e.err.Error() }
func (e configError) Unwrap() error        { return e.err }
func (e configError) Is(target error) bool { return target == ErrConfig }

// PanicError is a panic recovered from the Handler.
type PanicError struct {
	Value any    // what the handler panicked with
	Stack []byte // the loop goroutine's stack at the panic
}

// Error returns the panic value as text; Stack has the goroutine stack.
func (p *PanicError) Error() string { return fmt.Sprintf("handler panic: %v", p.Value) }

// Unwrap returns the panic value if it is an error (panic(err), or a
// runtime.Error such as a nil dereference), so that errors.Is and
// errors.As see through the panic; nil otherwise.
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

// LoopError is why a loop ended other than by being stopped.
type LoopError struct {
	Loop    int               // the loop's index
	Addr    string            // the address it received on
	Verdict errpolicy.Verdict // what the error policy made of Err
	Err     error             // the cause
}

// Error names the loop, its address, the cause and the verdict. It
// carries the package's prefix: what wraps a LoopError adds its context
// after it ("...; giving up after 3 restarts in a row"), not a second
// prefix before it.
func (e *LoopError) Error() string {
	return fmt.Sprintf("engine: loop %d on %s: %v (%s)", e.Loop, e.Addr, e.Err, e.Verdict)
}

// Unwrap returns the underlying error.
func (e *LoopError) Unwrap() error { return e.Err }

func isStop(err error) bool {
	var le *LoopError
	return errors.As(err, &le) && le.Verdict == errpolicy.Stop
}

// ShutdownError is what Shutdown returns when it could not finish.
type ShutdownError struct {
	// Step is the step cut short: "drain" (loops still reading what was
	// queued), "stop hooks", or "waiting" (this caller's ctx ended while
	// the sequence started by another call went on).
	Step string
	// Unfinished is how many loops had not finished.
	Unfinished int
	// Skipped is how many stop hooks did not run.
	Skipped int
	// Err is ctx's error, or the hooks' errors.
	Err error
}

// Error says which step was cut short and what was left.
func (e *ShutdownError) Error() string {
	msg := "engine: shutdown cut short during " + e.Step
	if e.Unfinished > 0 {
		msg += fmt.Sprintf(": %d loops had not finished", e.Unfinished)
	}
	if e.Skipped > 0 {
		msg += fmt.Sprintf(": %d stop hooks not run", e.Skipped)
	}
	return msg + ": " + e.Err.Error()
}

// Unwrap returns the underlying error (context.DeadlineExceeded, ...).
func (e *ShutdownError) Unwrap() error { return e.Err }

// Errors for errors.Is: from New (ErrAddrInUse also for UDP), and
// ErrPathLost from a running loop. They are the engine's own: an error
// the platform layer reports for the same condition is wrapped so that it
// matches both (see platformError).
var (
	// ErrAddrInUse: another process is serving the socket path (or is
	// starting on it and holds PATH.lock); for a UDP Addr, another socket
	// is bound to the address (see Config.SharePort).
	ErrAddrInUse = errors.New("engine: address in use")
	// ErrNotSocket: something other than a socket (a file, directory,
	// symlink, FIFO) is at the socket path; it was left untouched.
	ErrNotSocket = errors.New("engine: not a socket")
	// ErrPathLost: the socket file of a running engine was removed or
	// replaced from outside; its loop ended (LoopExit.Err wraps it) and
	// the socket is re-created at the path.
	ErrPathLost = errors.New("engine: the socket file no longer leads to the socket")
)

// platformSentinels pairs each platform sentinel with the engine's.
var platformSentinels = [...]struct{ platform, engine error }{
	{platform.ErrAddrInUse, ErrAddrInUse},
	{platform.ErrNotSocket, ErrNotSocket},
	{platform.ErrPathLost, ErrPathLost},
}

// platformError returns err from package platform so that it also matches
// the engine's sentinel for the same condition, its text and chain (the
// errno, the platform's sentinel) unchanged. Every error of platform the
// engine hands its caller passes through it.
func platformError(err error) error {
	if err == nil {
		return nil
	}
	for _, s := range platformSentinels {
		if errors.Is(err, s.platform) {
			return sentinelError{err: err, sentinel: s.engine}
		}
	}
	return err
}

// sentinelError is err, matching sentinel too.
type sentinelError struct {
	err      error
	sentinel error
}

func (e sentinelError) Error() string        { return e.err.Error() }
func (e sentinelError) Unwrap() error        { return e.err }
func (e sentinelError) Is(target error) bool { return target == e.sentinel }

// LoopExit describes why a loop ended, for Config.OnLoopExit.
type LoopExit struct {
	// Loop is the loop's index, 0 to Loops-1.
	Loop int
	// Err is why it ended: nil when it was stopped.
	Err error
	// Restart reports whether the supervisor will re-open the socket.
	Restart bool
	// Restarts is how many escalations in a row (re-opens, and failure
	// streaks that reached their limit: see Config.MaxRestarts) the loop
	// has gone through.
	Restarts int
	// Delay is how long the supervisor waits before re-opening.
	Delay time.Duration
}
