package engine

import (
	"sync/atomic"
	"time"

	"github.com/udprx/udprx/errpolicy"
	"github.com/udprx/udprx/platform"
)

// pathCheckInterval is how often the engine checks that the socket file of
// a unixgram path Addr still leads to its socket: as often as the native
// pollers check their descriptor (one lstat a second costs nothing
// measurable), so a removed file is re-created within about a second.
const pathCheckInterval = time.Second

// watchPaths checks, every pathCheckInterval until the engine stops, that
// each loop's socket file (platform.Info.Path) still leads to the loop's
// socket. A file removed or replaced from outside leaves the socket
// working but unreachable by its path, for ever: senders get ENOENT, and
// nothing shows it. So a loop whose path is lost is flagged and woken; it
// reads what is queued, reports the loss through its suppressor and ends
// with a fatal error, and the supervisor opens the path again, under the
// same safety rules as at start.
//
// It runs only for an Addr that is a unixgram path (Run starts it), on its
// own goroutine: the loops sleep in their pollers, which know nothing of
// paths.
func (e *Engine) watchPaths() {
	defer e.wg.Done()
	for {
		select {
		case <-e.env.clock.After(pathCheckInterval):
		case <-e.life.stopCh:
			return
		}
		for _, l := range e.loops {
			l.checkPath()
		}
	}
}

// pathWatch is a loop's report of a lost socket file: err and r are
// guarded by the loop's mu; lost is set with them, so the loop loads one
// atomic at each wake-up and takes the lock only when something is lost.
type pathWatch struct {
	err  error             // why r's socket file is lost
	r    platform.Receiver // the socket whose file was found lost; nil: none
	lost atomic.Bool       // r is set
}

// checkPath flags and wakes the loop if its current socket's file was lost.
// The flag is set only if the socket checked is still the loop's: one the
// supervisor replaced meanwhile has a file of its own.
func (l *loop) checkPath() {
	l.mu.Lock()
	r, info := l.r, l.sockInfo
	l.mu.Unlock()
	if r == nil {
		return
	}
	err := platform.CheckPath(info)
	if err == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.r == r && l.path.r == nil {
		l.path.err, l.path.r = err, r
		l.path.lost.Store(true)
		r.Wake()
	}
}

// lostPath returns why r's socket file is lost, once checkPath has flagged
// it, and clears the flag; nil otherwise (also for a flag left about a
// socket the loop no longer reads). It costs one atomic load when nothing
// is lost.
func (l *loop) lostPath(r platform.Receiver) error {
	if !l.path.lost.Load() {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	err, lost := l.path.err, l.path.r
	l.path.err, l.path.r = nil, nil
	l.path.lost.Store(false)
	if lost != r {
		return nil
	}
	return err
}

// pathLostDecision is how a lost socket file is counted and reported.
var pathLostDecision = errpolicy.Decision{Verdict: errpolicy.Fatal, Name: "path-lost",
	Reason: "the unix socket file was removed or replaced from outside: senders cannot reach the socket by its path; re-create it"}

// onPathLost ends the loop after its socket file was lost: it delivers
// what the socket has queued (at most ReadBudget batches, as any wake-up:
// senders connected before the loss can still send, and must not keep
// the loop from ending; a unix datagram queue holds few datagrams, 10 by
// default on Linux, so one batch usually empties it), then counts and
// reports the loss (once per socket: the loop ends) and returns the fatal
// error for the supervisor.
func (l *loop) onPathLost(r platform.Receiver, err error) error {
	for range l.env.budget {
		n, rerr := r.Read(l.b)
		if n > 0 {
			if err := l.deliver(n); err != nil {
				return err
			}
		}
		if rerr != nil || !l.b.Full() {
			break
		}
	}
	l.m.error(pathLostDecision)
	l.log.Report(pathLostDecision, err)
	return l.fail(errpolicy.Fatal, platformError(err))
}
