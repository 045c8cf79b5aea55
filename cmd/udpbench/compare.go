package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/udprx/udprx/bench"
	"github.com/udprx/udprx/bench/load"
	"github.com/udprx/udprx/bench/peers"
	"github.com/udprx/udprx/bench/report"
)

// compareDoc is the help of "udpbench compare" (commandDocs["compare"]).
var compareDoc = commandDoc{
	summary:  "compare the receivers under the same load: table, JSON, chart",
	synopsis: "udpbench compare [flags]",
	description: `Runs every receiver in --receivers in turn against the same sender on
127.0.0.1, for every payload size in --sizes, --reps times, and prints a
table: datagrams/s received (median, min-max over the repetitions), Gbit/s
of payload, the sender's rate, loss % split by where it happened, failed
send calls, the receiver's CPU % and the ratio to the stdlib receiver.
"udpbench compare --quick" takes about 30 s on 2 cores.

Each trial starts a fresh receiver in this process and runs "udpbench send"
(--sender) in a child process, so this process's CPU time is the
receiver's: CPU % is that time over the trial's traffic, 100 = one core.
The sender uses UDP GSO where the kernel has it (--no-gso to turn off),
the only way to saturate a receiver on the same host. Trials are
interleaved (each repetition runs every size and receiver) so a drift of
the machine spreads over all receivers.

With --drain N a trial measures a receiver's capacity instead: the sender
queues N datagrams at the receiver's socket while it is not reading yet, and
exits; then the receiver starts, and datagrams/s is the rate at which it
empties the queue, with no sender competing for the CPU (on a small machine
a live sender is the bottleneck). The fill uses no GSO (a GSO segment takes
more room in the receive buffer) and is not timed. The queue must hold N
datagrams, or the excess is dropped as kernel loss: on Linux about 10000
64-byte ones fit the default --rcvbuf, where net.core.rmem_max allows it.
--rate cannot be given with --drain, and --duration does not apply.

Loss: kernel % is what the receiving socket's own drop counter
(/proc/net/udp) saw, mostly a full receive buffer; app % is the rest:
accepted by the sender's kernel but never received nor dropped at the
socket. Datagrams are counted as the sender's kernel accepted them, so a
failed send call (send err) is retried, not lost.

On a terminal a status line is updated every second on standard error
(rate, loss so far, time left) and a line printed per trial; otherwise a
plain line per trial. --quiet prints neither. The table goes to standard
output, or with --json the whole report as one JSON object (machine,
settings, rows, trials, skipped, started, seconds). With --out the chart
(a grouped bar chart of datagrams/s) is written as SVG or PNG.

With --echo the servers are compared instead: every echo server in
--receivers (default: all of udprx, stdlib, xnet, gnet, rawmmsg) answers
"udpbench rr" (--sender's rr subcommand, in a child process) with --flows
sockets at --rate requests/s (0 = closed loop: one request outstanding per
flow) of one --sizes size (default 64), and the table shows answered/s,
loss, round-trip percentiles, the server's CPU % and CPU time per answered
request, and the ratio to the stdlib server. --batch is then the client's
requests per send call when paced (default 16); --drain does not apply.

Exit status: 0 when every trial ran; 1 if a trial failed or the run was
interrupted (SIGINT/SIGTERM), after printing what was measured; 2 for a bad
command line.`,
}

