package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/udprx/udprx/bench"
	"github.com/udprx/udprx/bench/load"
	"github.com/udprx/udprx/bench/peers"
)

// zerolossDoc is the help of "udpbench zeroloss" (commandDocs["zeroloss"]).
var zerolossDoc = commandDoc{
	summary:  "find the highest rate one receiver takes without loss (RFC 2544)",
	synopsis: "udpbench zeroloss [flags]",
	description: `Searches for the highest rate at which --receiver loses at most
--threshold percent of the datagrams offered, as RFC 2544's throughput
test does: a first trial at --hi, or with --hi 0 unpaced (which sets the
upper bound to the rate the sender reached), then a binary search between
--lo and that bound, trial by trial, until the interval is within
--resolution or --max-trials have run. A trial passes when its loss is at
most the threshold and the sender offered at least 95% of the rate asked.
Trials are set up as for "udpbench compare" (a fresh receiver in this
process, "udpbench send" in a child process).

Each trial is printed as it ends: the rate asked, offered and received,
the loss, pass or fail, and the next interval; then the result. With
--json the trials go to standard error instead (none with --quiet) and
the report is printed as one JSON object (machine, receiver, size,
trial_seconds, loss_threshold_percent, resolution, gso, found, rate,
offered_pps, sender_bound, converged, lo, hi, trials, seconds).

Exit status: 0 when the search ran (whether or not a rate passed); 1 if a
trial failed or the search was interrupted, after printing what was
measured; 2 for a bad command line.`,
}

func runZeroloss(args []string) int {
	fs := flag.NewFlagSet("zeroloss", flag.ContinueOnError)
	receiver := fs.String("receiver", bench.DefaultZeroLossReceiver, fmt.Sprintf("test the receiver `NAME`: one of %s", strings.Join(peers.ReceiverNames(), ", ")))
	size := fs.Int("size", load.DefaultSize, fmt.Sprintf("UDP payload of every datagram, `BYTES`, 1..%d", load.MaxSize))
	trial := fs.Duration("trial", bench.DefaultZeroLossTrial, "run the sender for `DURATION` in each trial")
	threshold := fs.Float64("threshold", 0, "a trial passes with a loss of at most `PERCENT` of the datagrams offered, 0..100")
	maxTrials := fs.Int("max-trials", bench.DefaultZeroLossTrials, "run at most `N` trials, the first included")
	lo := fs.Float64("lo", 0, "lower bound of the search, `N` datagrams per second")
	hi := fs.Float64("hi", 0, "upper bound of the search, `N` datagrams per second; 0 = the rate of a first, unpaced trial")
	resolution := fs.Float64("resolution", 0, "stop when the interval is at most `N` datagrams per second; 0 = 1% of the upper bound, at least 5000")
	finish := trialFlags(fs)
	asJSON := fs.Bool("json", false, "print the report as one JSON object on standard output, the trials on standard error")
	quiet := fs.Bool("quiet", false, "do not print the trials as they end")
	if status, ok := parseFlags(fs, args, "zeroloss"); !ok {
		return status
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !slices.Contains(peers.ReceiverNames(), *receiver):
		return usageError("zeroloss", "--receiver %q: unknown (receivers: %v)", *receiver, peers.ReceiverNames())
	case *size < 1 || *size > load.MaxSize:
		return usageError("zeroloss", "--size %d: want 1..%d", *size, load.MaxSize)
	case *trial <= 0:
		return usageError("zeroloss", "--trial %v: want more than 0", *trial)
	case !finite(*threshold) || *threshold < 0 || *threshold > 100:
		return usageError("zeroloss", "--threshold %v: want a percentage, 0..100", *threshold)
	case *maxTrials < 1:
		return usageError("zeroloss", "--max-trials %d: want at least 1", *maxTrials)
	case !finite(*lo) || *lo < 0:
		return usageError("zeroloss", "--lo %v: want a number, 0 or more", *lo)
	case !finite(*hi) || *hi < 0:
		return usageError("zeroloss", "--hi %v: want a number, 0 or more", *hi)
	case *hi > 0 && *hi <= *lo:
		return usageError("zeroloss", "--hi %v: want more than --lo %v", *hi, *lo)
	case !finite(*resolution) || *resolution < 0:
		return usageError("zeroloss", "--resolution %v: want a number, 0 or more", *resolution)
	}
	setup, err := finish("zeroloss")
	if err != nil {
		return exitUsage
	}
	cfg := bench.ZeroLossConfig{
		TrialSetup: setup, Receiver: *receiver, Size: *size, Trial: *trial,
		LossThreshold: *threshold, Lo: *lo, Hi: *hi, Resolution: *resolution, MaxTrials: *maxTrials,
	}
	if err := cfg.Validate(); err != nil {
		return usageError("zeroloss", "%v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var trials io.Writer = os.Stdout
	switch {
	case *quiet:
		trials = io.Discard
	case *asJSON:
		trials = os.Stderr
	}
	start := time.Now()
	if !*quiet {
		fmt.Fprintf(trials, "udpbench zeroloss: %s, %d-byte payloads, trials of %v, loss <= %g%%\n", *receiver, *size, *trial, *threshold)
	}
	rep, runErr := bench.ZeroLoss(ctx, cfg, func(t bench.ZeroLossTrial) {
		fmt.Fprintf(trials, "%s (%s elapsed)\n", t, time.Since(start).Round(time.Second))
	})
	stop()

	status := exitOK
	if len(rep.Trials) > 0 {
		status = writeReport("zeroloss", rep, *asJSON)
	}
	return max(status, runStatus("zeroloss", runErr))
}
