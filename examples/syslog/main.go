// Command syslog is a small syslog receiver built on the udprx engine: it
// receives RFC 5424 and RFC 3164 messages over UDP or a unix datagram
// socket, parses them, counts them by severity, and writes them on
// standard output, one readable or JSON line each, with Prometheus
// metrics on /metrics and a graceful stop on SIGINT or SIGTERM.
//
//	go run ./examples/syslog --listen udp://127.0.0.1:5514 --json
//	logger --udp --server 127.0.0.1 --port 5514 -p local0.warning -t myapp hello
//
// It shows how to use the engine: a Handler that is done with each
// payload before it returns (receiver.go), output that never makes a loop
// wait (output.go), a stop hook that flushes it (Config.OnStop), and
// metrics in a caller's Set (Config.Metrics). See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/udprx/udprx/engine"
)

// defaultRecvBuffer is --rcvbuf's default: 4 MiB per loop. With the
// system default (212992 bytes on Debian 12) loggen at 50k messages/s
// already lost 0.1-6% of its messages, while 4 MiB lost none at
// loggen's full rate on a 2-CPU machine with Linux 6.18 (150-215k/s);
// docs/benchmarks.md has the runs. As root the engine asks with
// SO_RCVBUFFORCE, so net.core.rmem_max does not cap it; otherwise the
// granted size, on stderr at the start, may be less.
const defaultRecvBuffer = 4 << 20

// defaultGather is --gather's default. At moderate rates a loop's CPU
// time goes mostly to waking up: at loggen's 22.8k messages/s the loop
// read 2.4-4 messages per wake-up, and handling them faster only made the
// wake-ups more frequent (docs/benchmarks.md). Waiting 1 ms after a short
// batch let it read about 17 per wake-up and cut the CPU per message by
// a quarter to a third (2.9-4.5 µs against 4.4-5.3, 4 interleaved pairs
// of 4 s runs on a 2-CPU machine with Linux 6.18). The price is up to
// 1 ms more before a message is written, next to the output's own 10 ms
// (flushDelay), and rate x 1 ms of datagrams held in the receive buffer
// (215 at loggen's maximum, against the 16,000 that 4 MiB holds). A
// busy loop reads full batches and never waits, so the maximum rate is
// not affected.
const defaultGather = time.Millisecond

// engineGather is Config.Gather for --gather, whose 0 means what it says:
// read again at once (the engine's 0 is its own default, and a negative
// Gather is off).
func engineGather(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// maxGather bounds --gather: a loop that waits longer than this stops
// being a receiver that reacts, and the stop waits for it too.
const maxGather = 100 * time.Millisecond

// datagramSize is the receive buffer per datagram. RFC 5426 section 3.2:
// receivers SHOULD take 2048 bytes and SHOULD try 8192. Longer ones are
// delivered cut, parsed, and counted as truncated.
const datagramSize = 8192

func main() {
	sigs := make(chan os.Signal, 2) // room for the second: Notify never blocks
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, sigs))
}

