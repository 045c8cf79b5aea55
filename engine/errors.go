package engine

import (
	"errors"

	"github.com/udprx/udprx/platform"
)

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
