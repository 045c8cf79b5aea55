package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEchoRR runs udpbench echo and drives it with udpbench rr, closed
// loop and paced, as a user would: every request is answered, and both
// JSON summaries carry their fields and agree.
func TestEchoRR(t *testing.T) {
	bin := buildUdpbench(t)
	p := startRecv(t, []string{bin, "echo", "--listen", "udp4://127.0.0.1:0", "--loops", "1", "--json", "--log", "warn"})
	var sent float64
	for _, mode := range [][]string{
		{"--flows", "2"},
		{"--flows", "2", "--rate", "4000", "--size", "200"},
	} {
		args := append([]string{"rr", "--to", p.addr.String(), "--duration", "300ms", "--timeout", "2s", "--json"}, mode...)
		res := runBin(t, bin, args...)
		if res.status != 0 {
			t.Fatalf("rr %v: exit %d, stderr %q", mode, res.status, res.stderr)
		}
		var st map[string]any
		if err := json.Unmarshal([]byte(res.stdout), &st); err != nil {
			t.Fatalf("rr %v: stdout %q: %v", mode, res.stdout, err)
		}
		for _, f := range []string{"sent", "answered", "answered_pps", "p50_ns", "p90_ns", "p99_ns", "p99_9_ns", "max_ns", "seconds"} {
			if v, ok := st[f].(float64); !ok || v <= 0 {
				t.Errorf("rr %v: %s = %v, want a positive number", mode, f, st[f])
			}
		}
		if st["answered"] != st["sent"] || st["unanswered"] != 0.0 || st["loss_percent"] != 0.0 {
			t.Errorf("rr %v: sent %v, answered %v, unanswered %v, loss %v%%: want all answered",
				mode, st["sent"], st["answered"], st["unanswered"], st["loss_percent"])
		}
		sent += st["sent"].(float64)
	}
	p.signal(t, syscall.SIGTERM)
	sum := p.wait(t)
	if sum["server"] != "udprx" || sum["datagrams"] != sent || sum["replies"] != sent {
		t.Errorf("echo summary %v: want server udprx, %v datagrams and replies", sum, sent)
	}
	for _, f := range []string{"kernel_drops", "send_drops", "errors"} {
		if sum[f] != 0.0 {
			t.Errorf("echo summary %s = %v, want 0", f, sum[f])
		}
	}
}

// TestEchoSockperf measures udpbench echo with a client that is not ours:
// sockperf's ping-pong and under-load against --server udprx-sockperf
// must report no dropped message, and in ping-pong every message sent in
// its measured interval answered.
func TestEchoSockperf(t *testing.T) {
	sockperf, err := exec.LookPath("sockperf")
	if err != nil {
		t.Skip("sockperf not installed (CI installs it: apt-get install sockperf)")
	}
	bin := buildUdpbench(t)
	p := startRecv(t, []string{bin, "echo", "--server", "udprx-sockperf", "--listen", "udp4://127.0.0.1:0",
		"--loops", "1", "--json", "--log", "warn"})
	valid := regexp.MustCompile(`\[Valid Duration\] RunTime=[0-9.]+ sec; SentMessages=(\d+); ReceivedMessages=(\d+)`)
	dropped := regexp.MustCompile(`# dropped messages = (\d+);`)
	for _, mode := range [][]string{
		{"ping-pong"},
		{"under-load", "--mps=10000"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		args := append(mode, "-i", p.addr.IP.String(), "-p", strconv.Itoa(p.addr.Port), "-t", "1", "-m", "64")
		out, err := exec.CommandContext(ctx, sockperf, args...).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("sockperf %v: %v\n%s", mode, err, out)
		}
		v, d := valid.FindSubmatch(out), dropped.FindSubmatch(out)
		if v == nil || d == nil {
			t.Fatalf("sockperf %v: no summary:\n%s", mode, out)
		}
		sentN, _ := strconv.Atoi(string(v[1]))
		recvN, _ := strconv.Atoi(string(v[2]))
		t.Logf("sockperf %s: sent %d, received %d, dropped %s", mode[0], sentN, recvN, d[1])
		if string(d[1]) != "0" || recvN == 0 {
			t.Errorf("sockperf %v: %s dropped, %d received:\n%s", mode, d[1], recvN, strings.TrimSpace(string(out)))
		}
		if mode[0] == "ping-pong" && recvN != sentN {
			t.Errorf("sockperf ping-pong: %d sent, %d answered in its measured interval", sentN, recvN)
		}
	}
	p.signal(t, syscall.SIGTERM)
	sum := p.wait(t)
	if sum["send_drops"] != 0.0 || sum["kernel_drops"] != 0.0 {
		t.Errorf("echo summary %v: want no drops", sum)
	}
}
