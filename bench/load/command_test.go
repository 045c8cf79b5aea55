package load

import (
	"encoding/json"
	"errors"
	"flag"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// parseSend parses args with DefineSendFlags, as "udpbench send" does.
func parseSend(t *testing.T, args []string) (SendCommand, error) {
	t.Helper()
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	command := DefineSendFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	return command()
}

// TestSendCommandRoundTrip holds the two sides of the sender child
// together: what Args writes, DefineSendFlags reads back unchanged.
func TestSendCommandRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    SendCommand
	}{
		{"trial", SendCommand{Config: SendConfig{To: "127.0.0.1:9", Size: 1400, Rate: 12500.5, Duration: 1500 * time.Millisecond, Batch: 1024, Flows: 2, GSO: true}, JSON: true, Quiet: true}},
		{"fill", SendCommand{Config: SendConfig{To: "[::1]:9", Size: 64, Duration: time.Minute, Batch: 1024, Flows: 1, Count: 8000}, JSON: true, Quiet: true}},
		{"text", SendCommand{Config: SendConfig{To: "localhost:53", Size: MaxSize, Duration: 0, Batch: MaxBatch, Flows: MaxFlows}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSend(t, tc.c.Args())
			if err != nil || got != tc.c {
				t.Errorf("parse(%q) = %+v, %v\nwant %+v", tc.c.Args(), got, err, tc.c)
			}
		})
	}
	// Zero sizes are written as their defaults, which the command line
	// reads back as such.
	got, err := parseSend(t, SendCommand{Config: SendConfig{To: "127.0.0.1:9"}}.Args())
	want := SendConfig{To: "127.0.0.1:9", Size: DefaultSize, Batch: DefaultBatch, Flows: 1}
	if err != nil || got.Config != want {
		t.Errorf("defaults: %+v, %v; want %+v", got.Config, err, want)
	}
}

// TestSendCommandArgs checks the exact command line a trial's sender gets.
func TestSendCommandArgs(t *testing.T) {
	c := SendCommand{Config: SendConfig{To: "127.0.0.1:9", Size: 64, Duration: time.Minute, Batch: 1024, Flows: 1, Count: 8000}, JSON: true, Quiet: true}
	want := "--to 127.0.0.1:9 --size 64 --rate 0 --duration 1m0s --batch 1024 --flows 1 --json --quiet --count 8000"
	if got := strings.Join(c.Args(), " "); got != want {
		t.Errorf("args %q\nwant %q", got, want)
	}
}

// TestDefineSendFlagsZero refuses a 0 that SendConfig would take for a
// default, naming the flag, and still returns what was parsed.
func TestDefineSendFlagsZero(t *testing.T) {
	for _, name := range []string{"size", "flows", "batch"} {
		c, err := parseSend(t, []string{"--to", "127.0.0.1:9", "--" + name, "0"})
		if err == nil || !strings.Contains(err.Error(), "--"+name) {
			t.Errorf("--%s 0: error %v, want one naming the flag", name, err)
		}
		if c.Config.To != "127.0.0.1:9" {
			t.Errorf("--%s 0: command %+v lost --to", name, c)
		}
	}
}

// TestSendSummaryJSON pins the summary's JSON keys, which a trial reads
// from a sender that may be another build of udpbench.
func TestSendSummaryJSON(t *testing.T) {
	st := SendStats{Datagrams: 10, Bytes: 640, Elapsed: 2 * time.Second, Errors: 1, FirstErr: errors.New("boom"), Calls: 3, Flows: 2, GSO: true, Size: 64}
	sum := st.Summary()
	if sum.Gbps != 640*8/2.0/1e9 || sum.RatePPS != st.Rate() || sum.FirstError != "boom" {
		t.Errorf("summary %+v", sum)
	}
	b, err := json.Marshal(sum)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	keys := slices.Sorted(maps.Keys(m))
	want := []string{"bytes", "calls", "datagrams", "errors", "first_error", "flows", "gbps", "gso", "rate_pps", "seconds", "size"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("keys %v\nwant %v", keys, want)
	}
	var back SendSummary
	if err := json.Unmarshal(b, &back); err != nil || back != sum {
		t.Errorf("round trip %+v, %v; want %+v", back, err, sum)
	}
}

// parseRR parses args with DefineRRFlags, as "udpbench rr" does.
func parseRR(t *testing.T, args []string) (RRCommand, error) {
	t.Helper()
	fs := flag.NewFlagSet("rr", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	command := DefineRRFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	return command()
}

// TestRRCommandRoundTrip holds the two sides of the client child
// together: what Args writes, DefineRRFlags reads back, but for the
// flags Args leaves out (the defaults of a closed-loop run).
func TestRRCommandRoundTrip(t *testing.T) {
	paced := RRCommand{Config: RRConfig{To: "127.0.0.1:9", Rate: 2500.5, Size: 128, Flows: 4, Duration: 3 * time.Second,
		Timeout: 50 * time.Millisecond, Batch: 16, GSO: true}, JSON: true}
	if got, err := parseRR(t, paced.Args()); err != nil || got != paced {
		t.Errorf("paced: parse(%q) = %+v, %v\nwant %+v", paced.Args(), got, err, paced)
	}
	closed := RRCommand{Config: RRConfig{To: "[::1]:9", Size: 64, Flows: 1, Duration: time.Second}}
	want := closed
	want.Config.Timeout, want.Config.Batch = DefaultRRTimeout, DefaultRRBatch
	if got, err := parseRR(t, closed.Args()); err != nil || got != want {
		t.Errorf("closed loop: parse(%q) = %+v, %v\nwant %+v", closed.Args(), got, err, want)
	}
	// What a trial of EchoCompare runs: batch and GSO only when paced.
	if got, want := strings.Join(closed.Args(), " "), "--to [::1]:9 --rate 0 --size 64 --flows 1 --duration 1s"; got != want {
		t.Errorf("args %q\nwant %q", got, want)
	}
	trial := RRCommand{Config: RRConfig{To: "127.0.0.1:9", Rate: 1e5, Size: 64, Flows: 2, Duration: time.Second, Batch: 64, GSO: true}, JSON: true}
	if got, want := strings.Join(trial.Args(), " "), "--to 127.0.0.1:9 --rate 100000 --size 64 --flows 2 --duration 1s --json --batch 64 --gso"; got != want {
		t.Errorf("args %q\nwant %q", got, want)
	}
}

// TestDefineRRFlagsBad names the flag that is missing or out of range.
func TestDefineRRFlagsBad(t *testing.T) {
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"--rate", "1"}, "--to"},
		{[]string{"--to", "127.0.0.1:9", "--rate", "-1"}, "--rate"},
		{[]string{"--to", "127.0.0.1:9", "--rate", "NaN"}, "--rate"},
		{[]string{"--to", "127.0.0.1:9", "--duration", "0s"}, "--duration"},
		{[]string{"--to", "127.0.0.1:9", "--timeout", "-1s"}, "--timeout"},
	} {
		if _, err := parseRR(t, tc.args); err == nil || !strings.Contains(err.Error(), tc.flag) {
			t.Errorf("%q: error %v, want one naming %s", tc.args, err, tc.flag)
		}
	}
}
