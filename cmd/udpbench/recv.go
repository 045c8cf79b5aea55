package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/udprx/udprx/bench/peers"
	"github.com/udprx/udprx/bench/wire"
)

// recvSummary is the stable JSON interface of `udpbench recv --json`.
type recvSummary struct {
	Receiver      string  `json:"receiver"`
	Backend       string  `json:"backend"`
	Listen        string  `json:"listen"`
	Datagrams     uint64  `json:"datagrams"`
	Bytes         uint64  `json:"bytes"`
	Seconds       float64 `json:"seconds"`        // wall time of the run
	ActiveSeconds float64 `json:"active_seconds"` // first to last datagram
	RatePPS       float64 `json:"rate_pps"`       // datagrams / active_seconds
	Gbps          float64 `json:"gbps"`           // payload bits / active_seconds
	Loops         int     `json:"loops"`
	Batches       uint64  `json:"batches"`
	KernelDrops   uint64  `json:"kernel_drops"`
	Errors        uint64  `json:"errors"`
	Restarts      uint64  `json:"restarts"`
	// IncomingCPUs is each loop socket's SO_INCOMING_CPU (udprx on Linux;
	// -1 where unset); absent for the other receivers.
	IncomingCPUs []int   `json:"incoming_cpus,omitempty"`
	StopSeconds  float64 `json:"stop_seconds"` // stop request to Run returning; 0 if Run ended by itself
	// Latency is what the udpbench headers in the payloads told: loss,
	// reordering, jitter, one-way latency (udprx receiver, unless
	// --no-latency); absent otherwise.
	Latency *wire.LatencySummary `json:"latency,omitempty"`
}

func runRecv(args []string) int {
	fs := flag.NewFlagSet("recv", flag.ContinueOnError)
	listen := fs.String("listen", "udp://127.0.0.1:9000", "address to receive on: udp://host:port, udp4://, udp6://")
	receiver := fs.String("receiver", "udprx", fmt.Sprintf("receive loop to run: one of %v", peers.ReceiverNames()))
	loops := fs.Int("loops", 0, "event loops (sockets with SO_REUSEPORT); 0 = one per CPU for udprx, 1 for the others")
	batchSize := fs.Int("batch", 0, "datagrams per read; 0 = the receiver's default (64)")
	bufSize := fs.Int("bufsize", 0, "bytes per datagram buffer; 0 = default (2048)")
	rcvbuf := fs.Int("rcvbuf", 4<<20, "socket receive buffer (SO_RCVBUF) to request, bytes; 0 = system default")
	portable := fs.Bool("portable", false, "udprx only: use the portable backend")
	pinCPU := fs.Bool("pin-cpu", false, "udprx only, Linux: pin loop i's thread to CPU i")
	incomingCPU := fs.Bool("incoming-cpu", false, "udprx only, Linux, with --pin-cpu: set each loop's socket's SO_INCOMING_CPU to its CPU, so the kernel hands each datagram to the loop on the CPU that received it (Linux 6.2)")
	gather := fs.Duration("gather", 0, "udprx only: after a read of fewer than a quarter of a batch, wait this long before reading again (Config.Gather: fewer wake-ups at moderate rates, for that much latency); 0 = the engine's default (a 20µs nap while it chases a trickle, Linux), negative = never")
	noLatency := fs.Bool("no-latency", false, "udprx only: do not read the udpbench headers for loss, jitter and latency (a few ns per datagram)")
	duration := fs.Duration("duration", 10*time.Second, "how long to receive; 0 = until SIGINT/SIGTERM")
	stopTimeout := fs.Duration("stop-timeout", 10*time.Second, "how long the graceful stop (after SIGINT/SIGTERM or --duration) may take before udpbench gives up on it and exits 1")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on stdout")
	quiet := fs.Bool("quiet", false, "no live progress lines")
	logLevel := fs.String("log", "info", "the receiver's own log lines on stderr: debug, info, warn, error or off")
	if code, ok := parseFlags(fs, args, "recv"); !ok {
		return code
	}
	if *duration < 0 {
		return usageError("recv", "--duration %v: want 0 or more", *duration)
	}
	if (*pinCPU || *incomingCPU) && *receiver != "udprx" {
		return usageError("recv", "--pin-cpu and --incoming-cpu are for --receiver udprx, not %q", *receiver)
	}
	if *gather != 0 && *receiver != "udprx" {
		return usageError("recv", "--gather is for --receiver udprx, not %q", *receiver)
	}
	if *incomingCPU && !*pinCPU {
		return usageError("recv", "--incoming-cpu needs --pin-cpu: it steers datagrams to the CPU a loop is pinned to")
	}
	if *stopTimeout <= 0 {
		return usageError("recv", "--stop-timeout %v: want more than 0", *stopTimeout)
	}
	logger, err := newLogger(*logLevel)
	if err != nil {
		return usageError("recv", "--log %q: %v", *logLevel, err)
	}

	// Signals arrive on a channel rather than cancelling a context, so
	// that the second one can be told from the first: the first starts the
	// graceful stop, the second ends the process. Room for both, as
	// signal.Notify never blocks and drops what does not fit.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	r, err := peers.NewReceiver(*receiver, peers.RecvConfig{
		Listen: *listen, Loops: *loops, BatchSize: *batchSize, BufSize: *bufSize,
		RecvBuffer: *rcvbuf, Portable: *portable, Logger: logger,
		PinCPU: *pinCPU, IncomingCPU: *incomingCPU, Gather: *gather,
		Track: *receiver == "udprx" && !*noLatency,
	})
	if errors.Is(err, peers.ErrConfig) {
		return usageError("recv", "%v", err)
	}
	if err != nil {
		// Descriptors exhausted, an address another process holds: the
		// command line was fine, the run failed.
		return failure(err)
	}

	start := time.Now()
	done := make(chan error, 1)
	// Run's context is never cancelled: stopping is Stop's job, below, so
	// that the stop has a deadline and a second signal can cut it short.
	go func() { done <- r.Run(context.Background()) }()
	var progress io.Writer = os.Stderr
	if *quiet {
		progress = io.Discard
	}
	fmt.Fprintf(progress, "udpbench recv: %s on %s\n", *receiver, r.Addr())
	var sd notifier
	sd.notify(fmt.Sprintf("READY=1\nSTATUS=receiving on %s", r.Addr()))

	var expired <-chan time.Time
	if *duration > 0 {
		timer := time.NewTimer(*duration)
		defer timer.Stop()
		expired = timer.C
	}
	end := watch(done, sigs, expired, r, start, progress)
	if end.returned {
		// Run ended by itself: a failure (or a receiver that quit).
		printRecvSummary(summarise(*receiver, r, start, 0), *asJSON)
		if end.err != nil {
			return failure(end.err)
		}
		return exitOK
	}

	why := fmt.Sprintf("--duration %v", *duration)
	if end.sig != nil {
		why = signalName(end.sig)
	}
	fmt.Fprintf(progress, "udpbench recv: stopping (%s), up to %v\n", why, *stopTimeout)
	sd.notify("STOPPING=1\nSTATUS=stopping (" + why + ")")
	st := stopReceiver(r, done, sigs, *stopTimeout)
	printRecvSummary(summarise(*receiver, r, start, st.seconds), *asJSON)

	switch {
	case st.forced != nil:
		fmt.Fprintf(os.Stderr, "udpbench recv: second %s during the stop: exiting without waiting for it\n", signalName(st.forced))
		return exitSignal + int(st.forced.(syscall.Signal))
	case st.stopErr != nil:
		return failure(st.stopErr)
	case !st.returned:
		return failure(fmt.Errorf("the %s receiver did not stop within --stop-timeout %v", *receiver, *stopTimeout))
	case st.runErr != nil && !errors.Is(st.runErr, net.ErrClosed):
		// net.ErrClosed is how a receiver stopped before its Run began
		// (a signal at once) reports the Run: not a failure.
		return failure(st.runErr)
	}
	fmt.Fprintf(progress, "udpbench recv: stopped in %v\n", time.Duration(st.seconds*float64(time.Second)).Round(time.Microsecond))
	return exitOK
}

