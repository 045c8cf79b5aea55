//go:build unix

package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The loggen tests are unix-only: they pause the program with SIGSTOP.

// lookLoggen returns syslog-ng's loggen, or skips.
func lookLoggen(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("loggen")
	if err != nil {
		t.Skip("loggen not installed: install syslog-ng's (Debian: apt-get install syslog-ng-core) for the load test")
	}
	return path
}

// summaryRE and engineRE read the two exit lines on stderr.
var (
	summaryRE = regexp.MustCompile(`^syslog: (\d+) messages: .* info=(\d+) debug=\d+ unknown=(\d+) dropped=(\d+) truncated=(\d+)$`)
	engineRE  = regexp.MustCompile(`^syslog: engine: (\d+) datagrams read, kernel_drops=(\d+) discarded=(\d+)$`)
	loggenRE  = regexp.MustCompile(`count=(\d+),`)
)

// TestLoggen drives the built program with loggen in its default form
// (the BSD header with an RFC 3339 time) and checks that every message
// loggen sent is accounted for: read and parsed, none unknown, and the
// datagrams read plus the kernel's drops are loggen's count exactly. The
// 5000 messages (1 s at 5000/s) all fit in the default receive buffer
// (it queues 6553 of loggen's 256-byte datagrams on Linux 6.18), so
// nothing may be lost even if the program stalled for the whole run.
func TestLoggen(t *testing.T) {
	sent, c := runLoggen(t, false, nil, "--rate", "5000", "--number", "5000")
	if c.read != sent || c.kernelDrops != 0 || c.dropped != 0 {
		t.Errorf("loggen sent %d; read %d, kernel drops %d, output drops %d: want none lost", sent, c.read, c.kernelDrops, c.dropped)
	}
}

// TestLoggenKernelDrops checks that the kernel_drops count is exact:
// the program is stopped (SIGSTOP) while loggen sends 20000 messages
// into a 64 KiB receive buffer, so the kernel must drop most of them,
// and the datagrams read plus kernel_drops must still be loggen's count.
func TestLoggenKernelDrops(t *testing.T) {
	sent, c := runLoggen(t, true, []string{"--loops", "1", "--rcvbuf", "65536"}, "--rate", "1000000", "--number", "20000")
	if c.kernelDrops == 0 || c.read == 0 {
		t.Errorf("loggen sent %d into a stopped program with a 64 KiB buffer; read %d, kernel drops %d: want some of each", sent, c.read, c.kernelDrops)
	}
}

// loggenCounts is what the program's exit lines say.
type loggenCounts struct {
	read, kernelDrops, discarded, dropped int
}

// runLoggen starts the built program with extra flags, sends loggen's
// default messages with loggenArgs (SIGSTOPping the program meanwhile
// if pause), stops it, checks what holds in any run (every message read
// is parsed as auth.info, the read plus the kernel's drops are loggen's
// count, every message not dropped by the output is written) and returns
// loggen's count and the program's.
func runLoggen(t *testing.T, pause bool, extra []string, loggenArgs ...string) (int, loggenCounts) {
	t.Helper()
	loggen := lookLoggen(t)
	bin := buildExample(t)
	outPath := filepath.Join(t.TempDir(), "out")
	out, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--listen", "udp://127.0.0.1:0", "--metrics", ""}, extra...)...)
	cmd.Stdout = out // a file, not a pipe read line by line: the output must keep up
	errR, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stderrLines := lines(errR)
	l, _ := await(t, stderrLines, "syslog: listening on udp://")
	_, port, err := net.SplitHostPort(strings.TrimPrefix(l, "syslog: listening on udp://"))
	if err != nil {
		t.Fatalf("%q: %v", l, err)
	}
	if l, _ := await(t, stderrLines, "syslog: "); !strings.Contains(l, "receive buffer") {
		t.Errorf("second stderr line %q, want the loops and receive buffer", l)
	}

	if pause {
		if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
	}
	lctx, lcancel := context.WithTimeout(ctx, waitLimit)
	defer lcancel()
	lout, err := exec.CommandContext(lctx, loggen, append(append([]string{"--dgram"}, loggenArgs...), "127.0.0.1", port)...).CombinedOutput()
	if pause {
		if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
	}
	m := loggenRE.FindSubmatch(lout)
	if err != nil || m == nil {
		t.Fatalf("loggen: %v\n%s", err, lout)
	}
	sent, _ := strconv.Atoi(string(m[1]))
	if sent == 0 {
		t.Fatalf("loggen sent nothing:\n%s", lout)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	stderr := rest(t, stderrLines)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v; stderr %q", err, stderr)
	}
	var summary, eng []string
	for _, l := range stderr {
		if s := summaryRE.FindStringSubmatch(l); s != nil {
			summary = s
		}
		if s := engineRE.FindStringSubmatch(l); s != nil {
			eng = s
		}
	}
	if summary == nil || eng == nil {
		t.Fatalf("stderr %q lacks the summary or the engine line", stderr)
	}
	n := func(s string) int { v, _ := strconv.Atoi(s); return v }
	total, info, unknownN, truncated := n(summary[1]), n(summary[2]), n(summary[3]), n(summary[5])
	c := loggenCounts{read: n(eng[1]), kernelDrops: n(eng[2]), discarded: n(eng[3]), dropped: n(summary[4])}
	t.Logf("loggen sent %d; read %d, kernel drops %d, discarded %d, output drops %d", sent, c.read, c.kernelDrops, c.discarded, c.dropped)
	if c.read+c.kernelDrops+c.discarded != sent {
		t.Errorf("read %d + kernel drops %d + discarded %d = %d, loggen sent %d", c.read, c.kernelDrops, c.discarded, c.read+c.kernelDrops+c.discarded, sent)
	}
	if total != c.read || info != c.read || unknownN != 0 || truncated != 0 {
		t.Errorf("%d datagrams read, all auth.info; summary %q: want each counted as info, none unknown or truncated", c.read, summary[0])
	}
	data, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	written := strings.Count(string(data), "\n")
	first, _, _ := strings.Cut(string(data), "\n")
	if written != total-c.dropped || !strings.Contains(first, " auth.info localhost prg00000[1234]: seq: 0000000000, thread: 0000,") {
		t.Errorf("%d lines written, want %d; the first %q, want loggen's first message as auth.info from prg00000[1234]", written, total-c.dropped, first)
	}
	return sent, c
}