func runCompare(args []string) int {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	receivers := fs.String("receivers", strings.Join(peers.DefaultReceivers(), ","), "compare the receivers in the comma-separated `LIST`, in that order (known: "+strings.Join(peers.ReceiverNames(), ", ")+")")
	sizes := fs.String("sizes", "64,512,1400", fmt.Sprintf("compare at every UDP payload size in the comma-separated `LIST`, in bytes, each 1..%d", load.MaxSize))
	rate := fs.Float64("rate", 0, "send `N` datagrams per second in every trial; 0 = as fast as the sender can")
	duration := fs.Duration("duration", bench.DefaultCompareDuration, "run the sender for `DURATION` in each trial")
	reps := fs.Int("reps", bench.DefaultRepetitions, "run `N` trials per receiver and size; the table shows their median")
	drain := fs.Int("drain", 0, "measure capacity: queue `N` datagrams before each receiver starts, then time how fast it empties the queue; 0 = a live sender")
	quick := fs.Bool("quick", false, "a run of about 30 s: --sizes 64,1400 --duration 3s --reps 1, except for those given")
	finish := trialFlags(fs)
	asJSON := fs.Bool("json", false, "print the whole report as one JSON object on standard output instead of the table")
	out := fs.String("out", "", "also write a bar chart to `FILE`, .svg or .png")
	quiet := fs.Bool("quiet", false, "print no progress on standard error")
	echo := fs.Bool("echo", false, "compare echo servers under \"udpbench rr\" instead of receivers under \"udpbench send\"")
	flows := fs.Int("flows", bench.DefaultEchoFlows, "with --echo: the client's sockets")
	if status, ok := parseFlags(fs, args, "compare"); !ok {
		return status
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if *echo {
		return runCompareEcho(fs, given, finish, *receivers, *sizes, *rate, *duration, *reps, *flows, *asJSON, *quiet)
	}
	if given["flows"] {
		return usageError("compare", "--flows is for --echo")
	}
	if *quick {
		if !given["sizes"] {
			*sizes = "64,1400"
		}
		if !given["duration"] {
			*duration = 3 * time.Second
		}
		if !given["reps"] {
			*reps = 1
		}
	}

	cfg := bench.CompareConfig{Rate: *rate, Duration: *duration, Repetitions: *reps, Drain: *drain}
	var err error
	if cfg.Receivers, err = parseNames(*receivers); err != nil {
		return usageError("compare", "--receivers %q: %v", *receivers, err)
	}
	if cfg.Sizes, err = parseSizes(*sizes); err != nil {
		return usageError("compare", "--sizes %q: %v", *sizes, err)
	}
	switch {
	case *rate < 0 || math.IsNaN(*rate) || math.IsInf(*rate, 0):
		return usageError("compare", "--rate %v: want a number, 0 or more", *rate)
	case *duration <= 0:
		return usageError("compare", "--duration %v: want more than 0", *duration)
	case *reps < 1:
		return usageError("compare", "--reps %d: want at least 1", *reps)
	case *drain < 0:
		return usageError("compare", "--drain %d: want 0 or more", *drain)
	case *drain > 0 && *rate > 0:
		return usageError("compare", "--drain %d with --rate %v: the queue is filled as fast as the sender can; give one or the other", *drain, *rate)
	}
	if *out != "" {
		if err := checkChartPath(*out); err != nil {
			return usageError("compare", "--out %q: %v", *out, err)
		}
	}
	if cfg.TrialSetup, err = finish("compare"); err != nil {
		return exitUsage // finish printed the problem
	}
	if err := cfg.Validate(); err != nil {
		return usageError("compare", "%v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var progress func(bench.Progress)
	terminal := !*quiet && isTerminal(os.Stderr)
	if !*quiet {
		progress = compareProgress(os.Stderr, terminal)
	}
	rep, runErr := bench.Compare(ctx, cfg, progress)
	stop()
	if terminal && runErr != nil {
		fmt.Fprint(os.Stderr, "\r\x1b[K") // an interrupted trial's status line
	}

	status := exitOK
	if len(rep.Trials) > 0 {
		status = writeReport("compare", rep, *asJSON)
		if *out != "" {
			if err := report.SaveChart(*out, rep); err != nil {
				fmt.Fprintf(os.Stderr, "udpbench compare: %v\n", err)
				status = exitError
			} else if !*quiet {
				fmt.Fprintf(os.Stderr, "udpbench compare: chart written to %s\n", *out)
			}
		}
	}
	return max(status, runStatus("compare", runErr))
}

// printable is what compare and zeroloss print: as text, or as JSON.
type printable interface {
	WriteJSON(w io.Writer) error
	WriteText(w io.Writer) error
}

// writeReport prints rep on standard output and returns the exit status:
// exitError (the error on one line on standard error) if it could not.
func writeReport(name string, rep printable, asJSON bool) int {
	write := rep.WriteText
	if asJSON {
		write = rep.WriteJSON
	}
	if err := write(os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "udpbench %s: %v\n", name, err)
		return exitError
	}
	return exitOK
}

// runStatus reports a run's error on one line ("interrupted" for a
// signal) and returns exitError, or exitOK for none.
func runStatus(name string, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, context.Canceled) {
		err = errors.New("interrupted")
	}
	fmt.Fprintf(os.Stderr, "udpbench %s: %v\n", name, err)
	return exitError
}

// trialFlags defines on fs the flags that set up trials, shared by compare
// and zeroloss. After parsing, finish returns the TrialSetup, or prints the
// one-line usage error of the command name and returns an error.
func trialFlags(fs *flag.FlagSet) (finish func(name string) (bench.TrialSetup, error)) {
	loops := fs.Int("loops", 1, "run `N` event loops (sockets with SO_REUSEPORT) in each receiver")
	batch := fs.Int("batch", bench.DefaultTrialBatch, fmt.Sprintf("the sender sends at most `N` datagrams per sendmmsg call, 1..%d (with GSO, up to 64 per super-packet)", load.MaxBatch))
	rcvbuf := fs.Int("rcvbuf", bench.DefaultRecvBuffer, "every receiver asks for a socket receive buffer (SO_RCVBUF) of `BYTES`")
	noGSO := fs.Bool("no-gso", false, "send one datagram per sendmmsg slot instead of UDP GSO super-packets")
	pin := fs.Bool("pin", false, "Linux: run the sender on this process's first CPU and every thread of this process (the receivers) on its second")
	sender := fs.String("sender", "", "run the sender with the udpbench binary at `PATH`; empty = this program")
	finish = func(name string) (bench.TrialSetup, error) {
		fail := func(format string, args ...any) (bench.TrialSetup, error) {
			usageError(name, format, args...)
			return bench.TrialSetup{}, errors.New("usage")
		}
		switch {
		case *loops < 1:
			return fail("--loops %d: want at least 1", *loops)
		case *batch < 1 || *batch > load.MaxBatch:
			return fail("--batch %d: want 1..%d", *batch, load.MaxBatch)
		case *rcvbuf < 1:
			return fail("--rcvbuf %d: want at least 1", *rcvbuf)
		}
		bin := *sender
		if bin == "" {
			exe, err := os.Executable()
			if err != nil {
				return fail("--sender not given and this program's path is unknown: %v", err)
			}
			bin = exe
		} else if fi, err := os.Stat(bin); err != nil || fi.IsDir() {
			return fail("--sender %q: not a program", bin)
		}
		return bench.TrialSetup{
			SenderCommand: []string{bin, "send"},
			NoGSO:         *noGSO,
			Batch:         *batch,
			Loops:         *loops,
			RecvBuffer:    *rcvbuf,
			Pin:           *pin,
		}, nil
	}
	return finish
}

// parseNames splits a comma-separated list of receiver names.
func parseNames(s string) ([]string, error) {
	var names []string
	for _, n := range strings.Split(s, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			return nil, errors.New("an empty name")
		}
		if !slices.Contains(peers.ReceiverNames(), n) {
			return nil, fmt.Errorf("unknown receiver %q (receivers: %s)", n, strings.Join(peers.ReceiverNames(), ", "))
		}
		for _, m := range names {
			if m == n {
				return nil, fmt.Errorf("%q given twice", n)
			}
		}
		names = append(names, n)
	}
	return names, nil
}

