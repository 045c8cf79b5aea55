package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/udprx/udprx/bench/peers"
	"github.com/udprx/udprx/bench/wire"
)

// TestUdpbench builds the udpbench binary once and runs it as a user would.
func TestUdpbench(t *testing.T) {
	bin := buildUdpbench(t)

	t.Run("send json", func(t *testing.T) {
		l := newListener(t)
		res := runBin(t, bin, "send", "--to", l.addr(), "--count", "1000", "--rate", "100000", "--json")
		if res.status != 0 || res.stderr != "" {
			t.Fatalf("exit %d, stderr %q", res.status, res.stderr)
		}
		var sum map[string]any
		dec := json.NewDecoder(strings.NewReader(res.stdout))
		if err := dec.Decode(&sum); err != nil {
			t.Fatalf("stdout %q: %v", res.stdout, err)
		}
		if dec.More() {
			t.Fatalf("stdout has more than one JSON object: %q", res.stdout)
		}
		for field, want := range map[string]any{
			"datagrams": 1000.0, "bytes": 64000.0, "errors": 0.0,
			"flows": 1.0, "gso": false, "size": 64.0,
		} {
			if sum[field] != want {
				t.Errorf("%s = %v, want %v", field, sum[field], want)
			}
		}
		for _, field := range []string{"seconds", "rate_pps", "gbps", "calls"} {
			if v, ok := sum[field].(float64); !ok || v <= 0 {
				t.Errorf("%s = %v, want a positive number", field, sum[field])
			}
		}
		if got := l.waitFor(t, 1000); got != 1000 {
			t.Errorf("listener received %d datagrams, want 1000", got)
		}
	})

	t.Run("send text", func(t *testing.T) {
		l := newListener(t)
		res := runBin(t, bin, "send", "--to", l.addr(), "--count", "10", "--size", "100", "--flows", "2")
		if res.status != 0 || !strings.Contains(res.stdout, "sent 10 datagrams, 1000 bytes") {
			t.Fatalf("exit %d, stdout %q, stderr %q", res.status, res.stdout, res.stderr)
		}
		// Not a terminal: no progress lines.
		if res.stderr != "" {
			t.Errorf("stderr %q, want nothing", res.stderr)
		}
	})

	t.Run("sigint prints summary", func(t *testing.T) {
		l := newListener(t)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "send", "--to", l.addr(), "--duration", "0", "--rate", "10000", "--json")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Datagrams arriving mean the signal handler is installed.
		l.waitFor(t, 1)
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("%v; stderr %q", err, stderr.String())
		}
		var sum struct{ Datagrams uint64 }
		if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil || sum.Datagrams == 0 {
			t.Fatalf("stdout %q (%v), want a summary with datagrams", stdout.String(), err)
		}
	})

	t.Run("help", func(t *testing.T) {
		for _, args := range [][]string{{"help", "send"}, {"send", "-h"}, {"send", "--help"}} {
			res := runBin(t, bin, args...)
			if res.status != 0 {
				t.Fatalf("%q: exit %d, stderr %q", args, res.status, res.stderr)
			}
			for _, flag := range []string{"--to HOST:PORT", "--size BYTES", "--rate N", "--duration DURATION", "--count N", "--flows N", "--gso", "--batch N", "--json", "--quiet", "(default 64)", "(default 5s)"} {
				if !strings.Contains(res.stdout, flag) {
					t.Errorf("%q: help does not mention %q:\n%s", args, flag, res.stdout)
				}
			}
		}
		res := runBin(t, bin, "help")
		if res.status != 0 || !strings.Contains(res.stdout, "send") || !strings.Contains(res.stdout, "recv") {
			t.Fatalf("help: exit %d, stdout %q", res.status, res.stdout)
		}
	})

	t.Run("bad command lines", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string // in the one line on stderr
		}{
			{nil, "no command"},
			{[]string{"bogus"}, `unknown command "bogus"`},
			{[]string{"help", "bogus"}, `"bogus"`},
			{[]string{"send"}, "udpbench send: --to is required"},
			{[]string{"send", "--to", "127.0.0.1:9", "--bogus"}, "-bogus"},
			{[]string{"send", "--to", "127.0.0.1:9", "--rate", "fast"}, "-rate"},
			{[]string{"send", "--to", "127.0.0.1:9", "--duration", "5"}, "-duration"},
			{[]string{"send", "--to", "127.0.0.1:9", "--size", "70000"}, "size 70000"},
			{[]string{"send", "--to", "127.0.0.1:9", "--size", "0"}, "--size 0"},
			{[]string{"send", "--to", "127.0.0.1:9", "--flows", "-2"}, "flows -2"},
			{[]string{"send", "--to", "127.0.0.1:9", "--batch", "0"}, "--batch 0"},
			{[]string{"send", "--to", "127.0.0.1"}, `to "127.0.0.1"`},
			{[]string{"send", "--to", "127.0.0.1:9", "extra"}, `"extra"`},
			{[]string{"recv", "--stop-timeout", "0"}, "--stop-timeout 0s"},
			{[]string{"recv", "--stop-timeout", "-1s"}, "--stop-timeout -1s"},
			{[]string{"recv", "--incoming-cpu"}, "--incoming-cpu needs --pin-cpu"},
			{[]string{"recv", "--receiver", "stdlib", "--pin-cpu"}, "--pin-cpu and --incoming-cpu are for --receiver udprx"},
			{[]string{"recv", "--receiver", "bogus"}, `unknown receiver "bogus"`},
			{[]string{"recv", "--listen", "127.0.0.1:9"}, `Config.Addr "127.0.0.1:9"`},
			{[]string{"recv", "--receiver", "stdlib", "--listen", "127.0.0.1:9"}, `listen address "127.0.0.1:9"`},
			{[]string{"recv", "--batch", "5000"}, "Config.BatchSize 5000"},
		} {
			res := runBin(t, bin, tc.args...)
			lines := strings.Split(strings.TrimRight(res.stderr, "\n"), "\n")
			if res.status != 2 || len(lines) != 1 || !strings.Contains(lines[0], tc.want) || res.stdout != "" {
				t.Errorf("%q: exit %d, stderr %q, stdout %q; want 2 and one line naming %q", tc.args, res.status, res.stderr, res.stdout, tc.want)
			}
		}
	})
}

