package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/udprx/udprx/bench/load"
	"github.com/udprx/udprx/bench/peers"
	"github.com/udprx/udprx/bench/report"
)

// echoDoc and rrDoc are the help of "udpbench echo" and "udpbench rr".
var (
	echoDoc = commandDoc{
		summary:  "run an echo server: each datagram answered with its own payload",
		synopsis: "udpbench echo [flags]",
		description: `Answers every datagram with its own payload, to its source, from the
address it was sent to, until --duration has passed or SIGINT/SIGTERM,
then stops gracefully (udprx: the replies to every datagram already queued
are sent). --server picks the loop: udprx (the engine, replies through
Writer.Reply, one sendmmsg per batch) or one of the loops it is compared
with (stdlib, xnet, gnet, rawmmsg). It is the server side of "udpbench rr".

sockperf's clients ignore a plain echo (their messages carry a client flag
that the answer must clear, and only some ask for an answer): --server
udprx-sockperf answers as sockperf's own server does, so that sockperf
ping-pong and under-load can measure the engine.

The summary goes to standard output: as text, or with --json as one JSON
object with the fields server, backend, listen, datagrams, replies,
kernel_drops, send_drops, errors, restarts, loops, seconds, active_seconds
and rate_pps (datagrams over active_seconds).`,
	}
	rrDoc = commandDoc{
		summary:  "request/response client: paced or closed-loop requests, round-trip times",
		synopsis: "udpbench rr --to HOST:PORT [flags]",
		description: `Sends requests to an echo server from --flows connected sockets for
--duration and matches the answers, as netperf UDP_RR and sockperf
under-load do. Each request carries udpbench's header (flow, sequence
number, send time), which the server sends back.

--rate 0 is closed loop: each flow sends its next request when the previous
one is answered or --timeout has passed (one outstanding request per flow,
as sockperf ping-pong). --rate R paces R requests/s over all flows, sent
whether or not earlier ones were answered (open loop, as sockperf
under-load), in calls of up to --batch (with --gso as UDP GSO
super-packets, Linux), and answers are read by a goroutine per flow
(recvmmsg on Linux).

The summary goes to standard output: as text, or with --json as one JSON
object with the fields to, mode, rate, size, flows, gso, sent, answered,
unanswered, loss_percent, duplicates, foreign, send_errors, first_error,
seconds, sent_pps, answered_pps, p50_ns, p90_ns, p99_ns, p99_9_ns, max_ns
and mean_ns. An answer later than --timeout counts as unanswered.`,
	}
)

// echoSummary is the stable JSON interface of "udpbench echo --json".
type echoSummary struct {
	Server        string  `json:"server"`
	Backend       string  `json:"backend"`
	Listen        string  `json:"listen"`
	Datagrams     uint64  `json:"datagrams"`
	Replies       uint64  `json:"replies"`
	KernelDrops   uint64  `json:"kernel_drops"`
	SendDrops     uint64  `json:"send_drops"`
	Errors        uint64  `json:"errors"`
	Restarts      uint64  `json:"restarts"`
	Loops         int     `json:"loops"`
	Seconds       float64 `json:"seconds"`
	ActiveSeconds float64 `json:"active_seconds"`
	RatePPS       float64 `json:"rate_pps"`
}

