package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitLimit bounds every wait for the example's output. Waits end as soon
// as the line arrives; the limit only turns a hang into a failure.
const waitLimit = 30 * time.Second

// lines sends r's lines on the returned channel and closes it at EOF.
func lines(r io.Reader) <-chan string {
	ch := make(chan string, 256)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}

// await returns the next line from ch with the prefix, and the lines
// before it; it fails the test after waitLimit or at EOF.
func await(t *testing.T, ch <-chan string, prefix string) (line string, before []string) {
	t.Helper()
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	for {
		select {
		case l, ok := <-ch:
			if !ok {
				t.Fatalf("no line %q before EOF; got %q", prefix, before)
			}
			if strings.HasPrefix(l, prefix) {
				return l, before
			}
			before = append(before, l)
		case <-timer.C:
			t.Fatalf("no line %q within %v; got %q", prefix, waitLimit, before)
		}
	}
}

// take returns the next n lines from ch.
func take(t *testing.T, ch <-chan string, n int) []string {
	t.Helper()
	var got []string
	for len(got) < n {
		l, _ := await(t, ch, "")
		got = append(got, l)
	}
	return got
}

// rest returns the lines left on ch until EOF.
func rest(t *testing.T, ch <-chan string) []string {
	t.Helper()
	var got []string
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	for {
		select {
		case l, ok := <-ch:
			if !ok {
				return got
			}
			got = append(got, l)
		case <-timer.C:
			t.Fatalf("output not closed within %v; got %q", waitLimit, got)
		}
	}
}

// TestRunFlags: bad flags exit 2, an address that cannot be used 1,
// before anything is bound.
func TestRunFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--stop-timeout", "0"}, 2, "--stop-timeout 0s: want more than 0"},
		{[]string{"--nope"}, 2, "flag provided but not defined"},
		{[]string{"extra"}, 2, "unexpected arguments"},
		{[]string{"--gather", "-1ms"}, 2, "--gather -1ms: want 0 to 100ms"},
		{[]string{"--gather", "1s"}, 2, "--gather 1s: want 0 to 100ms"},
		{[]string{"--listen", "tcp://127.0.0.1:0", "--metrics", ""}, 1, `unknown scheme "tcp"`},
		{[]string{"--listen", "udp://127.0.0.1:0", "--metrics", "127.0.0.1:bad"}, 1, "--metrics:"},
	} {
		var stderr bytes.Buffer
		if code := run(tt.args, io.Discard, &stderr, nil); code != tt.code || !strings.Contains(stderr.String(), tt.msg) {
			t.Errorf("run(%q) = %d, stderr %q; want %d and %q", tt.args, code, stderr.String(), tt.code, tt.msg)
		}
	}
}

// TestRunStopsOnSignal runs the program in this process (so -race sees
// it) on UDP port 0 in readable mode, sends two datagrams with package
// net, and stops it as a signal would.
func TestRunStopsOnSignal(t *testing.T) {
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	stdout, stderr := lines(outR), lines(errR)
	sigs := make(chan os.Signal, 2)
	code := make(chan int, 1)
	go func() {
		defer outW.Close()
		defer errW.Close()
		code <- run([]string{"--listen", "udp://127.0.0.1:0", "--metrics", ""}, outW, errW, sigs)
	}()
	l, _ := await(t, stderr, "syslog: listening on udp://")
	addr := strings.TrimPrefix(l, "syslog: listening on udp://")
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, m := range []string{logger3164, "not syslog"} {
		if _, err := c.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	got := take(t, stdout, 2) // the writer flushes within flushDelay
	// The year and zone of an RFC 3164 timestamp are the receiver's.
	if !strings.Contains(got[0], "-11-22T05:32:17") || !strings.HasSuffix(got[0], " user.err vm other: hello 3164") {
		t.Errorf("line 1 = %q, want YYYY-11-22T05:32:17 user.err vm other: hello 3164", got[0])
	}
	if !strings.Contains(got[1], ` unknown 127.0.0.1:`) || !strings.Contains(got[1], `"not syslog" (syslog: byte 0: want <PRI>)`) {
		t.Errorf("line 2 = %q, want the datagram quoted as unknown", got[1])
	}
	sigs <- syscall.SIGTERM
	summary, _ := await(t, stderr, "syslog: 2 messages:")
	if want := "syslog: 2 messages: emerg=0 alert=0 crit=0 err=1 warning=0 notice=0 info=0 debug=0 unknown=1 dropped=0 truncated=0"; summary != want {
		t.Errorf("summary %q, want %q", summary, want)
	}
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("exit status %d, want 0; stderr %q", c, rest(t, stderr))
		}
	case <-time.After(waitLimit):
		t.Fatalf("run did not return within %v of SIGTERM", waitLimit)
	}
	if extra := rest(t, stdout); len(extra) > 0 {
		t.Errorf("unexpected output: %q", extra)
	}
}

