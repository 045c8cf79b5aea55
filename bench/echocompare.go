package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/udprx/udprx/bench/hoststat"
	"github.com/udprx/udprx/bench/load"
	"github.com/udprx/udprx/bench/peers"
	"github.com/udprx/udprx/bench/report"
	"github.com/udprx/udprx/bench/wire"
)

// Defaults of EchoCompareConfig.
const (
	// DefaultEchoFlows is the client's flows (sockets) per trial: enough
	// that a batching server sees batches in closed loop.
	DefaultEchoFlows = 8
	// DefaultEchoSize is the request size: a small query.
	DefaultEchoSize = 64
)

// EchoCompareConfig describes a comparison of echo servers under one
// request/response load: the client is "udpbench rr" in a child process,
// the server a fresh NewEchoServer in this process, so this process's CPU
// time is the server's. The zero value of every field but
// TrialSetup.SenderCommand means its default.
type EchoCompareConfig struct {
	// TrialSetup: SenderCommand is the client, a udpbench binary and its
	// rr subcommand ({"/usr/local/bin/udpbench", "rr"}); each trial appends
	// --to, --rate, --size, --flows, --duration, --batch, --json (and
	// --gso, when paced and GSO is on). Batch is ignored: see RRBatch.
	// Pin, Loops, RecvBuffer, NoGSO and Logger mean what they mean for
	// Compare.
	TrialSetup
	// Servers are the echo servers, by NewEchoServer name, in the order
	// reported; nil means DefaultEchoServers().
	Servers []string
	// Size is the request size, HeaderSize..MaxSize; 0 = DefaultEchoSize.
	Size int
	// Rate is the client's requests per second; 0 = closed loop (see
	// RRConfig.Rate).
	Rate float64
	// Flows is the client's sockets; 0 = DefaultEchoFlows.
	Flows int
	// RRBatch is the client's --batch when paced; 0 = DefaultRRBatch.
	RRBatch int
	// Duration is each trial's load; 0 = DefaultCompareDuration.
	Duration time.Duration
	// Repetitions per server; 0 = DefaultRepetitions.
	Repetitions int
}

// Validate reports every invalid field of c in one error.
func (c EchoCompareConfig) Validate() error {
	bad := c.TrialSetup.validate(nil)
	bad = validateNames(bad, c.Servers, peers.EchoServerNames(), "echo server")
	if c.Size != 0 && (c.Size < wire.HeaderSize || c.Size > load.MaxSize) {
		bad = append(bad, fmt.Sprintf("sizes: %d is outside %d..%d (a request carries a header)", c.Size, wire.HeaderSize, load.MaxSize))
	}
	if c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) {
		bad = append(bad, fmt.Sprintf("rate %v is not a finite number >= 0", c.Rate))
	}
	if c.Flows < 0 || c.Flows > load.MaxFlows {
		bad = append(bad, fmt.Sprintf("flows %d is outside 1..%d", c.Flows, load.MaxFlows))
	}
	if c.RRBatch < 0 || c.RRBatch > load.MaxBatch {
		bad = append(bad, fmt.Sprintf("batch %d is outside 1..%d", c.RRBatch, load.MaxBatch))
	}
	if c.Duration < 0 {
		bad = append(bad, fmt.Sprintf("duration %v is negative", c.Duration))
	}
	if c.Repetitions < 0 {
		bad = append(bad, fmt.Sprintf("reps %d is negative", c.Repetitions))
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("bench: invalid echo compare config: %s", strings.Join(bad, "; "))
}

func (c EchoCompareConfig) withDefaults() EchoCompareConfig {
	c.TrialSetup = c.TrialSetup.withDefaults()
	if len(c.Servers) == 0 {
		c.Servers = peers.DefaultEchoServers()
	}
	if c.Size == 0 {
		c.Size = DefaultEchoSize
	}
	if c.Flows == 0 {
		c.Flows = DefaultEchoFlows
	}
	if c.RRBatch == 0 {
		c.RRBatch = load.DefaultRRBatch
	}
	if c.Duration == 0 {
		c.Duration = DefaultCompareDuration
	}
	if c.Repetitions == 0 {
		c.Repetitions = DefaultRepetitions
	}
	return c
}