func runEcho(args []string) int {
	fs := flag.NewFlagSet("echo", flag.ContinueOnError)
	listen := fs.String("listen", "udp://127.0.0.1:9000", "address to answer on: udp://host:port, udp4://, udp6://")
	server := fs.String("server", "udprx", fmt.Sprintf("echo loop to run: one of %v", peers.EchoServerNames()))
	loops := fs.Int("loops", 0, "event loops (sockets with SO_REUSEPORT); 0 = one per CPU for udprx, 1 for the others")
	rcvbuf := fs.Int("rcvbuf", 4<<20, "socket receive buffer (SO_RCVBUF) to request, bytes; 0 = system default")
	duration := fs.Duration("duration", 0, "how long to answer; 0 = until SIGINT/SIGTERM")
	stopTimeout := fs.Duration("stop-timeout", 10*time.Second, "how long the graceful stop may take before udpbench gives up on it and exits 1")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on stdout")
	quiet := fs.Bool("quiet", false, "no live progress lines")
	logLevel := fs.String("log", "info", "the server's own log lines on stderr: debug, info, warn, error or off")
	if code, ok := parseFlags(fs, args, "echo"); !ok {
		return code
	}
	switch {
	case *duration < 0:
		return usageError("echo", "--duration %v: want 0 or more", *duration)
	case *stopTimeout <= 0:
		return usageError("echo", "--stop-timeout %v: want more than 0", *stopTimeout)
	case *loops < 0:
		return usageError("echo", "--loops %d: want 0 or more", *loops)
	}
	logger, err := newLogger(*logLevel)
	if err != nil {
		return usageError("echo", "--log %q: %v", *logLevel, err)
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	s, err := peers.NewEchoServer(*server, peers.RecvConfig{
		Listen: *listen, Loops: *loops, RecvBuffer: *rcvbuf, Logger: logger,
	})
	if err != nil {
		return usageError("echo", "%v", err)
	}
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	var progress io.Writer = os.Stderr
	if *quiet {
		progress = io.Discard
	}
	listenAddr := s.Addr().String() // before the stop, which closes the sockets
	fmt.Fprintf(progress, "udpbench echo: %s on %s\n", *server, listenAddr)
	var expired <-chan time.Time
	if *duration > 0 {
		timer := time.NewTimer(*duration)
		defer timer.Stop()
		expired = timer.C
	}
	end := watch(done, sigs, expired, s, start, progress)
	var st stopOutcome
	if !end.returned {
		st = stopReceiver(s, done, sigs, *stopTimeout)
	}
	printEchoSummary(echoSummarise(*server, s, listenAddr, start), *asJSON)
	switch {
	case end.returned && end.err != nil:
		return commandFailure("echo", end.err)
	case end.returned:
		return exitOK
	case st.forced != nil:
		return exitSignal + int(st.forced.(syscall.Signal))
	case st.stopErr != nil:
		return commandFailure("echo", st.stopErr)
	case !st.returned:
		return commandFailure("echo", fmt.Errorf("the %s echo server did not stop within --stop-timeout %v", *server, *stopTimeout))
	case st.runErr != nil && !errors.Is(st.runErr, net.ErrClosed):
		return commandFailure("echo", st.runErr)
	}
	return exitOK
}

func echoSummarise(name string, s peers.Receiver, listen string, start time.Time) echoSummary {
	c := s.Counts()
	sum := echoSummary{
		Server: name, Backend: c.Backend, Listen: listen,
		Datagrams: c.Datagrams, Replies: c.Replies, KernelDrops: c.KernelDrops,
		SendDrops: c.SendDrops, Errors: c.Errors, Restarts: c.Restarts, Loops: c.Loops,
		Seconds: time.Since(start).Seconds(),
	}
	if !c.First.IsZero() {
		sum.ActiveSeconds = c.Last.Sub(c.First).Seconds()
		if sum.ActiveSeconds > 0 {
			sum.RatePPS = float64(c.Datagrams) / sum.ActiveSeconds
		}
	}
	return sum
}

func printEchoSummary(s echoSummary, asJSON bool) {
	if asJSON {
		json.NewEncoder(os.Stdout).Encode(s)
		return
	}
	fmt.Printf("answered %d of %d datagrams in %.3fs (%.3f M datagrams/s over %.3fs of traffic); kernel drops %d, send drops %d, errors %d, restarts %d, loops %d\n",
		s.Replies, s.Datagrams, s.Seconds, s.RatePPS/1e6, s.ActiveSeconds, s.KernelDrops, s.SendDrops, s.Errors, s.Restarts, s.Loops)
}

func runRR(args []string) int {
	fs := flag.NewFlagSet("rr", flag.ContinueOnError)
	command := load.DefineRRFlags(fs)
	if code, ok := parseFlags(fs, args, "rr"); !ok {
		return code
	}
	c, err := command()
	if err != nil {
		return usageError("rr", "%v", err)
	}
	cfg := c.Config
	if err := cfg.Validate(); err != nil {
		return usageError("rr", "%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := load.RR(ctx, cfg)
	if c.JSON {
		json.NewEncoder(os.Stdout).Encode(st)
	} else {
		fmt.Printf("%s, %d flows, %d-byte requests: sent %d, answered %d, unanswered %d (%.3f%%) in %.3fs (%s answered/s); RTT p50 %v p90 %v p99 %v p99.9 %v max %v\n",
			st.Mode, st.Flows, st.Size, st.Sent, st.Answered, st.Unanswered, st.LossPercent, st.Seconds,
			report.FormatRate(st.AnsweredPPS), st.P50, st.P90, st.P99, st.P999, st.Max)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "udpbench rr: %v\n", err)
		return exitError
	}
	return exitOK
}
