package bench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/udprx/udprx/bench/load"
	"github.com/udprx/udprx/bench/peers"
)

// The trials' sender is a child process. In these tests it is the test
// binary itself, run with senderHelperEnv set: TestSenderHelper then acts
// as "udpbench send" (the flags a trial passes, and the JSON fields it
// reads), so that bench's tests need no udpbench binary. cmd/udpbench's
// tests run the real one.
const senderHelperEnv = "BENCH_SENDER_HELPER=1"

// helperSetup is a TrialSetup whose sender is TestSenderHelper.
func helperSetup() TrialSetup {
	return TrialSetup{
		SenderCommand: []string{os.Args[0], "-test.run=^TestSenderHelper$", "--"},
		SenderEnv:     []string{senderHelperEnv},
	}
}

// TestSenderHelper is the sender child of the trials (see senderHelperEnv);
// run as a test, it does nothing.
func TestSenderHelper(t *testing.T) {
	if os.Getenv("BENCH_SENDER_HELPER") != "1" {
		t.Skip("only a child process of the compare tests")
	}
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	var cfg load.SendConfig
	fs.StringVar(&cfg.To, "to", "", "")
	fs.IntVar(&cfg.Size, "size", 0, "")
	fs.Float64Var(&cfg.Rate, "rate", 0, "")
	fs.DurationVar(&cfg.Duration, "duration", 0, "")
	fs.Int64Var(&cfg.Count, "count", 0, "")
	fs.IntVar(&cfg.Batch, "batch", 0, "")
	fs.IntVar(&cfg.Flows, "flows", 0, "")
	fs.BoolVar(&cfg.GSO, "gso", false, "")
	fs.Bool("json", false, "")
	fs.Bool("quiet", false, "")
	fail := fs.Bool("fail", false, "exit 1 with a message, as a failing sender")
	if err := fs.Parse(flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if *fail {
		fmt.Fprintln(os.Stderr, "udpbench send: told to fail")
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	st, err := load.Send(ctx, cfg, nil)
	first := ""
	if st.FirstErr != nil {
		first = st.FirstErr.Error()
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"datagrams": st.Datagrams, "seconds": st.Elapsed.Seconds(),
		"errors": st.Errors, "first_error": first, "gso": st.GSO,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0) // no test summary on stdout
}

// TestCompareShort runs every receiver for a second at a rate all of them
// keep up with, and checks that each produced a result and that the loss
// accounting adds up.
func TestCompareShort(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const rate = 20_000
	cfg := CompareConfig{
		TrialSetup:  helperSetup(),
		Sizes:       []int{200},
		Rate:        rate,
		Duration:    time.Second,
		Repetitions: 1,
	}
	var progress []Progress
	rep, err := Compare(ctx, cfg, func(p Progress) { progress = append(progress, p) })
	if err != nil {
		t.Fatalf("Compare: %v", err)
	}
	names := peers.DefaultReceivers()
	if len(rep.Trials) != len(names) || len(rep.Rows) != len(names) {
		t.Fatalf("%d trials, %d rows: want %d each (skipped: %v)", len(rep.Trials), len(rep.Rows), len(names), rep.Skipped)
	}
	for _, tr := range rep.Trials {
		t.Logf("%s: %+v", tr.Receiver, tr)
		if tr.Offered < rate/2 || tr.Received == 0 || tr.RatePPS <= 0 || tr.Gbps <= 0 || tr.Backend == "" || tr.ActiveSeconds <= 0 {
			t.Errorf("%s: offered %d, received %d, rate %v, Gbit/s %v, backend %q, active %vs: want a real result",
				tr.Receiver, tr.Offered, tr.Received, tr.RatePPS, tr.Gbps, tr.Backend, tr.ActiveSeconds)
		}
		if tr.Offered+tr.Unexpected != tr.Received+tr.KernelDrops+tr.AppLoss {
			t.Errorf("%s: offered %d + unexpected %d != received %d + kernel %d + app %d",
				tr.Receiver, tr.Offered, tr.Unexpected, tr.Received, tr.KernelDrops, tr.AppLoss)
		}
		if tr.SenderErrors != 0 || tr.Unexpected != 0 {
			t.Errorf("%s: %d sender errors (%s), %d unexpected datagrams: want none", tr.Receiver, tr.SenderErrors, tr.SenderFirstError, tr.Unexpected)
		}
		if tr.SocketDrops < 0 || uint64(tr.SocketDrops) < tr.KernelDrops {
			t.Errorf("%s: socket drops %d, attributed %d", tr.Receiver, tr.SocketDrops, tr.KernelDrops)
		}
		// 20k/s is far below every receiver's capacity, and a 4 MiB
		// buffer holds a long stall: the two simplest must lose nothing.
		if (tr.Receiver == "udprx" || tr.Receiver == "stdlib") && tr.Received != tr.Offered {
			t.Errorf("%s: received %d of %d", tr.Receiver, tr.Received, tr.Offered)
		}
		if tr.CPUPercent < 0 || tr.SenderCPUPercent <= 0 {
			t.Errorf("%s: CPU %v%%, sender CPU %v%%", tr.Receiver, tr.CPUPercent, tr.SenderCPUPercent)
		}
	}
	for _, row := range rep.Rows {
		if row.Trials != 1 || row.VsStdlib <= 0 || row.RatePPS.Min != row.RatePPS.Max {
			t.Errorf("row %+v", row)
		}
	}
	var done int
	for _, p := range progress {
		if p.Trials != len(names) || p.Trial < 1 || p.Trial > p.Trials {
			t.Errorf("progress %+v: trial numbers", p)
		}
		if p.Done != nil {
			done++
		}
	}
	if done != len(names) {
		t.Errorf("%d progress reports with a result, want %d", done, len(names))
	}
	if rep.Settings.Rate != rate || rep.Settings.Batch != DefaultTrialBatch || rep.Settings.Loops != 1 || rep.Settings.Pinned {
		t.Errorf("settings %+v", rep.Settings)
	}
}

// TestCompareSenderFails checks that a sender that fails ends the run with
// an error that says why.
func TestCompareSenderFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	setup := helperSetup()
	setup.SenderCommand = append(setup.SenderCommand, "--fail")
	rep, err := Compare(ctx, CompareConfig{TrialSetup: setup, Receivers: []string{"stdlib"}, Sizes: []int{64}, Repetitions: 1, Duration: time.Second}, nil)
	if err == nil || !strings.Contains(err.Error(), "told to fail") {
		t.Errorf("Compare = %v, want the sender's message", err)
	}
	if len(rep.Trials) != 0 {
		t.Errorf("%d trials from a failing sender", len(rep.Trials))
	}

	setup.SenderCommand = []string{"/nonexistent/udpbench", "send"}
	if _, err := Compare(ctx, CompareConfig{TrialSetup: setup, Receivers: []string{"stdlib"}}, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing sender: %v, want os.ErrNotExist", err)
	}
}

// TestCompareCancel checks that a done context ends a trial early, with the
// sender interrupted.
func TestCompareCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	_, err := Compare(ctx, CompareConfig{
		TrialSetup: helperSetup(), Receivers: []string{"stdlib"}, Sizes: []int{64},
		Rate: 1000, Duration: time.Minute, Repetitions: 1,
	}, func(p Progress) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Compare = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("Compare took %v after cancel", d)
	}
}

