package main

import (
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRecvCountsSockperf cross-checks udpbench recv against a tool that
// is not ours: sockperf sends at a rate far below capacity and says how
// many messages it sent; recv must count exactly that many, all of them
// foreign (no udpbench header).
func TestRecvCountsSockperf(t *testing.T) {
	sockperf, err := exec.LookPath("sockperf")
	if err != nil {
		t.Skip("sockperf not installed (CI installs it: apt-get install sockperf)")
	}
	bin := buildUdpbench(t)
	p := startRecv(t, []string{bin, "recv", "--listen", "udp4://127.0.0.1:0", "--loops", "1",
		"--duration", "0", "--json", "--log", "warn"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, sockperf, "throughput", "-i", p.addr.IP.String(),
		"-p", strconv.Itoa(p.addr.Port), "--mps=20000", "-t", "2", "-m", "64").CombinedOutput()
	if err != nil {
		t.Fatalf("sockperf: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Total of (\d+) messages sent`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("sockperf did not say how many it sent:\n%s", out)
	}
	sent, _ := strconv.ParseFloat(string(m[1]), 64)
	p.signal(t, syscall.SIGTERM)
	sum := p.wait(t)
	lat, _ := sum["latency"].(map[string]any)
	t.Logf("sockperf sent %v; recv counted %v (foreign %v)", sent, sum["datagrams"], lat["foreign"])
	if sum["datagrams"].(float64) != sent {
		t.Errorf("recv counted %v datagrams, sockperf sent %v\n%s", sum["datagrams"], sent, strings.TrimSpace(string(out)))
	}
	if lat == nil || lat["foreign"].(float64) != sent {
		t.Errorf("recv counted %v foreign payloads, want all %v", lat["foreign"], sent)
	}
}
