package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/udprx/udprx/bench/load"
)

// sendSummary is the stable JSON output of "udpbench send --json".
type sendSummary struct {
	Datagrams  uint64  `json:"datagrams"`
	Bytes      uint64  `json:"bytes"`   // UDP payload bytes
	Seconds    float64 `json:"seconds"` // from the first send to the end
	RatePPS    float64 `json:"rate_pps"`
	Gbps       float64 `json:"gbps"` // UDP payload bits per second / 1e9
	Errors     uint64  `json:"errors"`
	FirstError string  `json:"first_error,omitempty"`
	Calls      uint64  `json:"calls"` // send system calls
	Flows      int     `json:"flows"`
	GSO        bool    `json:"gso"`
	Size       int     `json:"size"`
}

func runSend(args []string) int {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	to := fs.String("to", "", "destination `HOST:PORT` (required)")
	size := fs.Int("size", load.DefaultSize, fmt.Sprintf("UDP payload of every datagram, `BYTES`, 1..%d; with --gso, of every segment", load.MaxSize))
	rate := fs.Float64("rate", 0, "send `N` datagrams per second over all flows, split evenly; 0 = as fast as possible")
	duration := fs.Duration("duration", 5*time.Second, "stop after `DURATION` (e.g. 10s, 1m); 0 = no time limit")
	count := fs.Int64("count", 0, "stop after `N` datagrams in total (whichever of --duration and --count comes first); 0 = no limit")
	flows := fs.Int("flows", 1, fmt.Sprintf("send from `N` sockets (distinct source ports), each in its own goroutine, 1..%d", load.MaxFlows))
	gso := fs.Bool("gso", false, "send UDP GSO super-packets of up to 64 segments (Linux only)")
	batch := fs.Int("batch", load.DefaultBatch, fmt.Sprintf("send at most `N` datagrams per system call, 1..%d (with --gso, packed up to 64 per super-packet)", load.MaxBatch))
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on standard output")
	quiet := fs.Bool("quiet", false, "print no progress lines and no text summary (--json still prints)")
	if status, ok := parseFlags(fs, args, "send"); !ok {
		return status
	}
	if *to == "" {
		return usageError("send", "--to is required")
	}
	// 0 means "default" to bench; on the command line it is a mistake.
	for _, f := range []struct {
		name string
		v    int
	}{{"size", *size}, {"flows", *flows}, {"batch", *batch}} {
		if f.v == 0 {
			return usageError("send", "--%s 0: must be at least 1", f.name)
		}
	}
	cfg := load.SendConfig{
		To: *to, Size: *size, Rate: *rate, Duration: *duration, Count: *count,
		Flows: *flows, GSO: *gso, Batch: *batch,
	}
	if err := cfg.Validate(); err != nil {
		return usageError("send", "%v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var progress func(load.SendStats)
	if !*quiet && isTerminal(os.Stderr) {
		progress = progressPrinter(os.Stderr)
	}
	st, err := load.Send(ctx, cfg, progress)
	stop()

	sum := summarizeSend(st)
	switch {
	case *asJSON:
		json.NewEncoder(os.Stdout).Encode(sum)
	case !*quiet:
		printSendSummary(os.Stdout, sum)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "udpbench send: %v\n", err)
		return exitError
	}
	return exitOK
}

// progressPrinter returns a progress callback for load.Send that writes one
// line per report to w: time so far, the rate since the previous report,
// the total and the errors.
func progressPrinter(w io.Writer) func(load.SendStats) {
	var prev load.SendStats
	return func(s load.SendStats) {
		dt := (s.Elapsed - prev.Elapsed).Seconds()
		if dt <= 0 {
			return
		}
		fmt.Fprintf(w, "%6.1fs %10.3f M datagrams/s %8.3f Gbit/s  total %d  errors %d\n",
			s.Elapsed.Seconds(),
			float64(s.Datagrams-prev.Datagrams)/dt/1e6,
			float64(s.Bytes-prev.Bytes)*8/dt/1e9,
			s.Datagrams, s.Errors)
		prev = s
	}
}

// summarizeSend turns Send's result into udpbench's summary.
func summarizeSend(st load.SendStats) sendSummary {
	sum := sendSummary{
		Datagrams: st.Datagrams, Bytes: st.Bytes, Seconds: st.Elapsed.Seconds(),
		RatePPS: st.Rate(), Errors: st.Errors, Calls: st.Calls,
		Flows: st.Flows, GSO: st.GSO, Size: st.Size,
	}
	if sum.Seconds > 0 {
		sum.Gbps = float64(st.Bytes) * 8 / sum.Seconds / 1e9
	}
	if st.FirstErr != nil {
		sum.FirstError = st.FirstErr.Error()
	}
	return sum
}

// printSendSummary writes the summary as text.
func printSendSummary(w io.Writer, s sendSummary) {
	gso := "off"
	if s.GSO {
		gso = "on"
	}
	fmt.Fprintf(w, "sent %d datagrams, %d bytes in %.3fs: %.3f M datagrams/s, %.3f Gbit/s; errors %d; %d flows, %d-byte payloads, GSO %s, %d send calls\n",
		s.Datagrams, s.Bytes, s.Seconds, s.RatePPS/1e6, s.Gbps, s.Errors, s.Flows, s.Size, gso, s.Calls)
	if s.FirstError != "" {
		fmt.Fprintf(w, "first error: %s\n", s.FirstError)
	}
}
