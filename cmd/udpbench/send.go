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

	"github.com/udprx/udprx/bench/load"
)

func runSend(args []string) int {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	command := load.DefineSendFlags(fs)
	if status, ok := parseFlags(fs, args, "send"); !ok {
		return status
	}
	c, err := command()
	cfg := c.Config
	if cfg.To == "" {
		return usageError("send", "--to is required")
	}
	if err != nil {
		return usageError("send", "%v", err)
	}
	if err := cfg.Validate(); err != nil {
		return usageError("send", "%v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var progress func(load.SendStats)
	if !c.Quiet && isTerminal(os.Stderr) {
		progress = progressPrinter(os.Stderr)
	}
	st, err := load.Send(ctx, cfg, progress)
	stop()

	sum := st.Summary()
	switch {
	case c.JSON:
		json.NewEncoder(os.Stdout).Encode(sum)
	case !c.Quiet:
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

// printSendSummary writes the summary as text.
func printSendSummary(w io.Writer, s load.SendSummary) {
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
