package engine

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/udprx/udprx/errpolicy"
)

// socketFD finds this process's UDP socket bound to port, as another
// process with pidfd_getfd(2) could: by looking, not by asking the engine.
func socketFD(t *testing.T, port int) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, ent := range ents {
		var fd int
		if _, err := fmt.Sscan(ent.Name(), &fd); err != nil {
			continue
		}
		if link, _ := os.Readlink("/proc/self/fd/" + ent.Name()); !strings.HasPrefix(link, "socket:") {
			continue
		}
		if typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE); err != nil || typ != unix.SOCK_DGRAM {
			continue
		}
		switch sa, _ := unix.Getsockname(fd); sa := sa.(type) {
		case *unix.SockaddrInet4:
			if sa.Port == port {
				return fd
			}
		case *unix.SockaddrInet6:
			if sa.Port == port {
				return fd
			}
		}
	}
	t.Fatalf("no UDP socket on port %d", port)
	return -1
}

// kernelEngine runs a one-loop engine on loopback with fast restarts and
// reports each loop start and exit.
func kernelEngine(t *testing.T) (*Engine, *collector, chan LoopExit, func(n int)) {
	started, waitStarted := loopStarts(t)
	exits := make(chan LoopExit, 16)
	c := newCollector()
	e := startEngine(t, Config{
		Addr: "udp4://127.0.0.1:0", Loops: 1, Handler: c, RecvBuffer: 1 << 20,
		RestartBackoff: errpolicy.BackoffSchedule{Initial: time.Millisecond, Max: 10 * time.Millisecond},
		OnLoopExit:     func(x LoopExit) { exits <- x },
		started:        started,
	})
	waitStarted(1)
	return e, c, exits, waitStarted
}

func exitWithin(t *testing.T, exits chan LoopExit, d time.Duration) LoopExit {
	t.Helper()
	select {
	case x := <-exits:
		return x
	case <-time.After(d):
		t.Fatalf("the loop did not end within %v", d)
	}
	return LoopExit{}
}

// TestKernelShutdownFromOutside: shutdown(SHUT_RD) on the loop's socket by
// someone else. The loop sees the hang-up, ends, its socket is re-opened,
// and datagrams sent afterwards arrive.
func TestKernelShutdownFromOutside(t *testing.T) {
	e, c, exits, waitStarted := kernelEngine(t)
	sendAndCount(t, e, c, 10)
	fd := socketFD(t, e.Addr().(*net.UDPAddr).Port)
	unix.Shutdown(fd, unix.SHUT_RD) // ENOTCONN on unconnected UDP, and takes effect
	x := exitWithin(t, exits, 5*time.Second)
	if !x.Restart || !errors.Is(x.Err, errpolicy.ErrHangUp) {
		t.Fatalf("loop exit %+v, want a restart after a hang-up", x)
	}
	waitStarted(1)
	sendAndCount(t, e, c, 100)
	if st := e.Stats(); st.Restarts != 1 {
		t.Errorf("Stats.Restarts = %d, want 1", st.Restarts)
	}
}

// TestKernelDescriptorReplaced: the loop's descriptor is closed, or has
// another file put in its place, from outside. epoll drops it silently;
// the idle check notices, the loop ends without closing what is no longer
// its file, and a new socket takes over.
func TestKernelDescriptorReplaced(t *testing.T) {
	for _, mode := range []string{"dup2", "close"} {
		t.Run(mode, func(t *testing.T) {
			e, c, exits, waitStarted := kernelEngine(t)
			fd := socketFD(t, e.Addr().(*net.UDPAddr).Port)
			null, err := os.Open(os.DevNull)
			if err != nil {
				t.Fatal(err)
			}
			defer null.Close()
			if mode == "close" {
				unix.Close(fd)
			}
			// Either way, fd now names /dev/null, as a reused number would.
			if err := unix.Dup2(int(null.Fd()), fd); err != nil {
				t.Fatal(err)
			}
			x := exitWithin(t, exits, 5*time.Second)
			if !x.Restart || !errors.Is(x.Err, errpolicy.ErrHangUp) {
				t.Fatalf("loop exit %+v, want a restart after the descriptor was replaced", x)
			}
			waitStarted(1)
			sendAndCount(t, e, c, 100)
			// The engine must not have closed our /dev/null behind us.
			if err := unix.Close(fd); err != nil {
				t.Errorf("closing the replacement: %v (the engine closed a file it did not own)", err)
			}
		})
	}
}

// TestKernelICMPConnected: an ICMP port unreachable on a connected socket
// comes back as one ECONNREFUSED, pre-empting data: it is counted and the
// loop reads on, with no restart.
func TestKernelICMPConnected(t *testing.T) {
	e, c, exits, _ := kernelEngine(t)
	fd := socketFD(t, e.Addr().(*net.UDPAddr).Port)
	// A port nothing listens on: bind one, note it, close it.
	dead, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.LocalAddr().(*net.UDPAddr)
	dead.Close()
	// Connect the engine's socket to it from outside and send: the kernel
	// answers with ICMP port unreachable, which sets the socket's error.
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: deadAddr.Port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Write(fd, []byte("probe")); err != nil {
		t.Fatal(err)
	}
	waitErrors(t, e, 1)
	// A connected socket accepts datagrams only from its peer: send the
	// rest from the port that refused. (Disconnecting instead would
	// unhash a socket whose port the kernel chose.)
	peer, err := net.ListenUDP("udp4", deadAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	for i := range 50 {
		if _, err := peer.WriteTo(fmt.Appendf(nil, "after %d", i), e.Addr()); err != nil {
			t.Fatal(err)
		}
	}
	c.waitFor(t, testContext(t), 50)
	select {
	case x := <-exits:
		t.Fatalf("the loop ended after ECONNREFUSED: %+v", x)
	default:
	}
	got := e.set.GetOrCreateCounter(`udprx_errors_total{loop="0",class="count",errno="ECONNREFUSED"}`).Get()
	if got != 1 {
		t.Errorf("udprx_errors_total{class=count,errno=ECONNREFUSED} = %d, want 1", got)
	}
}

// TestKernelShutdownKeepsQueue: a socket shut down from outside while
// thousands of datagrams are queued (more than one wake-up's read budget)
// is re-opened, and every queued datagram is delivered first: a read
// shutdown leaves the queue readable, and the engine empties a socket
// before closing it.
func TestKernelShutdownKeepsQueue(t *testing.T) {
	h := newHeld()
	e := startEngine(t, Config{
		Addr: "udp4://127.0.0.1:0", Loops: 1, Handler: h, RecvBuffer: 4 << 20,
		RestartBackoff: errpolicy.BackoffSchedule{Initial: time.Millisecond, Max: 10 * time.Millisecond},
	})
	conn, err := net.DialUDP("udp", nil, e.Addr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("hold"))
	<-h.entered
	const queued = 3000
	for range queued {
		if _, err := conn.Write([]byte("queued")); err != nil {
			t.Fatal(err)
		}
	}
	unix.Shutdown(socketFD(t, e.Addr().(*net.UDPAddr).Port), unix.SHUT_RD) // ENOTCONN, and takes effect
	close(h.release)
	deadline := time.Now().Add(10 * time.Second)
	for (h.count() < 1+queued || e.Stats().Restarts < 1) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // polling counters
	}
	st := e.Stats()
	if got := h.count(); got != 1+queued || st.Restarts != 1 || st.KernelDrops != 0 {
		t.Errorf("%d of %d delivered; %d restarts, %d kernel drops; want all, 1, 0", got, 1+queued, st.Restarts, st.KernelDrops)
	}
}