// TestRecvRunFailureExitsOne: a recv whose command line is fine but whose
// sockets cannot be opened exits 1 with one line naming the cause; 2 is
// for usage errors only.
func TestRecvRunFailureExitsOne(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs unix datagram sockets")
	}
	bin := buildUdpbench(t)
	held, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	path := filepath.Join(t.TempDir(), "held.sock")
	live, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	for _, tc := range []struct {
		name string
		args []string
		want string // in the one line on stderr
	}{
		{"port held", []string{"recv", "--loops", "1", "--listen", "udp4://" + held.LocalAddr().String()}, "address already in use"},
		{"port held, stdlib", []string{"recv", "--receiver", "stdlib", "--listen", "udp4://" + held.LocalAddr().String()}, "address already in use"},
		{"path another instance serves", []string{"recv", "--listen", "unixgram://" + path}, "another process is serving on it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runBin(t, bin, append(tc.args, "--duration", "1s", "--quiet")...)
			lines := strings.Split(strings.TrimRight(res.stderr, "\n"), "\n")
			if res.status != exitError || len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and one line naming %q", res.status, res.stderr, exitError, tc.want)
			}
		})
	}
	t.Run("descriptors exhausted", func(t *testing.T) {
		prlimit, err := exec.LookPath("prlimit")
		if err != nil {
			t.Skip("prlimit (util-linux) not installed")
		}
		// A hard limit of 8 leaves the runtime and stdio their descriptors
		// and the engine's loops none.
		res := runBin(t, prlimit, "--nofile=8:8", bin, "recv", "--loops", "4", "--listen", "udp4://127.0.0.1:0", "--duration", "1s", "--quiet")
		if res.status != exitError || !strings.Contains(res.stderr, "too many open files") {
			t.Errorf("exit %d, stderr %q; want %d naming EMFILE", res.status, res.stderr, exitError)
		}
	})
}

// buildUdpbench builds this package's binary into a temporary directory.
func buildUdpbench(t *testing.T) string {
	t.Helper()
	gotool, err := exec.LookPath("go") // go test puts GOROOT/bin first in PATH
	if err != nil {
		t.Fatalf("go tool: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "udpbench")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, gotool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type result struct {
	status         int
	stdout, stderr string
}

// runBin runs bin with args, with a 30 s limit, and returns its exit status
// and output.
func runBin(t *testing.T, bin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	status := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok || ctx.Err() != nil {
			t.Fatalf("%q: %v (stderr %q)", args, err, stderr.String())
		}
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("%q: killed by %v", args, ws.Signal())
		}
		status = ee.ExitCode()
	}
	return result{status, stdout.String(), stderr.String()}
}

// listener is a loopback UDP socket counting the valid udpbench datagrams
// it receives.
type listener struct {
	conn  *net.UDPConn
	count atomic.Int64
	news  chan struct{} // a value after each datagram, if there is room
}

func newListener(t *testing.T) *listener {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetReadBuffer(8 << 20); err != nil {
		t.Fatal(err)
	}
	l := &listener{conn: c, news: make(chan struct{}, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1<<16)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			if _, ok := wire.ParseHeader(buf[:n]); ok {
				l.count.Add(1)
				select {
				case l.news <- struct{}{}:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return l
}

func (l *listener) addr() string { return l.conn.LocalAddr().String() }

// waitFor waits up to 10 s for n datagrams and returns the count then.
func (l *listener) waitFor(t *testing.T, n int64) int64 {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for l.count.Load() < n {
		select {
		case <-l.news:
		case <-deadline:
			return l.count.Load()
		}
	}
	return l.count.Load()
}

// TestRecvEveryReceiver runs every receiver through `udpbench recv`, not
// only through compare: each starts, receives, stops cleanly and prints a
// JSON summary naming its address (rawmmsg once panicked here, asking its
// closed socket for its address).
func TestRecvEveryReceiver(t *testing.T) {
	bin := buildUdpbench(t)
	for _, name := range peers.ReceiverNames() {
		t.Run(name, func(t *testing.T) {
			r := runBin(t, bin, "recv", "--receiver", name, "--listen", "udp://127.0.0.1:0", "--duration", "200ms", "--json")
			if r.status != 0 {
				t.Fatalf("exit %d, stderr %q", r.status, r.stderr)
			}
			var sum struct {
				Receiver, Listen string
			}
			if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
				t.Fatalf("summary %q: %v", r.stdout, err)
			}
			if sum.Receiver != name || !strings.HasPrefix(sum.Listen, "127.0.0.1:") {
				t.Errorf("summary receiver %q listen %q, want %q on 127.0.0.1", sum.Receiver, sum.Listen, name)
			}
		})
	}
}
