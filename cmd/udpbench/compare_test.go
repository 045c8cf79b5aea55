package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/udprx/udprx/bench/peers"
)

// captureRun runs a command function in this process with its standard
// output and error going to files, and returns its status and both outputs.
func captureRun(t *testing.T, f func([]string) int, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	dir := t.TempDir()
	outF, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	errF, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	oldOut, oldErr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = outF, errF
	func() {
		defer func() { os.Stdout, os.Stderr = oldOut, oldErr }()
		status = f(args)
	}()
	outF.Close()
	errF.Close()
	o, _ := os.ReadFile(outF.Name())
	e, _ := os.ReadFile(errF.Name())
	return status, string(o), string(e)
}

// TestCompareZerolossBadFlags checks that every invalid flag gives status 2
// and one line on standard error naming it, before anything runs.
func TestCompareZerolossBadFlags(t *testing.T) {
	for _, tc := range []struct {
		cmd  string
		args []string
		want string
	}{
		{"compare", []string{"--receivers", "udprx,bogus"}, `--receivers "udprx,bogus": unknown receiver "bogus"`},
		{"compare", []string{"--receivers", ""}, "--receivers"},
		{"compare", []string{"--receivers", "udprx,udprx"}, "given twice"},
		{"compare", []string{"--sizes", "0"}, "--sizes"},
		{"compare", []string{"--sizes", "64,x"}, `"x" is not a whole number`},
		{"compare", []string{"--sizes", "70000"}, "70000 is outside"},
		{"compare", []string{"--sizes", "64,64"}, "64 given twice"},
		{"compare", []string{"--rate", "-1"}, "--rate -1"},
		{"compare", []string{"--rate", "NaN"}, "--rate NaN"},
		{"compare", []string{"--rate", "fast"}, "-rate"},
		{"compare", []string{"--duration", "0s"}, "--duration 0s"},
		{"compare", []string{"--duration", "5"}, "-duration"},
		{"compare", []string{"--reps", "0"}, "--reps 0"},
		{"compare", []string{"--drain", "-1"}, "--drain -1"},
		{"compare", []string{"--drain", "100", "--rate", "1000"}, "--drain 100 with --rate 1000"},
		{"compare", []string{"--loops", "0"}, "--loops 0"},
		{"compare", []string{"--batch", "2000"}, "--batch 2000"},
		{"compare", []string{"--rcvbuf", "0"}, "--rcvbuf 0"},
		{"compare", []string{"--out", "report.pdf"}, `--out "report.pdf"`},
		{"compare", []string{"--out", "/nonexistent/dir/report.svg"}, "does not exist"},
		{"compare", []string{"--sender", "/nonexistent/udpbench"}, "--sender"},
		{"compare", []string{"--bogus"}, "-bogus"},
		{"compare", []string{"extra"}, `"extra"`},
		{"zeroloss", []string{"--receiver", "nope"}, `--receiver "nope"`},
		{"zeroloss", []string{"--size", "0"}, "--size 0"},
		{"zeroloss", []string{"--trial", "0s"}, "--trial 0s"},
		{"zeroloss", []string{"--threshold", "101"}, "--threshold 101"},
		{"zeroloss", []string{"--threshold", "-1"}, "--threshold -1"},
		{"zeroloss", []string{"--max-trials", "0"}, "--max-trials 0"},
		{"zeroloss", []string{"--lo", "-5"}, "--lo -5"},
		{"zeroloss", []string{"--lo", "10", "--hi", "5"}, "--hi 5"},
		{"zeroloss", []string{"--resolution", "-1"}, "--resolution -1"},
		{"zeroloss", []string{"--loops", "-1"}, "--loops -1"},
		{"zeroloss", []string{"--json", "x"}, `"x"`},
	} {
		f := runCompare
		if tc.cmd == "zeroloss" {
			f = runZeroloss
		}
		status, stdout, stderr := captureRun(t, f, tc.args...)
		lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
		if status != exitUsage || len(lines) != 1 || !strings.Contains(lines[0], tc.want) ||
			!strings.HasPrefix(lines[0], "udpbench "+tc.cmd+": ") || stdout != "" {
			t.Errorf("%s %q: exit %d, stderr %q, stdout %q; want 2 and one line naming %q", tc.cmd, tc.args, status, stderr, stdout, tc.want)
		}
	}
}

// TestCompareZerolossHelp checks that -h documents every flag with its
// default.
func TestCompareZerolossHelp(t *testing.T) {
	for cmd, want := range map[string][]string{
		"compare": {"--receivers LIST", "(default " + strings.Join(peers.DefaultReceivers(), ",") + ")", "--sizes LIST", "(default 64,512,1400)",
			"--rate N", "--drain N", "--duration DURATION", "(default 5s)", "--reps N", "(default 3)", "--quick", "--loops N", "(default 1)",
			"--batch N", "(default 1024)", "--rcvbuf BYTES", "(default 4194304)", "--no-gso", "--pin", "--json", "--out FILE",
			"--quiet", "--sender PATH"},
		"zeroloss": {"--receiver NAME", "(default udprx)", "--size BYTES", "(default 64)", "--trial DURATION", "(default 5s)",
			"--threshold PERCENT", "(default 0)", "--max-trials N", "(default 12)", "--lo N", "--hi N", "--resolution N",
			"--loops N", "--batch N", "--rcvbuf BYTES", "--no-gso", "--pin", "--json", "--quiet", "--sender PATH"},
	} {
		f := runCompare
		if cmd == "zeroloss" {
			f = runZeroloss
		}
		status, stdout, stderr := captureRun(t, f, "-h")
		if status != exitOK || stderr != "" {
			t.Fatalf("%s -h: exit %d, stderr %q", cmd, status, stderr)
		}
		for _, w := range want {
			if !strings.Contains(stdout, w) {
				t.Errorf("%s -h does not show %q:\n%s", cmd, w, stdout)
			}
		}
	}
	for name, doc := range map[string]commandDoc{"compare": compareDoc, "zeroloss": zerolossDoc} {
		if doc.summary == "" || !strings.HasPrefix(doc.synopsis, "udpbench "+name) || doc.description == "" {
			t.Errorf("%s's doc is incomplete: %+v", name, doc)
		}
	}
}

