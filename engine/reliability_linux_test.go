package engine

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"golang.org/x/sys/unix"

	"github.com/udprx/udprx/errpolicy"
	"github.com/udprx/udprx/internal/seccomptest"
)

// TestAdoptedSocketLeftAsFound: after Shutdown, an adopted socket is as
// it was: the caller's own *net.UDPConn receives again, and so does a
// second engine given the same socket, as a socket-activated service
// restarting would (issue 12, case 1).
func TestAdoptedSocketLeftAsFound(t *testing.T) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for round := range 2 {
		c := newCollector()
		e, err := New(Config{Sockets: []syscall.Conn{conn}, Handler: c, GRO: true, DstAddr: true, Timestamps: true, RecvBuffer: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		ran := make(chan error, 1)
		go func() { ran <- e.Run(context.Background()) }()
		sendAndCount(t, e, c, 10)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = e.Shutdown(ctx)
		cancel()
		if err != nil {
			t.Fatalf("round %d: Shutdown: %v", round, err)
		}
		if err := <-ran; err != nil {
			t.Fatalf("round %d: Run: %v", round, err)
		}
	}
	// The caller's conn, read as the caller reads it.
	client, err := net.DialUDP("udp4", nil, conn.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := client.Write([]byte("mine again")); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, _, err := conn.ReadFromUDP(buf)
	if err != nil || string(buf[:n]) != "mine again" {
		t.Fatalf("the caller's conn read %q, %v after Shutdown; want \"mine again\"", buf[:n], err)
	}
}

// anonFDs returns this process's descriptors that are anonymous inodes
// of the kind given ("[eventfd]", "[eventpoll]"), as another part of the
// process could find them in /proc/self/fd.
func anonFDs(t *testing.T, kind string) map[int]bool {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	fds := map[int]bool{}
	for _, ent := range ents {
		var fd int
		if _, err := fmt.Sscan(ent.Name(), &fd); err != nil {
			continue
		}
		if link, _ := os.Readlink("/proc/self/fd/" + ent.Name()); link == "anon_inode:"+kind {
			fds[fd] = true
		}
	}
	return fds
}

// newEngineFDs starts a one-loop engine on loopback and returns it with
// the descriptors of kind its New opened.
func newEngineFDs(t *testing.T, kind string) (*Engine, *collector, []int) {
	t.Helper()
	before := anonFDs(t, kind)
	c := newCollector()
	e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 1, Handler: c})
	if err != nil {
		t.Fatal(err)
	}
	var fds []int
	for fd := range anonFDs(t, kind) {
		if !before[fd] {
			fds = append(fds, fd)
		}
	}
	if len(fds) != 1 {
		e.Shutdown(context.Background())
		t.Fatalf("New opened %d descriptors of %s, want 1", len(fds), kind)
	}
	return e, c, fds
}

// runEngine runs e, returning a channel with Run's result.
func runEngine(e *Engine) chan error {
	ran := make(chan error, 1)
	go func() { ran <- e.Run(context.Background()) }()
	return ran
}

