package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/udprx/udprx/bench/load"
)

// These tests stop a running `udpbench recv` as systemd or a user at a
// terminal does, with signals, and check what it promises: the graceful
// stop delivers everything the kernel had queued, a second signal ends
// the process at once, a stop that overruns --stop-timeout is reported,
// the summary is printed every time, and a service manager hears READY=1
// and STOPPING=1.

// TestRecvSIGTERMUnderLoad sends an exact number of datagrams well below
// the receiver's capacity, then stops it with SIGTERM: every datagram sent
// must be counted, and the stop must be quick.
func TestRecvSIGTERMUnderLoad(t *testing.T) {
	bin := buildUdpbench(t)
	p := startRecv(t, []string{bin, "recv", "--listen", "udp4://127.0.0.1:0", "--loops", "2",
		"--duration", "0", "--json", "--rcvbuf", strconv.Itoa(16 << 20)})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const count = 100_000 // 2 s at 50k/s
	st, err := load.Send(ctx, load.SendConfig{To: p.addr.String(), Rate: 50_000, Count: count, Flows: 2}, nil)
	if err != nil || st.Datagrams != count {
		t.Fatalf("Send: %d datagrams sent, %v: want %d, no error", st.Datagrams, err, count)
	}
	p.signal(t, syscall.SIGTERM)
	if status := p.exitStatus(t, 30*time.Second); status != 0 {
		t.Fatalf("exit status %d after SIGTERM, want 0\n%s", status, strings.Join(p.lines(), "\n"))
	}
	sum := p.summary(t)
	t.Logf("sent %d in %v; summary %v", st.Datagrams, st.Elapsed, sum)
	if got := sum["datagrams"].(float64); got != float64(st.Datagrams) {
		t.Errorf("received %v datagrams, sent %d", got, st.Datagrams)
	}
	if got := sum["errors"].(float64); got != 0 {
		t.Errorf("errors %v, want 0", got)
	}
	if s, ok := sum["stop_seconds"].(float64); !ok || s <= 0 || s > 1 {
		t.Errorf("stop_seconds %v: want more than 0 and at most 1", sum["stop_seconds"])
	}
}

// TestRecvNotifiesSystemd gives udpbench recv a notification socket, as
// systemd does for Type=notify: READY=1 (with the address) once it is
// receiving, STOPPING=1 when SIGTERM starts the stop.
func TestRecvNotifiesSystemd(t *testing.T) {
	bin := buildUdpbench(t)
	ns := newNotifySocket(t)
	p := startRecv(t, []string{bin, "recv", "--listen", "udp4://127.0.0.1:0", "--duration", "0", "--json"})
	if got, want := ns.next(t), "READY=1\nSTATUS=receiving on "+p.addr.String(); got != want {
		t.Errorf("first notification %q, want %q", got, want)
	}
	p.signal(t, syscall.SIGTERM)
	if got := ns.next(t); !strings.HasPrefix(got, "STOPPING=1\n") {
		t.Errorf("second notification %q, want STOPPING=1 first", got)
	}
	if status := p.exitStatus(t, 30*time.Second); status != 0 {
		t.Fatalf("exit status %d after SIGTERM, want 0\n%s", status, strings.Join(p.lines(), "\n"))
	}
	p.summary(t)
}

// slowStop is how long strace holds every recvmmsg in the two tests
// below. The stop's drain reads at least once after the wake-up, so the
// stop cannot finish sooner: a second signal or --stop-timeout has to end
// it. strace 6.1 may also hold the exit of a process whose thread it is
// delaying until that delay is over, so the waits for the exit allow for
// it; how soon udpbench itself gave up is in its stop_seconds.
const slowStop = 3 * time.Second

// startSlowStop starts udpbench recv under strace with every recvmmsg
// delayed by slowStop, and a notification socket, and SIGTERMs it once
// it is ready. It returns once the stop has begun (STOPPING=1).
func startSlowStop(t *testing.T, stopTimeout string) *recvProc {
	t.Helper()
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace not installed (CI installs it: apt-get install strace)")
	}
	bin := buildUdpbench(t)
	ns := newNotifySocket(t)
	p := startRecv(t, []string{strace, "-f", "-qq", "--seccomp-bpf", "-o", "/dev/null",
		"-e", "trace=recvmmsg", "-e", "inject=recvmmsg:delay_exit=" + strconv.FormatInt(slowStop.Microseconds(), 10),
		bin, "recv", "--listen", "udp4://127.0.0.1:0", "--loops", "1", "--duration", "0", "--json",
		"--stop-timeout", stopTimeout})
	if got := ns.next(t); !strings.HasPrefix(got, "READY=1") {
		t.Fatalf("first notification %q, want READY=1", got)
	}
	p.signal(t, syscall.SIGTERM)
	// STOPPING=1 also says the first SIGTERM has been taken: one sent
	// before that could merge with it in the kernel.
	if got := ns.next(t); !strings.HasPrefix(got, "STOPPING=1") {
		t.Fatalf("second notification %q, want STOPPING=1", got)
	}
	return p
}