// TestCompareRun runs a cut-down compare and a tiny zeroloss through the
// commands, with the real udpbench binary as the sender.
func TestCompareRun(t *testing.T) {
	bin := buildUdpbench(t)
	chart := filepath.Join(t.TempDir(), "report.svg")
	status, stdout, stderr := captureRun(t, runCompare,
		"--duration", "500ms", "--reps", "1", "--sizes", "64", "--receivers", "udprx,stdlib",
		"--rate", "20000", "--json", "--out", chart, "--sender", bin)
	if status != exitOK {
		t.Fatalf("compare: exit %d, stderr %q", status, stderr)
	}
	var rep struct {
		Settings struct {
			Receivers []string `json:"receivers"`
			Sizes     []int    `json:"sizes"`
			GSO       bool     `json:"gso"`
		} `json:"settings"`
		Rows []struct {
			Receiver string  `json:"receiver"`
			VsStdlib float64 `json:"vs_stdlib"`
			RatePPS  struct {
				Median float64 `json:"median"`
			} `json:"rate_pps"`
		} `json:"rows"`
		Trials []struct {
			Receiver    string `json:"receiver"`
			Offered     uint64 `json:"offered"`
			Received    uint64 `json:"received"`
			KernelDrops uint64 `json:"kernel_drops"`
			AppLoss     uint64 `json:"app_loss"`
		} `json:"trials"`
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("stdout %q: %v", stdout, err)
	}
	if dec.More() {
		t.Errorf("stdout has more than one JSON value: %q", stdout)
	}
	if len(rep.Rows) != 2 || len(rep.Trials) != 2 || strings.Join(rep.Settings.Receivers, ",") != "udprx,stdlib" || len(rep.Settings.Sizes) != 1 {
		t.Fatalf("report %+v", rep)
	}
	for _, tr := range rep.Trials {
		// 20k/s for 0.5 s: about 10 000, every one received.
		if tr.Offered < 5000 || tr.Received != tr.Offered || tr.KernelDrops != 0 || tr.AppLoss != 0 {
			t.Errorf("trial %+v: want about 10000 offered, all received", tr)
		}
	}
	for _, row := range rep.Rows {
		if row.RatePPS.Median <= 0 || row.VsStdlib <= 0 {
			t.Errorf("row %+v", row)
		}
	}
	// Not a terminal: a plain line per trial, then the chart's.
	for _, want := range []string{"[1/2] udprx", "[2/2] stdlib", "chart written to " + chart} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q does not contain %q", stderr, want)
		}
	}
	if strings.Contains(stderr, "\x1b") {
		t.Errorf("terminal codes in stderr %q", stderr)
	}
	svg, err := os.ReadFile(chart)
	if err != nil || !bytes.Contains(svg, []byte("<svg")) {
		t.Errorf("chart: %v, %d bytes", err, len(svg))
	}

	// A drain run: the real sender's --count fills each queue, with few
	// enough datagrams to fit any receive buffer.
	status, stdout, stderr = captureRun(t, runCompare,
		"--drain", "200", "--sizes", "64", "--receivers", "udprx,stdlib", "--json", "--quiet", "--sender", bin)
	if status != exitOK || stderr != "" {
		t.Fatalf("compare --drain: exit %d, stderr %q", status, stderr)
	}
	var drained struct {
		Settings struct {
			Drain int `json:"drain"`
		} `json:"settings"`
		Trials []struct {
			Receiver      string  `json:"receiver"`
			Offered       uint64  `json:"offered"`
			Received      uint64  `json:"received"`
			RatePPS       float64 `json:"rate_pps"`
			ActiveSeconds float64 `json:"active_seconds"`
		} `json:"trials"`
	}
	if err := json.Unmarshal([]byte(stdout), &drained); err != nil {
		t.Fatalf("stdout %q: %v", stdout, err)
	}
	// 3 repetitions by default, of 2 receivers.
	if drained.Settings.Drain != 200 || len(drained.Trials) != 6 {
		t.Fatalf("drain report %+v", drained)
	}
	for _, tr := range drained.Trials {
		if tr.Offered != 200 || tr.Received != 200 || tr.RatePPS <= 0 || tr.ActiveSeconds <= 0 {
			t.Errorf("drain trial %+v: want all 200 received, at a rate", tr)
		}
	}

	status, stdout, stderr = captureRun(t, runZeroloss,
		"--receiver", "stdlib", "--trial", "300ms", "--max-trials", "3", "--sender", bin)
	if status != exitOK || stderr != "" {
		t.Fatalf("zeroloss: exit %d, stderr %q", status, stderr)
	}
	for _, want := range []string{"trial  1: asked unpaced", "stdlib, 64-byte payloads", "search: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("zeroloss output does not contain %q:\n%s", want, stdout)
		}
	}
	t.Log(stdout)
}