// EchoTrial is one echo server under the load once.
type EchoTrial struct {
	Server  string `json:"server"`
	Backend string `json:"backend"`
	Rep     int    `json:"rep"`
	// Client is what "udpbench rr" reported.
	Client load.RRStats `json:"client"`
	// Received, Replies, SendDrops and KernelDrops are the server's
	// counts (RecvCounts).
	Received    uint64 `json:"received"`
	Replies     uint64 `json:"replies"`
	SendDrops   uint64 `json:"send_drops"`
	KernelDrops uint64 `json:"kernel_drops"`
	// CPUPercent is this process's (the server's) CPU time over the
	// client's sending time, 100 = one core; CPUPerRequest is that time
	// over the requests answered.
	CPUPercent    float64       `json:"cpu_percent"`
	CPUPerRequest time.Duration `json:"cpu_per_request_ns"`
}

// EchoRow is one server over its repetitions (medians; Stat where the
// spread matters).
type EchoRow struct {
	Server        string      `json:"server"`
	Backend       string      `json:"backend"`
	Trials        int         `json:"trials"`
	AnsweredPPS   report.Stat `json:"answered_pps"`
	SentPPS       float64     `json:"sent_pps"`
	LossPercent   float64     `json:"loss_percent"`
	P50           report.Stat `json:"p50_ns"`
	P99           report.Stat `json:"p99_ns"`
	P999          float64     `json:"p99_9_ns"`
	CPUPercent    float64     `json:"cpu_percent"`
	CPUPerRequest report.Stat `json:"cpu_per_request_ns"`
	// VsStdlib is the median answered/s over the stdlib server's.
	VsStdlib float64 `json:"vs_stdlib"`
}

// EchoReport is the result of EchoCompare.
type EchoReport struct {
	Machine  report.Machine    `json:"machine"`
	Config   EchoCompareConfig `json:"-"`
	GSO      bool              `json:"gso"`
	Pinned   bool              `json:"pinned"`
	Rows     []EchoRow         `json:"rows"`
	Trials   []EchoTrial       `json:"trials"`
	Skipped  []string          `json:"skipped,omitempty"`
	Started  time.Time         `json:"started"`
	Seconds  float64           `json:"seconds"`
	Settings map[string]any    `json:"settings"`
}

// EchoCompare runs the same request/response load against every echo
// server of cfg, Repetitions times, interleaved as Compare's trials are,
// and reports each trial and the medians. A server this system lacks
// (errors.ErrUnsupported) is skipped and named in Skipped. progress, if
// not nil, is called after each trial.
func EchoCompare(ctx context.Context, cfg EchoCompareConfig, progress func(EchoTrial)) (EchoReport, error) {
	if err := cfg.Validate(); err != nil {
		return EchoReport{}, err
	}
	cfg = cfg.withDefaults()
	rep := EchoReport{Machine: report.ThisMachine(), Config: cfg, Started: time.Now()}
	tr, err := newTrialRunner(cfg.TrialSetup)
	if err != nil {
		return rep, err
	}
	defer tr.close()
	rep.GSO = tr.gso && cfg.Rate > 0
	rep.Pinned = tr.pin != nil
	rep.Settings = map[string]any{
		"size": cfg.Size, "rate": cfg.Rate, "flows": cfg.Flows, "batch": cfg.RRBatch,
		"duration_seconds": cfg.Duration.Seconds(), "repetitions": cfg.Repetitions,
		"loops": cfg.Loops, "recv_buffer": cfg.RecvBuffer,
	}
	skipped := map[string]bool{}
	err = func() error {
		for r := range cfg.Repetitions {
			for i := range cfg.Servers {
				name := cfg.Servers[(i+r)%len(cfg.Servers)]
				if skipped[name] {
					continue
				}
				t, err := tr.echoTrial(ctx, cfg, name, r+1)
				if errors.Is(err, errors.ErrUnsupported) {
					skipped[name] = true
					rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s: %v", name, err))
					continue
				}
				if err != nil {
					return err
				}
				rep.Trials = append(rep.Trials, t)
				if progress != nil {
					progress(t)
				}
			}
		}
		return nil
	}()
	rep.Rows = summarizeEcho(cfg.Servers, rep.Trials)
	rep.Seconds = time.Since(rep.Started).Seconds()
	return rep, err
}