// TestRecvSIGTERMTwice: a second SIGTERM during a stop that cannot
// finish within slowStop ends the stop at once: status 143, summary
// printed.
func TestRecvSIGTERMTwice(t *testing.T) {
	p := startSlowStop(t, "60s")
	second := time.Now()
	p.signal(t, syscall.SIGTERM)
	status := p.exitStatus(t, slowStop+10*time.Second)
	t.Logf("exit status %d %v after the second SIGTERM", status, time.Since(second).Round(time.Millisecond))
	if want := exitSignal + int(syscall.SIGTERM); status != want {
		t.Errorf("exit status %d after a second SIGTERM, want %d\n%s", status, want, strings.Join(p.lines(), "\n"))
	}
	sum := p.summary(t)
	if s, ok := sum["stop_seconds"].(float64); !ok || s >= slowStop.Seconds()/2 {
		t.Errorf("stop_seconds %v: want well under %v: the second SIGTERM must end the stop at once", sum["stop_seconds"], slowStop)
	}
	if !p.hasLine("second SIGTERM") {
		t.Errorf("stderr does not say why it exited:\n%s", strings.Join(p.lines(), "\n"))
	}
}

// TestRecvStopTimeout: a stop that overruns --stop-timeout ends after
// about that long: status 1, the summary, and a line naming the cause.
func TestRecvStopTimeout(t *testing.T) {
	p := startSlowStop(t, "1s")
	status := p.exitStatus(t, slowStop+10*time.Second)
	t.Logf("exit status %d; stderr:\n%s", status, strings.Join(p.lines(), "\n"))
	if status != exitError {
		t.Errorf("exit status %d after a stop that timed out, want %d\n%s", status, exitError, strings.Join(p.lines(), "\n"))
	}
	sum := p.summary(t)
	if s, ok := sum["stop_seconds"].(float64); !ok || s < 1 || s >= slowStop.Seconds() {
		t.Errorf("stop_seconds %v: want about 1 (the --stop-timeout), under %v", sum["stop_seconds"], slowStop)
	}
	// Either the engine's Shutdown reports its ctx's deadline, or, when the
	// traced process is slow to get there (a loaded machine), udpbench's
	// own wait for the receiver ends first: both name the timeout.
	if !p.hasLine("deadline exceeded") && !p.hasLine("did not stop within --stop-timeout") {
		t.Errorf("stderr does not name the timeout:\n%s", strings.Join(p.lines(), "\n"))
	}
}

// signal sends sig to the udpbench process.
func (p *recvProc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(p.pid, sig); err != nil {
		t.Fatalf("kill %d %v: %v", p.pid, sig, err)
	}
}

// exitStatus waits up to within for the process to exit and returns its
// exit status. Death by a signal fails the test: udpbench handles them.
func (p *recvProc) exitStatus(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case err := <-p.done:
		if err == nil {
			return 0
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("udpbench recv: %v", err)
		}
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("udpbench recv killed by %v\n%s", ws.Signal(), strings.Join(p.lines(), "\n"))
		}
		return ee.ExitCode()
	case <-time.After(within):
		t.Fatalf("udpbench recv did not exit within %v\n%s", within, strings.Join(p.lines(), "\n"))
	}
	panic("unreachable")
}

// summary decodes the JSON summary of a process that has exited; there
// must be exactly one.
func (p *recvProc) summary(t *testing.T) map[string]any {
	t.Helper()
	var sum map[string]any
	dec := json.NewDecoder(strings.NewReader(p.stdout.String()))
	if err := dec.Decode(&sum); err != nil || dec.More() {
		t.Fatalf("stdout %q: want one JSON summary (%v)", p.stdout.String(), err)
	}
	return sum
}

// hasLine reports whether a line of stderr contains s.
func (p *recvProc) hasLine(s string) bool {
	for _, l := range p.lines() {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// notifySocket is a fake systemd notification socket, named by
// NOTIFY_SOCKET in this test's environment and so in udpbench's.
type notifySocket struct{ conn *net.UnixConn }

func newNotifySocket(t *testing.T) *notifySocket {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return &notifySocket{c}
}

// next returns the next notification, failing the test after 30 s.
func (n *notifySocket) next(t *testing.T) string {
	t.Helper()
	n.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 4096)
	k, err := n.conn.Read(buf)
	if err != nil {
		t.Fatalf("no notification: %v", err)
	}
	return string(buf[:k])
}
