package platform

import (
	"errors"
	"net"
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
// still ends, with Woken, at the next idle check (parked), or at once
// with ErrPollerGone (locked: ppoll sees the other file); Close leaves
// the file's descriptor open (issue 12, case 8).
func TestWakeEventfdReplaced(t *testing.T) {
	for _, m := range waitModes {
		t.Run(m.name, func(t *testing.T) {
			r := listenT(t, "udp4", "127.0.0.1:0", Options{LockedThread: m.locked})
			lr := r.(*linuxReceiver)
			f := foreignFile(t, lr.evfd)
			if m.locked {
				// ppoll watches whatever file has the number now: a
				// regular file polls readable, does not read as an
				// eventfd, and the wait ends at once.
				if _, err := waitResult(t, r, 5*time.Second); !errors.Is(err, ErrPollerGone) || !errors.Is(err, syscall.EBADF) {
					t.Errorf("Wait = %v, want an error wrapping ErrPollerGone and EBADF", err)
				}
				if err := r.Wake(); err != nil && !errors.Is(err, ErrPollerGone) {
					t.Errorf("Wake = %v, want nil or an error wrapping ErrPollerGone", err)
				}
				if st, err := f.Stat(); err != nil || st.Size() != 0 {
					t.Errorf("the file in the eventfd's place holds %d bytes (%v), want 0", st.Size(), err)
				}
				if err := r.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
				stillNamesFile(t, lr.evfd, f)
				return
			}
			type result struct {
				ev  Event
				err error
			}
			ch := make(chan result, 1)
			go func() { ev, err := r.Wait(); ch <- result{ev, err} }()
			// Only a Wake that finds the loop asking the poller writes
			// the eventfd, and so checks it.
			deadline := time.Now().Add(5 * time.Second)
			for !lr.waiting.Load() {
				if time.Now().After(deadline) {
					t.Fatal("Wait did not reach the poller within 5s")
				}
				time.Sleep(time.Millisecond)
			}
			if err := r.Wake(); !errors.Is(err, ErrPollerGone) || !errors.Is(err, syscall.EBADF) {
				t.Errorf("Wake = %v, want an error wrapping ErrPollerGone and EBADF", err)
			}
			select {
			case res := <-ch:
				if res.err != nil || res.ev.Events&Woken == 0 {
					t.Errorf("Wait = %v, %v; want Woken", res.ev.Events, res.err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Wait did not return within 5s")
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

// TestWakeWhileRunning: a Wake while no Wait is asking the poller writes
// nothing to the eventfd (no system call for the waker); the next Wait
// reports Woken at once, and the one after that waits again.
func TestWakeWhileRunning(t *testing.T) {
	for _, m := range waitModes {
		t.Run(m.name, func(t *testing.T) {
			r := listenT(t, "udp4", "127.0.0.1:0", Options{LockedThread: m.locked})
			lr := r.(*linuxReceiver)
			for range 3 {
				if err := r.Wake(); err != nil {
					t.Fatal(err)
				}
			}
			var buf [8]byte
			if n, err := unix.Read(lr.evfd, buf[:]); err != unix.EAGAIN {
				t.Errorf("the eventfd holds a count (read %d, %v): Wake wrote to it while no Wait was waiting", n, err)
			}
			ev, err := waitResult(t, r, 5*time.Second)
			if err != nil || ev.Events != Woken {
				t.Fatalf("Wait = %v, %v; want Woken alone", ev.Events, err)
			}
			// Nothing more to report: a datagram is what ends the next wait.
			c, err := net.DialUDP("udp4", nil, r.LocalAddr().(*net.UDPAddr))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write([]byte("x")); err != nil {
				t.Fatal(err)
			}
			ev, err = waitResult(t, r, 5*time.Second)
			if err != nil || ev.Events != Readable {
				t.Errorf("Wait = %v, %v; want Readable alone", ev.Events, err)
			}
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