// TestCompareDrain runs a drain comparison: each receiver empties a queue of
// 4000 datagrams filled before it started, which the default 4 MiB buffer
// holds, so every one must be received.
func TestCompareDrain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 4000
	names := []string{"udprx", "stdlib", "gnet"}
	rep, err := Compare(ctx, CompareConfig{
		TrialSetup: helperSetup(), Receivers: names, Sizes: []int{64}, Repetitions: 1, Drain: n,
	}, nil)
	if err != nil {
		t.Fatalf("Compare: %v", err)
	}
	if runtime.GOOS == "windows" { // gnet is not supported there
		if len(rep.Skipped) != 1 || !strings.HasPrefix(rep.Skipped[0], "gnet:") {
			t.Errorf("skipped %q, want gnet alone", rep.Skipped)
		}
		names = names[:2]
	} else if len(rep.Skipped) != 0 {
		t.Errorf("skipped %q, want none", rep.Skipped)
	}
	// A stdlib socket gets no more than net.core.rmem_max: where that is
	// smaller than the default buffer, the queue may not hold n.
	fits := true
	if b, err := os.ReadFile("/proc/sys/net/core/rmem_max"); err == nil {
		if m, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && m < DefaultRecvBuffer {
			t.Logf("net.core.rmem_max is %d: not checking that nothing was dropped", m)
			fits = false
		}
	}
	if len(rep.Trials) != len(names) || len(rep.Rows) != len(names) {
		t.Fatalf("%d trials, %d rows: want %d each", len(rep.Trials), len(rep.Rows), len(names))
	}
	for i, tr := range rep.Trials {
		t.Logf("%s: %+v", tr.Receiver, tr)
		if row := rep.Rows[i]; row.Receiver != names[i] || row.Trials != 1 || row.RatePPS.Median != tr.RatePPS {
			t.Errorf("row %d %+v: want %s's one trial", i, row, names[i])
		}
		if tr.Offered != n || tr.Offered != tr.Received+tr.KernelDrops+tr.AppLoss || tr.GSO {
			t.Errorf("%s: offered %d, received %d, kernel %d, app %d, GSO %v: want %d offered without GSO, all accounted for",
				tr.Receiver, tr.Offered, tr.Received, tr.KernelDrops, tr.AppLoss, tr.GSO, n)
		}
		if fits && (tr.Received != n || tr.Total() != 0) {
			t.Errorf("%s: received %d, lost %d: want all %d", tr.Receiver, tr.Received, tr.Total(), n)
		}
		if tr.RatePPS <= 0 || tr.ActiveSeconds <= 0 || tr.CPUPercent < 0 {
			t.Errorf("%s: rate %v, active %vs, CPU %v%%: want a real drain", tr.Receiver, tr.RatePPS, tr.ActiveSeconds, tr.CPUPercent)
		}
		// The rate is over the time from Run to the last datagram.
		if got := float64(tr.Received) / tr.ActiveSeconds; math.Abs(got-tr.RatePPS) > 1e-6*got {
			t.Errorf("%s: rate %v, want received / active = %v", tr.Receiver, tr.RatePPS, got)
		}
	}
	if rep.Settings.Drain != n || rep.Settings.GSO {
		t.Errorf("settings %+v: want drain %d, no GSO", rep.Settings, n)
	}
}