// utilLinuxLogger returns util-linux's logger, or skips: the test drives
// its --udp, --server, --port, --rfc5424 and --socket options, which the
// BSD and macOS logger lack.
func utilLinuxLogger(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("logger")
	if err != nil {
		t.Skip("logger not installed: install util-linux's (Debian: apt-get install bsdutils) for the real-client test")
	}
	out, err := exec.Command(path, "--version").CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("util-linux")) {
		t.Skipf("%s is not util-linux's logger (--version: %q, %v): the real-client test needs its --udp/--socket options", path, out, err)
	}
	return path
}

// buildExample builds this program into a temporary directory.
func buildExample(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to build the example with")
	}
	bin := filepath.Join(t.TempDir(), "syslog")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// example is a running syslog binary.
type example struct {
	cmd            *exec.Cmd
	stdout, stderr <-chan string
}

func startExample(t *testing.T, bin string, args ...string) *example {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel) // kills it if the test ends first
	cmd := exec.CommandContext(ctx, bin, args...)
	outR, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errR, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return &example{cmd: cmd, stdout: lines(outR), stderr: lines(errR)}
}

// stop sends SIGTERM and returns the rest of stdout and stderr and the
// exit status.
func (x *example) stop(t *testing.T) (stdout, stderr []string, code int) {
	t.Helper()
	if err := x.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	stdout, stderr = rest(t, x.stdout), rest(t, x.stderr) // EOF: it has exited
	err := x.cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return stdout, stderr, x.cmd.ProcessState.ExitCode()
}

// sendLogger runs logger with args.
func sendLogger(t *testing.T, logger string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if out, err := exec.CommandContext(ctx, logger, args...).CombinedOutput(); err != nil {
		t.Fatalf("logger %q: %v\n%s", args, err, out)
	}
}

// decode parses --json lines, keyed by App.
func decode(t *testing.T, lines []string) map[string]jsonRecord {
	t.Helper()
	got := make(map[string]jsonRecord)
	for _, l := range lines {
		var r jsonRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("not a JSON line: %q: %v", l, err)
		}
		got[r.App] = r
	}
	return got
}

// wantMessage is what the test checks of each message logger sent.
type wantMessage struct {
	format             string
	facility, severity int
	host               bool // whether logger sends a HOSTNAME in this form
	procID             bool // -i: logger's pid
	text               string
}

func checkRecords(t *testing.T, got map[string]jsonRecord, want map[string]wantMessage) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d messages, want %d: %+v", len(got), len(want), got)
	}
	for app, w := range want {
		g, ok := got[app]
		switch {
		case !ok:
			t.Errorf("no message from %s; got %+v", app, got)
		case g.Format != w.format || g.Facility != w.facility || g.Severity != w.severity || g.Text != w.text:
			t.Errorf("%s: got %s facility %d severity %d text %q, want %s %d %d %q",
				app, g.Format, g.Facility, g.Severity, g.Text, w.format, w.facility, w.severity, w.text)
		case (g.Host != "") != w.host:
			t.Errorf("%s: host %q, want one: %v", app, g.Host, w.host)
		case (g.ProcID != "") != w.procID:
			t.Errorf("%s: procid %q, want one: %v", app, g.ProcID, w.procID)
		case g.Timestamp.IsZero() || g.Timestamp.Sub(g.Received).Abs() > time.Minute:
			t.Errorf("%s: timestamp %v, received %v", app, g.Timestamp, g.Received)
		}
	}
}