// echoTrial runs one server under the client for cfg.Duration.
func (tr *trialRunner) echoTrial(ctx context.Context, cfg EchoCompareConfig, name string, rep int) (EchoTrial, error) {
	t := EchoTrial{Server: name, Rep: rep}
	s, err := peers.NewEchoServer(name, peers.RecvConfig{
		Listen:     "udp4://127.0.0.1:0",
		Loops:      tr.setup.Loops,
		BufSize:    max(2048, cfg.Size),
		RecvBuffer: tr.setup.RecvBuffer,
		Logger:     tr.setup.Logger,
	})
	if err != nil {
		return t, fmt.Errorf("bench: %s echo server: %w", name, err)
	}
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run(context.WithoutCancel(ctx)) }()
	stop := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), stopLimit)
		defer cancel()
		if err := s.Stop(sctx); err != nil {
			return fmt.Errorf("bench: stop the %s echo server: %w", name, err)
		}
		select {
		case err := <-runDone:
			if err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("bench: %s echo server: %w", name, err)
			}
		case <-sctx.Done():
			return fmt.Errorf("bench: %s echo server: Run did not return within %v of Stop", name, stopLimit)
		}
		return nil
	}
	cpuBefore, cpuErr := hoststat.ProcessCPU()
	t.Client, err = tr.runRR(ctx, cfg, s.Addr().String())
	cpuAfter, cpuErr2 := hoststat.ProcessCPU()
	c := s.Counts()
	if serr := stop(); err == nil {
		err = serr
	}
	if err != nil {
		return t, err
	}
	t.Backend = c.Backend
	t.Received, t.Replies, t.SendDrops, t.KernelDrops = c.Datagrams, c.Replies, c.SendDrops, c.KernelDrops
	if cpuErr == nil && cpuErr2 == nil && t.Client.Seconds > 0 {
		cpu := cpuAfter - cpuBefore
		t.CPUPercent = hoststat.CPUPercent(cpu, time.Duration(t.Client.Seconds*float64(time.Second)))
		if t.Client.Answered > 0 {
			t.CPUPerRequest = cpu / time.Duration(t.Client.Answered)
		}
	}
	return t, nil
}

// rrArgs is the client's command line for a trial against addr:
// SenderCommand, then "udpbench rr"'s arguments as load.RRCommand writes
// them, asking for the JSON summary that runRR reads.
func (tr *trialRunner) rrArgs(cfg EchoCompareConfig, addr string) []string {
	rr := load.RRConfig{To: addr, Rate: cfg.Rate, Size: cfg.Size, Flows: cfg.Flows, Duration: cfg.Duration,
		Batch: cfg.RRBatch, GSO: tr.gso}
	return append(slices.Clone(tr.setup.SenderCommand[1:]), load.RRCommand{Config: rr, JSON: true}.Args()...)
}

