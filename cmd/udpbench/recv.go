package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/udprx/udprx/bench"
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
}

func runRecv(args []string) int {
	fs := flag.NewFlagSet("recv", flag.ContinueOnError)
	listen := fs.String("listen", "udp://127.0.0.1:9000", "address to receive on: udp://host:port, udp4://, udp6://")
	receiver := fs.String("receiver", "udprx", fmt.Sprintf("receive loop to run: one of %v", bench.ReceiverNames()))
	loops := fs.Int("loops", 0, "event loops (sockets with SO_REUSEPORT); 0 = one per CPU for udprx, 1 for the others")
	batchSize := fs.Int("batch", 0, "datagrams per read; 0 = the receiver's default (64)")
	bufSize := fs.Int("bufsize", 0, "bytes per datagram buffer; 0 = default (2048)")
	rcvbuf := fs.Int("rcvbuf", 4<<20, "socket receive buffer (SO_RCVBUF) to request, bytes; 0 = system default")
	portable := fs.Bool("portable", false, "udprx only: use the portable backend")
	duration := fs.Duration("duration", 10*time.Second, "how long to receive; 0 = until SIGINT/SIGTERM")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on stdout")
	quiet := fs.Bool("quiet", false, "no live progress lines")
	logLevel := fs.String("log", "info", "the receiver's own log lines on stderr: debug, info, warn, error or off")
	if code, ok := parseFlags(fs, args, "recv"); !ok {
		return code
	}
	if *duration < 0 {
		return usageError("recv", "--duration %v: want 0 or more", *duration)
	}
	logger, err := newLogger(*logLevel)
	if err != nil {
		return usageError("recv", "--log %q: %v", *logLevel, err)
	}
	r, err := bench.NewReceiver(*receiver, bench.RecvConfig{
		Listen: *listen, Loops: *loops, BatchSize: *batchSize, BufSize: *bufSize,
		RecvBuffer: *rcvbuf, Portable: *portable, Logger: logger,
	})
	if err != nil {
		return usageError("recv", "%v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var progress io.Writer = os.Stderr
	if *quiet {
		progress = io.Discard
	}
	fmt.Fprintf(progress, "udpbench recv: %s on %s\n", *receiver, r.Addr())
	runErr := watch(ctx, done, r, start, progress)

	sum := summarise(*receiver, r, start)
	if *asJSON {
		json.NewEncoder(os.Stdout).Encode(sum)
	} else {
		fmt.Printf("received %d datagrams, %d bytes in %.3fs (%.3f M datagrams/s, %.3f Gbit/s over %.3fs of traffic); loops %d, errors %d, restarts %d, kernel drops %d\n",
			sum.Datagrams, sum.Bytes, sum.Seconds, sum.RatePPS/1e6, sum.Gbps, sum.ActiveSeconds,
			sum.Loops, sum.Errors, sum.Restarts, sum.KernelDrops)
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) && !errors.Is(runErr, context.DeadlineExceeded) {
		fmt.Fprintf(os.Stderr, "udpbench recv: %v\n", runErr)
		return 1
	}
	return 0
}

// watch prints one progress line a second until Run returns.
func watch(ctx context.Context, done <-chan error, r bench.Receiver, start time.Time, w io.Writer) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var prev bench.RecvCounts
	prevAt := start
	for {
		select {
		case err := <-done:
			return err
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

func summarise(name string, r bench.Receiver, start time.Time) recvSummary {
	c := r.Counts()
	s := recvSummary{
		Receiver: name, Backend: c.Backend, Listen: r.Addr().String(),
		Datagrams: c.Datagrams, Bytes: c.Bytes, Batches: c.Batches,
		Seconds: time.Since(start).Seconds(), Loops: c.Loops,
		KernelDrops: c.KernelDrops, Errors: c.Errors, Restarts: c.Restarts,
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