// TestLoggerUDP drives the built program with util-linux logger over
// UDP, in both formats, and scrapes /metrics while it runs.
func TestLoggerUDP(t *testing.T) {
	logger := utilLinuxLogger(t)
	x := startExample(t, buildExample(t), "--listen", "udp://127.0.0.1:0", "--metrics", "127.0.0.1:0", "--json")
	l, before := await(t, x.stderr, "syslog: listening on udp://")
	if len(before) > 0 {
		t.Errorf("stderr before the address: %q", before)
	}
	_, port, err := net.SplitHostPort(strings.TrimPrefix(l, "syslog: listening on udp://"))
	if err != nil {
		t.Fatalf("%q: %v", l, err)
	}
	l, _ = await(t, x.stderr, "syslog: metrics on http://")
	metricsURL := strings.TrimPrefix(l, "syslog: metrics on ")

	sendLogger(t, logger, "--udp", "--server", "127.0.0.1", "--port", port, "--rfc5424", "-p", "local0.warning", "-t", "myapp", "hello 5424")
	sendLogger(t, logger, "--udp", "--server", "127.0.0.1", "--port", port, "--rfc3164", "-p", "user.err", "-t", "other", "hello 3164")
	// Both lines written means both datagrams were counted: the engine
	// counts a batch before it calls the handler.
	lines := take(t, x.stdout, 2)

	if n := datagramsTotal(t, metricsURL); n < 2 {
		t.Errorf("udprx_datagrams_total %d, want at least 2", n)
	}

	more, stderr, code := x.stop(t)
	lines = append(lines, more...)
	checkRecords(t, decode(t, lines), map[string]wantMessage{
		"myapp": {Format5424, 16, 4, true, false, "hello 5424"},
		"other": {Format3164, 1, 3, true, false, "hello 3164"},
	})
	checkExit(t, stderr, code, "syslog: 2 messages: emerg=0 alert=0 crit=0 err=1 warning=1 notice=0 info=0 debug=0 unknown=0 dropped=0 truncated=0")
}

// TestLoggerUnixgram drives it with logger --socket on a unix datagram
// socket, as a /dev/log receiver: logger's own local form (no HOSTNAME)
// and RFC 5424.
func TestLoggerUnixgram(t *testing.T) {
	logger := utilLinuxLogger(t)
	sock := filepath.Join(t.TempDir(), "log.sock")
	x := startExample(t, buildExample(t), "--listen", "unixgram://"+sock, "--metrics", "", "--json")
	if l, before := await(t, x.stderr, "syslog: listening on "); l != "syslog: listening on unixgram://"+sock || len(before) > 0 {
		t.Fatalf("%q (after %q), want it on unixgram://%s", l, before, sock)
	}

	// --socket-errors=on: fail rather than fall silent if the socket is
	// not there.
	sendLogger(t, logger, "--socket", sock, "--socket-errors=on", "-p", "daemon.info", "-t", "unixapp", "hello unix")
	sendLogger(t, logger, "--socket", sock, "--socket-errors=on", "-i", "-p", "auth.notice", "-t", "withpid", "with pid")
	sendLogger(t, logger, "--socket", sock, "--socket-errors=on", "--rfc5424", "-p", "local3.debug", "-t", "u5", "unix 5424")

	lines, stderr, code := x.stop(t)
	checkRecords(t, decode(t, lines), map[string]wantMessage{
		"unixapp": {Format3164, 3, 6, false, false, "hello unix"},
		"withpid": {Format3164, 4, 5, false, true, "with pid"},
		"u5":      {Format5424, 19, 7, true, false, "unix 5424"},
	})
	checkExit(t, stderr, code, "syslog: 3 messages: emerg=0 alert=0 crit=0 err=0 warning=0 notice=1 info=1 debug=1 unknown=0 dropped=0 truncated=0")
	if _, err := os.Lstat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file left after the stop: %v", err)
	}
}

func checkExit(t *testing.T, stderr []string, code int, summary string) {
	t.Helper()
	if code != 0 {
		t.Errorf("exit status %d, want 0; stderr %q", code, stderr)
	}
	found := false
	for _, l := range stderr {
		found = found || l == summary
	}
	if !found {
		t.Errorf("stderr %q lacks the summary %q", stderr, summary)
	}
}

// datagramsTotal scrapes url and sums udprx_datagrams_total over loops.
func datagramsTotal(t *testing.T, url string) int {
	t.Helper()
	client := &http.Client{Timeout: waitLimit}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	total, series := 0, 0
	for l := range strings.Lines(string(body)) {
		if !strings.HasPrefix(l, "udprx_datagrams_total{") {
			continue
		}
		f := strings.Fields(l)
		n, err := strconv.Atoi(f[len(f)-1])
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		total += n
		series++
	}
	if series == 0 {
		t.Fatalf("GET %s: no udprx_datagrams_total:\n%s", url, body)
	}
	return total
}