// runRR runs the client child against addr and returns its summary.
func (tr *trialRunner) runRR(ctx context.Context, cfg EchoCompareConfig, addr string) (load.RRStats, error) {
	var st load.RRStats
	cctx, cancel := context.WithTimeout(ctx, cfg.Duration+senderGrace)
	defer cancel()
	cmd := exec.CommandContext(cctx, tr.setup.SenderCommand[0], tr.rrArgs(cfg, addr)...)
	cmd.Env = append(os.Environ(), tr.setup.SenderEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	var err error
	if tr.pin != nil {
		err = tr.pin.start(cmd)
	} else {
		err = cmd.Start()
	}
	if err != nil {
		return st, fmt.Errorf("bench: start the client %q: %w", tr.setup.SenderCommand[0], err)
	}
	err = cmd.Wait()
	if ctx.Err() != nil {
		return st, fmt.Errorf("bench: client interrupted: %w", ctx.Err())
	}
	if err != nil {
		return st, fmt.Errorf("bench: client %s: %w%s", strings.Join(cmd.Args, " "), err, firstLine(stderr.String()))
	}
	if err := json.NewDecoder(&stdout).Decode(&st); err != nil {
		return st, fmt.Errorf("bench: client printed no JSON summary (%w)%s", err, firstLine(stderr.String()))
	}
	return st, nil
}

// summarizeEcho makes one row per server that has trials, in names'
// order.
func summarizeEcho(names []string, trials []EchoTrial) []EchoRow {
	var rows []EchoRow
	for _, name := range names {
		row := EchoRow{Server: name}
		var ans, sent, loss, p50, p99, p999, cpu, per []float64
		for _, t := range trials {
			if t.Server != name {
				continue
			}
			row.Trials++
			row.Backend = t.Backend
			ans = append(ans, t.Client.AnsweredPPS)
			sent = append(sent, t.Client.SentPPS)
			loss = append(loss, t.Client.LossPercent)
			p50 = append(p50, float64(t.Client.P50))
			p99 = append(p99, float64(t.Client.P99))
			p999 = append(p999, float64(t.Client.P999))
			cpu = append(cpu, t.CPUPercent)
			per = append(per, float64(t.CPUPerRequest))
		}
		if row.Trials == 0 {
			continue
		}
		row.AnsweredPPS, row.P50, row.P99, row.CPUPerRequest = report.StatOf(ans), report.StatOf(p50), report.StatOf(p99), report.StatOf(per)
		row.SentPPS, row.LossPercent = report.StatOf(sent).Median, report.StatOf(loss).Median
		row.P999, row.CPUPercent = report.StatOf(p999).Median, report.StatOf(cpu).Median
		rows = append(rows, row)
	}
	for _, r := range rows {
		if r.Server == "stdlib" && r.AnsweredPPS.Median > 0 {
			for i := range rows {
				rows[i].VsStdlib = rows[i].AnsweredPPS.Median / r.AnsweredPPS.Median
			}
		}
	}
	return rows
}

// WriteJSON writes r as one indented JSON object.
func (r EchoReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes r as a table with a heading and notes.
func (r EchoReport) WriteText(w io.Writer) error {
	c := r.Config
	load := "closed loop (one request outstanding per flow)"
	if c.Rate > 0 {
		load = report.FormatRate(c.Rate) + " requests/s paced"
		if r.GSO {
			load += " (UDP GSO)"
		}
	}
	pin := "not pinned"
	if r.Pinned {
		pin = "client and server pinned to different CPUs"
	}
	fmt.Fprintf(w, "udpbench compare --echo on %s\n", r.Machine)
	fmt.Fprintf(w, "load: udpbench rr in a child process, %s, %d-byte requests, %d flows, %v per trial, %d repetition(s); servers: %d loop(s); %s; %.0fs in all\n\n",
		load, c.Size, c.Flows, c.Duration, c.Repetitions, c.Loops, pin, r.Seconds)
	us := func(ns float64) string { return fmt.Sprintf("%.1f", ns/1e3) }
	t := [][]string{{"server", "answered/s", "min-max", "sent/s", "loss %", "p50 µs", "p99 µs", "p99.9 µs", "CPU %", "CPU/req ns", "vs stdlib"}}
	for _, row := range r.Rows {
		vs := "-"
		if row.VsStdlib > 0 {
			vs = fmt.Sprintf("%.2fx", row.VsStdlib)
		}
		t = append(t, []string{
			row.Server,
			report.FormatRate(row.AnsweredPPS.Median),
			report.FormatRate(row.AnsweredPPS.Min) + "-" + report.FormatRate(row.AnsweredPPS.Max),
			report.FormatRate(row.SentPPS),
			fmt.Sprintf("%.2f", row.LossPercent),
			us(row.P50.Median), us(row.P99.Median), us(row.P999),
			fmt.Sprintf("%.0f", row.CPUPercent),
			fmt.Sprintf("%.0f", row.CPUPerRequest.Median),
			vs,
		})
	}
	report.WriteTable(w, t, 1)
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "skipped %s\n", s)
	}
	_, err := fmt.Fprint(w, `
answered/s (median, min-max over repetitions) counts requests whose answer
reached the client within its timeout, over the client's sending time; loss
% is the requests left unanswered. RTT percentiles are the client's, send
call to read, medians over repetitions. CPU % is the server process's CPU
over the run, 100 = one core; CPU/req is that CPU time per answered request.
`)
	return err
}