// shutdownWithin stops e and fails t unless Shutdown and Run both end
// cleanly within d.
func shutdownWithin(t *testing.T, e *Engine, ran chan error, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-ran; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestShutdownEventfdReplaced: the loop's wake-up eventfd is replaced by
// another file (dup2 over its number). Shutdown still completes, and
// writes nothing into that file (issue 12, case 8).
func TestShutdownEventfdReplaced(t *testing.T) {
	e, c, fds := newEngineFDs(t, "[eventfd]")
	ran := runEngine(e)
	sendAndCount(t, e, c, 1)
	f, err := os.Create(filepath.Join(t.TempDir(), "foreign"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Dup3(int(f.Fd()), fds[0], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	shutdownWithin(t, e, ran, 10*time.Second)
	if st, err := f.Stat(); err != nil || st.Size() != 0 {
		t.Errorf("Shutdown wrote %d bytes into the file that took the eventfd's number (%v), want 0", st.Size(), err)
	}
	if _, err := unix.FcntlInt(uintptr(fds[0]), unix.F_GETFD, 0); err != nil {
		t.Errorf("the engine closed the descriptor that is no longer its own: %v", err)
	}
}

// TestShutdownEpollClosed: the loop's epoll descriptor is closed from
// outside. Shutdown still completes (issue 12, case 8).
func TestShutdownEpollClosed(t *testing.T) {
	e, c, fds := newEngineFDs(t, "[eventpoll]")
	ran := runEngine(e)
	sendAndCount(t, e, c, 1)
	if err := unix.Close(fds[0]); err != nil {
		t.Fatal(err)
	}
	shutdownWithin(t, e, ran, 10*time.Second)
}

// TestShutdownEpollEINTRForever: every epoll_wait on the loop's epoll
// descriptor fails with EINTR (a seccomp filter, in a child process). The
// errors reach the engine, which counts them and escalates as for EINTR
// on reads, and Shutdown still completes (issue 12, case 10).
func TestShutdownEpollEINTRForever(t *testing.T) {
	if !seccomptest.InChild(t, 60*time.Second) {
		return
	}
	e, _, fds := newEngineFDs(t, "[eventpoll]")
	if err := seccomptest.FailOnFD(seccomptest.EpollWaitCalls, fds[0], syscall.EINTR); err != nil {
		t.Skipf("cannot install a seccomp filter: %v", err)
	}
	ran := runEngine(e)
	deadline := time.Now().Add(10 * time.Second)
	for e.Stats().Errors == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no error counted 10s into an EINTR storm on epoll_wait")
		}
		time.Sleep(time.Millisecond) // polling a counter, not ordering events
	}
	shutdownWithin(t, e, ran, 10*time.Second)
}

// TestReadableButEAGAIN: with datagrams queued, every recvmmsg on the
// loop's socket fails with EAGAIN (a seccomp filter, in a child process),
// so the poller keeps reporting it readable. The loop counts each empty
// read and escalates, rather than spin at most of a core with nothing
// logged or counted; Shutdown still completes (issue 12, case 9).
func TestReadableButEAGAIN(t *testing.T) {
	if !seccomptest.InChild(t, 60*time.Second) {
		return
	}
	e, err := New(Config{Addr: "udp4://127.0.0.1:0", Loops: 1, Handler: newCollector()})
	if err != nil {
		t.Fatal(err)
	}
	fd := socketFD(t, e.Addr().(*net.UDPAddr).Port)
	if err := seccomptest.FailOnFD([]uintptr{unix.SYS_RECVMMSG}, fd, syscall.EAGAIN); err != nil {
		t.Skipf("cannot install a seccomp filter: %v", err)
	}
	ran := runEngine(e)
	client, err := net.DialUDP("udp4", nil, e.Addr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := client.Write([]byte("stuck")); err != nil {
		t.Fatal(err)
	}
	// More than one streak's worth of re-reads: the first escalation to a
	// back-off happened.
	deadline := time.Now().Add(10 * time.Second)
	for e.Stats().Errors <= errpolicy.DefaultRetryLimit {
		if time.Now().After(deadline) {
			t.Fatalf("%d errors counted 10s after a datagram was queued that reads cannot get", e.Stats().Errors)
		}
		time.Sleep(time.Millisecond) // polling a counter, not ordering events
	}
	shutdownWithin(t, e, ran, 10*time.Second)
}

// TestICMPOnAdoptedSocketWithRecvErr: an adopted socket with IP_RECVERR
// on, whose owner sends to a closed port, gets an ICMP port unreachable
// for each datagram. The engine reads each from the error queue and
// counts it (Stats.SocketErrors, udprx_socket_errors_total by errno and
// origin) and keeps running: more errors than a Streak allows do not end
// it, and it still receives (issue 12, case 6).
func TestICMPOnAdoptedSocketWithRecvErr(t *testing.T) {
	conn := recvErrConn(t)
	// A port nobody listens on: bound, then closed.
	gone, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	closed := gone.LocalAddr()
	gone.Close()

	set := metrics.NewSet()
	c := newCollector()
	e, err := New(Config{Sockets: []syscall.Conn{conn}, Handler: c, Metrics: set})
	if err != nil {
		t.Fatal(err)
	}
	ran := runEngine(e)
	sendAndCount(t, e, c, 1)
	// More than errpolicy.DefaultStreakLimit: as errors of the socket
	// they would have ended the engine. Within the kernel's ICMP burst
	// (net.ipv4.icmp_msgs_burst, 50).
	sent := 0
	for range 8 * errpolicy.DefaultStreakLimit {
		if _, err := conn.WriteTo([]byte("to nobody"), closed); err == nil {
			sent++ // a send can fail with the error the last ICMP left pending
		}
		if sent == 2*errpolicy.DefaultStreakLimit {
			break
		}
	}
	if sent != 2*errpolicy.DefaultStreakLimit {
		t.Fatalf("only %d sends went out", sent)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.Stats().SocketErrors < uint64(sent) {
		select {
		case err := <-ran:
			t.Fatalf("Run ended: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d socket errors counted, want %d", e.Stats().SocketErrors, sent)
		}
		time.Sleep(time.Millisecond) // polling a counter, not ordering events
	}
	var out strings.Builder
	set.WritePrometheus(&out)
	want := fmt.Sprintf(`udprx_socket_errors_total{loop="0",errno="ECONNREFUSED",origin="icmp"} %d`, sent)
	if !strings.Contains(out.String(), want) {
		t.Errorf("metrics lack %s:\n%s", want, out.String())
	}
	sendAndCount(t, e, c, 10)
	select {
	case err := <-ran:
		t.Fatalf("Run ended: %v", err)
	default:
	}
	shutdownWithin(t, e, ran, 10*time.Second)
	if st := e.Stats(); st.SocketErrors != uint64(sent) {
		t.Errorf("Stats: %d socket errors, want %d", st.SocketErrors, sent)
	}
}