// failure prints err as one line on standard error and returns exitError.
// Errors joined with errors.Join (several stop hooks failing) span lines:
// they are put on one.
func failure(err error) int { return commandFailure("recv", err) }

// commandFailure is failure for the command name.
func commandFailure(name string, err error) int {
	fmt.Fprintf(os.Stderr, "udpbench %s: %s\n", name, strings.ReplaceAll(err.Error(), "\n", "; "))
	return exitError
}

// notifier sends states to systemd when it started udpbench (sdNotify).
// A failure is worth one line on standard error, the first time, and
// never the run.
type notifier struct{ failed bool }

func (n *notifier) notify(state string) {
	if err := sdNotify(state); err != nil && !n.failed {
		n.failed = true
		fmt.Fprintf(os.Stderr, "udpbench recv: sd_notify: %v\n", err)
	}
}

// signalName names the signals recv catches as a shell does.
func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// runEnd is why watch returned.
type runEnd struct {
	returned bool      // Run returned by itself, with err
	err      error     // Run's result, when returned
	sig      os.Signal // the signal that asks for a stop; nil: --duration ran out
}

// watch prints one progress line a second until Run returns, a signal
// arrives or expired fires.
func watch(done <-chan error, sigs <-chan os.Signal, expired <-chan time.Time, r peers.Receiver, start time.Time, w io.Writer) runEnd {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var prev peers.RecvCounts
	prevAt := start
	for {
		select {
		case err := <-done:
			return runEnd{returned: true, err: err}
		case s := <-sigs:
			return runEnd{sig: s}
		case <-expired:
			return runEnd{}
		case now := <-tick.C:
			c := r.Counts()
			dt := now.Sub(prevAt).Seconds()
			fmt.Fprintf(w, "%6.1fs %10.3f M datagrams/s %8.3f Gbit/s  total %d\n",
				now.Sub(start).Seconds(),
				float64(c.Datagrams-prev.Datagrams)/dt/1e6,
				float64(c.Bytes-prev.Bytes)*8/dt/1e9,
				c.Datagrams)
			prev, prevAt = c, now
		}
	}
}