// run is the whole program: it returns the exit status, 0 after a
// graceful stop, 1 after a failure or a stop that overran --stop-timeout,
// 2 for bad flags. The first signal on sigs starts the stop; a second one
// cuts it short.
func run(args []string, stdout, stderr io.Writer, sigs <-chan os.Signal) int {
	fs := flag.NewFlagSet("syslog", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "udp://127.0.0.1:5514", "where to receive: udp://host:port (udp4://, udp6://), or unixgram:///path for a /dev/log-style socket")
	metricsAddr := fs.String("metrics", "127.0.0.1:9100", `host:port to serve Prometheus metrics on, at /metrics; "" for none`)
	asJSON := fs.Bool("json", false, "write one JSON object per message instead of a readable line")
	stopTimeout := fs.Duration("stop-timeout", 5*time.Second, "how long the graceful stop may take before syslog gives up on it and exits 1")
	loops := fs.Int("loops", 0, "event loops, each with its own socket (SO_REUSEPORT); 0: one per CPU syslog may run on")
	rcvbuf := fs.Int("rcvbuf", defaultRecvBuffer, "socket receive buffer per loop in bytes (SO_RCVBUF); 0: the system default")
	gather := fs.Duration("gather", defaultGather, "after a read of fewer than 16 messages, how long a loop lets its socket gather more before reading again (the engine's Config.Gather): fewer wake-ups per message at moderate rates, for up to that much delay; 0: read again at once")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "syslog: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if *stopTimeout <= 0 {
		fmt.Fprintf(stderr, "syslog: --stop-timeout %v: want more than 0\n", *stopTimeout)
		return 2
	}
	if *loops < 0 {
		fmt.Fprintf(stderr, "syslog: --loops %d: want 0 or more\n", *loops)
		return 2
	}
	if *gather < 0 || *gather > maxGather {
		fmt.Fprintf(stderr, "syslog: --gather %v: want 0 to %v\n", *gather, maxGather)
		return 2
	}
	if *rcvbuf < 0 {
		fmt.Fprintf(stderr, "syslog: --rcvbuf %d: want 0 or more bytes\n", *rcvbuf)
		return 2
	}

	out := newOutput(stdout, *asJSON)
	rcv := &receiver{out: out, now: time.Now}
	set := metrics.NewSet()
	set.RegisterMetricsWriter(rcv.writeMetrics)

	// Bind the metrics port first: if it is taken, fail before the engine
	// holds its socket.
	var ln net.Listener
	if *metricsAddr != "" {
		var err error
		if ln, err = net.Listen("tcp", *metricsAddr); err != nil {
			fmt.Fprintf(stderr, "syslog: --metrics: %v\n", err)
			return 1
		}
		defer ln.Close()
	}

	e, err := engine.New(engine.Config{
		Addr:         *listen,
		Handler:      rcv,
		Loops:        *loops,
		RecvBuffer:   *rcvbuf,
		DatagramSize: datagramSize,
		ReceiveOnly:  true, // syslog is one-way: no IP_PKTINFO on a wildcard address
		Gather:       engineGather(*gather),
		Metrics:      set,
		Logger:       slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		// The engine runs this after every loop has drained its socket,
		// so every datagram queued when the stop began is written out
		// before the process exits.
		OnStop: []func(context.Context) error{out.close},
	})
	if err != nil {
		fmt.Fprintf(stderr, "syslog: %v\n", err)
		return 1
	}
	// One chunk per loop, made before the loops start: HandleBatch
	// indexes them by engine.Writer.Loop.
	out.setLoops(len(e.Stats().Loops))
	go out.run()
	// First line on stderr, in --listen's own form, so that a script (or
	// the test) started with port 0 learns the port.
	fmt.Fprintf(stderr, "syslog: listening on %s://%s\n", e.Addr().Network(), e.Addr())
	fmt.Fprintf(stderr, "syslog: %s\n", socketsLine(e.Stats()))

	if ln != nil {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
			set.WritePrometheus(w)
			metrics.WriteProcessMetrics(w)
		})
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		fmt.Fprintf(stderr, "syslog: metrics on http://%s/metrics\n", ln.Addr())
	}

	done := make(chan error, 1)
	// Run's context is never cancelled: stopping is Shutdown's job, so
	// that the stop has a deadline.
	go func() { done <- e.Run(context.Background()) }()

	var sig os.Signal
	select {
	case err := <-done:
		// Run ended by itself: the engine failed for good (a loop's
		// restarts ran out), after its stop sequence, so the output is
		// flushed.
		if err == nil {
			err = errors.New("the engine stopped by itself")
		}
		fmt.Fprintf(stderr, "syslog: %s\n", rcv.counts())
		fmt.Fprintf(stderr, "syslog: %s\n", engineLine(e.Stats()))
		fmt.Fprintf(stderr, "syslog: %s\n", oneLine(err))
		return 1
	case sig = <-sigs:
	}

	fmt.Fprintf(stderr, "syslog: %s: stopping, up to %v\n", signalName(sig), *stopTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), *stopTimeout)
	defer cancel()
	go func() {
		select {
		case s := <-sigs:
			fmt.Fprintf(stderr, "syslog: second %s: cutting the stop short\n", signalName(s))
			cancel()
		case <-ctx.Done():
		}
	}()
	stopErr := e.Shutdown(ctx)
	runErr := <-done // Run returns once the stop sequence is over
	fmt.Fprintf(stderr, "syslog: %s\n", rcv.counts())
	fmt.Fprintf(stderr, "syslog: %s\n", engineLine(e.Stats()))
	switch {
	case stopErr != nil:
		// The drain or the flush was cut short: some messages may not
		// have been written.
		fmt.Fprintf(stderr, "syslog: %s\n", oneLine(stopErr))
		return 1
	case runErr != nil && !errors.Is(runErr, net.ErrClosed):
		// net.ErrClosed: the signal came before Run started. Not a failure.
		fmt.Fprintf(stderr, "syslog: %s\n", oneLine(runErr))
		return 1
	}
	return 0
}

// socketsLine says how many loops listen and the receive buffer the
// kernel granted each, in the request's units (platform.Info):
//
//	2 loops, receive buffer 4194304 bytes each (asked 4194304)
func socketsLine(s engine.Stats) string {
	if len(s.Loops) == 0 {
		return "no loops"
	}
	in := s.Loops[0].Socket
	return fmt.Sprintf("%d loops, receive buffer %d bytes each (asked %d)", len(s.Loops), in.RecvBufferGranted, in.RecvBufferRequested)
}

// engineLine is the engine's side of the exit summary, what the message
// counts cannot show:
//
//	engine: 3 datagrams read, kernel_drops=0 discarded=0
//
// kernel_drops are datagrams the kernel dropped before they were read
// (a full receive buffer: raise --rcvbuf or --loops), discarded those
// read but not handled because the stop was cut short. A sender's count
// equals the datagrams read plus both, on loopback where nothing else
// loses them.
func engineLine(s engine.Stats) string {
	return fmt.Sprintf("engine: %d datagrams read, kernel_drops=%d discarded=%d", s.Datagrams, s.KernelDrops, s.Discarded)
}

// oneLine puts an error on one line: errors.Join (several stop hooks
// failing) separates with newlines.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

// signalName names the signals syslog stops on as a shell does.
func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}
