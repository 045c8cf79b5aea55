package platform

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/udprx/udprx/internal/seccomptest"
)

// waitModes are the two ways Wait sleeps: parked in the runtime's poller,
// or blocked in epoll_wait on a locked thread.
var waitModes = []struct {
	name   string
	locked bool
}{{"parked", false}, {"locked", true}}

// waitResult runs Wait on its own goroutine and returns what it returned,
// or fails t after d.
func waitResult(t *testing.T, r Receiver, d time.Duration) (Event, error) {
	t.Helper()
	type result struct {
		ev  Event
		err error
	}
	ch := make(chan result, 1)
	go func() { ev, err := r.Wait(); ch <- result{ev, err} }()
	select {
	case res := <-ch:
		return res.ev, res.err
	case <-time.After(d):
		t.Fatalf("Wait did not return within %v", d)
	}
	return Event{}, nil
}

// foreignFile puts a new empty file in place of descriptor fd (dup2), as
// a bug elsewhere in the process could, and returns it.
func foreignFile(t *testing.T, fd int) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "foreign"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := unix.Dup3(int(f.Fd()), fd, unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return f
}

// stillNamesFile checks that descriptor fd still refers to f: nobody
// closed it.
func stillNamesFile(t *testing.T, fd int, f *os.File) {
	t.Helper()
	id, err := identify(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if !stillOurs(fd, id) {
		t.Errorf("descriptor %d no longer refers to the file put there: closed by the Receiver", fd)
	}
}

// TestWakeEventfdReplaced: the wake-up eventfd's number is taken by
// another file. Wake writes nothing into that file and says why; the wait
// still ends, with Woken, at the next idle check; Close leaves the file's
// descriptor open (issue 12, case 8).
func TestWakeEventfdReplaced(t *testing.T) {
	for _, m := range waitModes {
		t.Run(m.name, func(t *testing.T) {
			r := listenT(t, "udp4", "127.0.0.1:0", Options{LockedThread: m.locked})
			lr := r.(*linuxReceiver)
			f := foreignFile(t, lr.evfd)
			if err := r.Wake(); !errors.Is(err, ErrPollerGone) || !errors.Is(err, syscall.EBADF) {
				t.Errorf("Wake = %v, want an error wrapping ErrPollerGone and EBADF", err)
			}
			ev, err := waitResult(t, r, 5*time.Second)
			if err != nil || ev.Events&Woken == 0 {
				t.Errorf("Wait = %v, %v; want Woken", ev.Events, err)
			}
			if st, err := f.Stat(); err != nil || st.Size() != 0 {
				t.Errorf("the file in the eventfd's place holds %d bytes (%v), want 0", st.Size(), err)
			}
			if err := r.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			stillNamesFile(t, lr.evfd, f)
		})
	}
}

// TestWaitEpollReplaced: the epoll descriptor's number is taken by
// another file. Wait returns an error wrapping ErrPollerGone and EBADF
// within the idle check instead of sleeping forever, and Close leaves the
// file's descriptor open (issue 12, case 8). A loop on a locked thread
// has no epoll descriptor (it waits in ppoll).
func TestWaitEpollReplaced(t *testing.T) {
	for _, m := range waitModes {
		t.Run(m.name, func(t *testing.T) {
			if m.locked {
				lr := listenT(t, "udp4", "127.0.0.1:0", Options{LockedThread: true}).(*linuxReceiver)
				if lr.epfd != -1 {
					t.Errorf("a locked-thread Receiver has epoll descriptor %d, want none (-1)", lr.epfd)
				}
				return
			}
			r := listenT(t, "udp4", "127.0.0.1:0", Options{LockedThread: m.locked})
			lr := r.(*linuxReceiver)
			f := foreignFile(t, lr.epfd)
			_, err := waitResult(t, r, 5*time.Second)
			if !errors.Is(err, ErrPollerGone) || !errors.Is(err, syscall.EBADF) {
				t.Errorf("Wait = %v, want an error wrapping ErrPollerGone and EBADF", err)
			}
			if err := r.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			stillNamesFile(t, lr.epfd, f)
		})
	}
}

// TestWaitEINTRForever: every epoll_wait on the Receiver's epoll
// descriptor fails with EINTR (a seccomp filter, in a child process).
// Wait retries a bounded number of times, then returns the error for the
// caller's policy, rather than spinning unseen (issue 12, case 10).
func TestWaitEINTRForever(t *testing.T) {
	if !seccomptest.InChild(t, 60*time.Second) {
		return
	}
	for _, m := range waitModes {
		r := listenT(t, "udp4", "127.0.0.1:0", Options{LockedThread: m.locked})
		var err error
		if m.locked {
			// ppoll on the socket and the eventfd: nfds 2.
			err = seccomptest.FailOnArg([]uintptr{unix.SYS_PPOLL}, 1, 2, syscall.EINTR)
		} else {
			err = seccomptest.FailOnFD(seccomptest.EpollWaitCalls, r.(*linuxReceiver).epfd, syscall.EINTR)
		}
		if err != nil {
			t.Skipf("cannot install a seccomp filter: %v", err)
		}
		for range 3 {
			_, err := waitResult(t, r, 10*time.Second)
			if !errors.Is(err, syscall.EINTR) {
				t.Fatalf("%s: Wait = %v, want an error wrapping EINTR", m.name, err)
			}
		}
	}
}