// stopOutcome is how a graceful stop went.
type stopOutcome struct {
	seconds  float64   // from the stop request to Run returning, or to giving up
	stopErr  error     // Stop's result
	runErr   error     // Run's result, when returned
	returned bool      // Run returned in time
	forced   os.Signal // the second signal, which cut the stop short
}

// stopGrace is how long past the stop timeout udpbench still waits for a
// Stop that overruns its context: every receiver's Stop returns when its
// context is done, so this only bounds a broken one.
const stopGrace = time.Second

// stopReceiver stops r gracefully: it calls Stop with a context that
// ends after timeout and waits for Stop and for Run (whose result arrives
// on done) to return. It gives up on Run once Stop has failed for lack of
// time, and returns at once when a signal arrives on sigs.
func stopReceiver(r peers.Receiver, done <-chan error, sigs <-chan os.Signal, timeout time.Duration) (o stopOutcome) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	begin := time.Now()
	defer func() {
		if !o.returned {
			o.seconds = time.Since(begin).Seconds()
		}
	}()
	stopped := make(chan error, 1)
	go func() { stopped <- r.Stop(ctx) }()
	guard := time.NewTimer(timeout + stopGrace)
	defer guard.Stop()
	for stopped != nil || done != nil {
		select {
		case o.stopErr = <-stopped:
			stopped = nil
			if o.stopErr != nil && ctx.Err() != nil && done != nil {
				// Out of time: Run may never return; take it if it has.
				select {
				case o.runErr = <-done:
					o.returned, o.seconds = true, time.Since(begin).Seconds()
				default:
				}
				return o
			}
		case o.runErr = <-done:
			done = nil
			o.returned, o.seconds = true, time.Since(begin).Seconds()
		case o.forced = <-sigs:
			return o
		case <-guard.C:
			return o
		}
	}
	return o
}

// printRecvSummary writes the summary on standard output, as JSON or text.
func printRecvSummary(sum recvSummary, asJSON bool) {
	if asJSON {
		json.NewEncoder(os.Stdout).Encode(sum)
		return
	}
	stop := ""
	if sum.StopSeconds > 0 {
		stop = fmt.Sprintf("; stop %.3fs", sum.StopSeconds)
	}
	fmt.Printf("received %d datagrams, %d bytes in %.3fs (%.3f M datagrams/s, %.3f Gbit/s over %.3fs of traffic); loops %d, errors %d, restarts %d, kernel drops %d%s\n",
		sum.Datagrams, sum.Bytes, sum.Seconds, sum.RatePPS/1e6, sum.Gbps, sum.ActiveSeconds,
		sum.Loops, sum.Errors, sum.Restarts, sum.KernelDrops, stop)
	if l := sum.Latency; l != nil && l.Datagrams > 0 {
		fmt.Printf("udpbench headers: %d datagrams in %d flows, lost %d (%.3f%%), duplicates %d, reordered %d; jitter %v; latency p50 %v p90 %v p99 %v p99.9 %v max %v\n",
			l.Datagrams, l.Flows, l.Lost, l.LossPercent, l.Duplicates, l.Reordered, l.Jitter, l.P50, l.P90, l.P99, l.P999, l.Max)
	}
	if l := sum.Latency; l != nil && l.Foreign > 0 {
		fmt.Printf("%d datagrams without a udpbench header (not counted for loss or latency)\n", l.Foreign)
	}
}

func summarise(name string, r peers.Receiver, start time.Time, stopSeconds float64) recvSummary {
	c := r.Counts()
	s := recvSummary{
		Receiver: name, Backend: c.Backend, Listen: r.Addr().String(),
		Datagrams: c.Datagrams, Bytes: c.Bytes, Batches: c.Batches,
		Seconds: time.Since(start).Seconds(), Loops: c.Loops,
		KernelDrops: c.KernelDrops, Errors: c.Errors, Restarts: c.Restarts,
		StopSeconds: stopSeconds, Latency: c.Latency, IncomingCPUs: c.IncomingCPUs,
	}
	if !c.First.IsZero() {
		s.ActiveSeconds = c.Last.Sub(c.First).Seconds()
		if s.ActiveSeconds > 0 {
			s.RatePPS = float64(c.Datagrams) / s.ActiveSeconds
			s.Gbps = float64(c.Bytes) * 8 / s.ActiveSeconds / 1e9
		}
	}
	return s
}

// newLogger returns a text logger on stderr at the named level, or nil
// for "off".
func newLogger(level string) (*slog.Logger, error) {
	if level == "off" {
		return nil, nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, errors.New("want debug, info, warn, error or off")
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}