func TestCompareValidate(t *testing.T) {
	ok := CompareConfig{TrialSetup: TrialSetup{SenderCommand: []string{"udpbench", "send"}}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("zero config with a sender: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*CompareConfig)
		want string
	}{
		{"no sender", func(c *CompareConfig) { c.SenderCommand = nil }, "sender command"},
		{"unknown receiver", func(c *CompareConfig) { c.Receivers = []string{"udprx", "nope"} }, `"nope"`},
		{"receiver twice", func(c *CompareConfig) { c.Receivers = []string{"udprx", "udprx"} }, "twice"},
		{"size 0", func(c *CompareConfig) { c.Sizes = []int{0} }, "sizes: 0"},
		{"size too big", func(c *CompareConfig) { c.Sizes = []int{load.MaxSize + 1} }, "sizes: 65508"},
		{"size twice", func(c *CompareConfig) { c.Sizes = []int{64, 64} }, "sizes: 64 given twice"},
		{"negative rate", func(c *CompareConfig) { c.Rate = -1 }, "rate -1"},
		{"negative duration", func(c *CompareConfig) { c.Duration = -time.Second }, "duration -1s"},
		{"negative reps", func(c *CompareConfig) { c.Repetitions = -1 }, "reps -1"},
		{"batch", func(c *CompareConfig) { c.Batch = load.MaxBatch + 1 }, "batch 1025"},
		{"loops", func(c *CompareConfig) { c.Loops = -1 }, "loops -1"},
		{"negative drain", func(c *CompareConfig) { c.Drain = -1 }, "drain -1 is negative"},
		{"drain with rate", func(c *CompareConfig) { c.Drain, c.Rate = 100, 1000 }, "drain 100 with rate 1000: --drain fills the queue as fast as the sender can, so it takes no --rate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate = %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

// TestSenderArgs checks the sender's command line.
func TestSenderArgs(t *testing.T) {
	tr := &trialRunner{setup: TrialSetup{SenderCommand: []string{"/bin/udpbench", "send"}}.withDefaults(), gso: true}
	got := strings.Join(tr.senderArgs("127.0.0.1:9", trialSpec{size: 1400, rate: 12500.5, duration: 1500 * time.Millisecond}), " ")
	want := "send --to 127.0.0.1:9 --size 1400 --rate 12500.5 --duration 1.5s --batch 1024 --flows 1 --json --quiet --gso"
	if got != want {
		t.Errorf("args %q\nwant %q", got, want)
	}
	// A fill: counted, unpaced, no GSO, and a duration that lets the
	// count end it.
	got = strings.Join(tr.senderArgs("127.0.0.1:9", trialSpec{size: 64, duration: time.Second, fill: 8000}), " ")
	want = "send --to 127.0.0.1:9 --size 64 --rate 0 --duration 1m0s --batch 1024 --flows 1 --json --quiet --count 8000"
	if got != want {
		t.Errorf("drain args %q\nwant %q", got, want)
	}
	if firstLine(" \n") != "" || firstLine("a\nb") != ": a" {
		t.Error("firstLine")
	}
}

func TestRemaining(t *testing.T) {
	if got := remaining(0, 0, 4, 2*time.Second, 500*time.Millisecond); got != 4*3*time.Second-500*time.Millisecond {
		t.Errorf("before any trial: %v", got)
	}
	if got := remaining(10*time.Second, 4, 2, time.Second, 0); got != 5*time.Second {
		t.Errorf("after 4 trials in 10s: %v", got)
	}
	if got := remaining(10*time.Second, 4, 0, time.Second, time.Second); got != 0 {
		t.Errorf("nothing left: %v", got)
	}
}