// parseSizes splits a comma-separated list of payload sizes.
func parseSizes(s string) ([]int, error) {
	var sizes []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", f)
		}
		if n < 1 || n > load.MaxSize {
			return nil, fmt.Errorf("%d is outside 1..%d", n, load.MaxSize)
		}
		for _, m := range sizes {
			if m == n {
				return nil, fmt.Errorf("%d given twice", n)
			}
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// checkChartPath checks, before a long run, that a chart can be written to
// path: a .svg or .png name in an existing directory.
func checkChartPath(path string) error {
	if _, err := report.ChartFormat(path); err != nil {
		return errors.New("want a file name ending in .svg or .png")
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("directory %q does not exist", dir)
	}
	return nil
}

// compareProgress returns Compare's progress callback writing to w. On a
// terminal it rewrites one status line every second and prints a line per
// finished trial; elsewhere only the lines per trial.
func compareProgress(w io.Writer, terminal bool) func(bench.Progress) {
	return func(p bench.Progress) {
		head := fmt.Sprintf("[%d/%d] %-6s %5d B rep %d", p.Trial, p.Trials, p.Receiver, p.Size, p.Rep)
		left := fmt.Sprintf("%s elapsed, ~%s left", p.Elapsed.Round(time.Second), p.Remaining.Round(time.Second))
		if d := p.Done; d != nil {
			line := fmt.Sprintf("%s: %s datagrams/s of %s offered, loss %.2f%% (kernel %.2f%%, app %.2f%%), CPU %.0f%%; %s",
				head, report.FormatRate(d.RatePPS), report.FormatRate(d.OfferedPPS), d.LossPercent,
				d.Percent(d.KernelDrops), d.Percent(d.AppLoss), d.CPUPercent, left)
			if terminal {
				fmt.Fprint(w, "\r\x1b[K")
			}
			fmt.Fprintln(w, line)
			return
		}
		if !terminal {
			return
		}
		loss := 0.0
		if n := p.Received + p.KernelDrops; n > 0 {
			loss = 100 * float64(p.KernelDrops) / float64(n)
		}
		fmt.Fprintf(w, "\r\x1b[K%s: %s datagrams/s, loss %.2f%% so far, %s; %s",
			head, report.FormatRate(p.Rate), loss, p.TrialElapsed.Round(time.Second), left)
	}
}

// runCompareEcho is "udpbench compare --echo".
func runCompareEcho(fs *flag.FlagSet, given map[string]bool, finish func(string) (bench.TrialSetup, error),
	receivers, sizes string, rate float64, duration time.Duration, reps, flows int, asJSON, quiet bool) int {
	for _, f := range []string{"drain", "out", "quick"} {
		if given[f] {
			return usageError("compare", "--%s does not apply to --echo", f)
		}
	}
	cfg := bench.EchoCompareConfig{Rate: rate, Duration: duration, Repetitions: reps, Flows: flows}
	if given["receivers"] {
		names, err := parseNames(receivers)
		if err != nil {
			return usageError("compare", "--receivers %q: %v", receivers, err)
		}
		cfg.Servers = names
	}
	if given["sizes"] {
		s, err := parseSizes(sizes)
		if err != nil || len(s) != 1 {
			return usageError("compare", "--sizes %q: --echo takes one size", sizes)
		}
		cfg.Size = s[0]
	}
	setup, err := finish("compare")
	if err != nil {
		return exitUsage
	}
	if given["batch"] {
		cfg.RRBatch = setup.Batch
	}
	setup.Batch = 0
	setup.SenderCommand[len(setup.SenderCommand)-1] = "rr"
	cfg.TrialSetup = setup
	if err := cfg.Validate(); err != nil {
		return usageError("compare", "%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var progress func(bench.EchoTrial)
	if !quiet {
		progress = func(t bench.EchoTrial) {
			fmt.Fprintf(os.Stderr, "%-7s rep %d: %s answered/s of %s sent, loss %.2f%%, p50 %v p99 %v, server CPU %.0f%% (%v/request)\n",
				t.Server, t.Rep, report.FormatRate(t.Client.AnsweredPPS), report.FormatRate(t.Client.SentPPS),
				t.Client.LossPercent, t.Client.P50, t.Client.P99, t.CPUPercent, t.CPUPerRequest)
		}
	}
	rep, runErr := bench.EchoCompare(ctx, cfg, progress)
	stop()
	status := exitOK
	if len(rep.Trials) > 0 {
		status = writeReport("compare", rep, asJSON)
	}
	return max(status, runStatus("compare", runErr))
}
