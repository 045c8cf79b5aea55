package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/udprx/udprx/bench/hoststat"
	"github.com/udprx/udprx/bench/load"
	"github.com/udprx/udprx/bench/peers"
	"github.com/udprx/udprx/bench/report"
)

// A trial's platform seam (compare_linux.go, compare_other.go), besides
// bench/hoststat's:
//
//	const pinSupported bool                  // TrialSetup.Pin can be honoured
//	func startPinning() (*pinning, error)    // and (*pinning).start, restore, cpus

// Defaults of CompareConfig and TrialSetup.
const (
	// DefaultCompareDuration is how long the sender runs in each trial.
	DefaultCompareDuration = 5 * time.Second
	// DefaultRepetitions is how many trials each receiver gets per size;
	// the report shows their median.
	DefaultRepetitions = 3
	// DefaultRecvBuffer is the SO_RCVBUF every receiver asks for, as
	// "udpbench recv" does by default.
	DefaultRecvBuffer = 4 << 20
	// DefaultTrialBatch is the sender's --batch in trials: with GSO, 16
	// super-packets of 64 segments per sendmmsg call.
	DefaultTrialBatch = 1024
)

// DefaultCompareSizes are the payload sizes compared by default: a minimal
// datagram, a middling one, and one that fills an Ethernet MTU.
var DefaultCompareSizes = []int{64, 512, 1400}

// TrialSetup is how every trial of Compare and ZeroLoss is run: a fresh
// receiver on 127.0.0.1, port 0, in this process, and the sender in a child
// process, so that this process's CPU time is the receiver's alone.
type TrialSetup struct {
	// SenderCommand runs the sender: a udpbench binary and its send
	// subcommand, such as {"/usr/local/bin/udpbench", "send"}. Each trial
	// appends --to, --size, --rate, --duration, --batch, --flows, --json,
	// --quiet (and --gso, or --count in a drain trial) and reads the one
	// JSON object it prints ("udpbench send --json": the fields datagrams,
	// seconds, errors, first_error and gso are used). Required.
	SenderCommand []string
	// SenderEnv is added to the sender's environment, which is otherwise
	// this process's.
	SenderEnv []string
	// NoGSO turns UDP GSO off. The sender uses GSO wherever it can (Linux
	// 4.18 on), because nothing else sends fast enough to saturate a
	// receiver on the same host.
	NoGSO bool
	// Batch is the sender's --batch, 1..MaxBatch; 0 means
	// DefaultTrialBatch.
	Batch int
	// Loops is every receiver's RecvConfig.Loops; 0 means 1.
	Loops int
	// RecvBuffer is every receiver's SO_RCVBUF request in bytes; 0 means
	// DefaultRecvBuffer.
	RecvBuffer int
	// Pin (Linux only) runs the sender child on the first CPU this
	// process may use and every thread of this process on the second, for
	// the whole run, and restores the affinity at the end. Linux sets
	// affinity per thread: every thread is moved, later ones inherit it
	// from their creator, and the child is forked from a thread moved to
	// the sender's CPU for the moment. It pins the whole calling process:
	// whatever else it does shares the receiver's CPU.
	Pin bool
	// Logger receives the receivers' own log lines; nil means none.
	Logger *slog.Logger
}

// validate appends TrialSetup's problems to bad.
func (s TrialSetup) validate(bad []string) []string {
	if len(s.SenderCommand) == 0 || s.SenderCommand[0] == "" {
		bad = append(bad, "sender command is required")
	}
	if s.Batch < 0 || s.Batch > load.MaxBatch {
		bad = append(bad, fmt.Sprintf("batch %d is outside 1..%d", s.Batch, load.MaxBatch))
	}
	if s.Loops < 0 {
		bad = append(bad, fmt.Sprintf("loops %d is negative", s.Loops))
	}
	if s.RecvBuffer < 0 {
		bad = append(bad, fmt.Sprintf("rcvbuf %d is negative", s.RecvBuffer))
	}
	if s.Pin && !pinSupported {
		bad = append(bad, "pin is not supported on this system")
	}
	return bad
}

func (s TrialSetup) withDefaults() TrialSetup {
	if s.Batch == 0 {
		s.Batch = DefaultTrialBatch
	}
	if s.Loops == 0 {
		s.Loops = 1
	}
	if s.RecvBuffer == 0 {
		s.RecvBuffer = DefaultRecvBuffer
	}
	return s
}

// CompareConfig describes a comparison of receivers under one load. The zero
// value of every field but SenderCommand means its default.
type CompareConfig struct {
	TrialSetup
	// Receivers are the receivers to compare, by NewReceiver name, in the
	// order reported; nil means DefaultReceivers().
	Receivers []string
	// Sizes are the payload sizes, 1..MaxSize each; nil means
	// DefaultCompareSizes.
	Sizes []int
	// Rate is the sender's rate in datagrams per second; 0 means as fast
	// as it can.
	Rate float64
	// Duration is how long the sender runs per trial; 0 means
	// DefaultCompareDuration. A drain trial does not use it.
	Duration time.Duration
	// Repetitions is the number of trials per receiver and size; 0 means
	// DefaultRepetitions.
	Repetitions int
	// Drain is the number of datagrams to queue before each trial's
	// receiver starts reading; 0 = a live sender (the default).
	//
	// A live sender shares the machine with the receiver, and on a small
	// one it is the bottleneck, so a live trial cannot show what a receiver
	// could do. A drain trial can: the sender fills the receiver's socket
	// queue while the receiver is not reading and exits, then the receiver
	// is started and timed until it has emptied the queue, with no sender
	// running. The queue must hold Drain datagrams (RecvBuffer): the excess
	// is dropped at the socket, as kernel loss. The fill is sent as fast
	// as the sender can, so Rate must be 0.
	Drain int
}

// Validate reports every invalid field of c in one error, naming each by
// udpbench's flag for it.
func (c CompareConfig) Validate() error {
	bad := c.TrialSetup.validate(nil)
	bad = validateNames(bad, c.Receivers, peers.ReceiverNames(), "receiver")
	bad = validateSizes(bad, c.Sizes)
	if c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) {
		bad = append(bad, fmt.Sprintf("rate %v is not a finite number >= 0", c.Rate))
	}
	if c.Duration < 0 {
		bad = append(bad, fmt.Sprintf("duration %v is negative", c.Duration))
	}
	if c.Repetitions < 0 {
		bad = append(bad, fmt.Sprintf("reps %d is negative", c.Repetitions))
	}
	if c.Drain < 0 {
		bad = append(bad, fmt.Sprintf("drain %d is negative", c.Drain))
	}
	if c.Drain > 0 && c.Rate > 0 {
		bad = append(bad, fmt.Sprintf("drain %d with rate %v: --drain fills the queue as fast as the sender can, so it takes no --rate", c.Drain, c.Rate))
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("bench: invalid compare config: %s", strings.Join(bad, "; "))
}

// validateSizes appends the problems of a list of payload sizes to bad.
// validateNames appends to bad a complaint, under udpbench's --receivers
// flag, for each of names that is not in known (a kind, such as "echo
// server") and for each given twice.
func validateNames(bad, names, known []string, kind string) []string {
	seen := map[string]bool{}
	for _, n := range names {
		switch {
		case !slices.Contains(known, n):
			bad = append(bad, fmt.Sprintf("receivers: unknown %s %q (want some of %s)", kind, n, strings.Join(known, ", ")))
		case seen[n]:
			bad = append(bad, fmt.Sprintf("receivers: %q given twice", n))
		}
		seen[n] = true
	}
	return bad
}

func validateSizes(bad []string, sizes []int) []string {
	seen := map[int]bool{}
	for _, s := range sizes {
		switch {
		case s < 1 || s > load.MaxSize:
			bad = append(bad, fmt.Sprintf("sizes: %d is outside 1..%d", s, load.MaxSize))
		case seen[s]:
			bad = append(bad, fmt.Sprintf("sizes: %d given twice", s))
		}
		seen[s] = true
	}
	return bad
}

func (c CompareConfig) withDefaults() CompareConfig {
	c.TrialSetup = c.TrialSetup.withDefaults()
	if len(c.Receivers) == 0 {
		c.Receivers = peers.DefaultReceivers()
	}
	if len(c.Sizes) == 0 {
		c.Sizes = DefaultCompareSizes
	}
	if c.Duration == 0 {
		c.Duration = DefaultCompareDuration
	}
	if c.Repetitions == 0 {
		c.Repetitions = DefaultRepetitions
	}
	return c
}

// Progress is a report on a running Compare: about once a second during a
// trial, and once at its end with Done set.
type Progress struct {
	// Trial numbers the current trial from 1, of Trials in all.
	Trial, Trials int
	// Receiver, Size and Rep (from 1) say which trial it is.
	Receiver string
	Size     int
	Rep      int
	// TrialElapsed is the time since the trial's sender started; in a
	// drain trial's last report, the trial's wall time.
	TrialElapsed time.Duration
	// Elapsed is the time since Compare started; Remaining an estimate of
	// the time left, from the trials done so far.
	Elapsed, Remaining time.Duration
	// Received and KernelDrops are the trial's counts so far; Rate is the
	// receive rate since the previous report, in datagrams per second.
	Received, KernelDrops uint64
	Rate                  float64
	// Done is the trial's result in its last report, nil before.
	Done *report.TrialResult
}

// trialSpec is one trial to run.
type trialSpec struct {
	receiver string
	size     int
	rate     float64
	duration time.Duration
	rep      int
	// fill, if not 0, makes it a drain trial (CompareConfig.Drain): the
	// sender queues fill datagrams before the receiver starts, and the
	// receiver is timed emptying the queue.
	fill int
}

// fillLimit is the sender's --duration in a drain trial: its --count ends
// it long before, unless the fill is huge.
const fillLimit = time.Minute

// senderDuration is the sender's --duration for the trial.
func (s trialSpec) senderDuration() time.Duration {
	if s.fill > 0 {
		return fillLimit
	}
	return s.duration
}

// liveCounts is what a running trial reports once a second.
type liveCounts struct {
	elapsed               time.Duration
	received, kernelDrops uint64
}

// trialRunner runs trials with one TrialSetup (defaults applied).
type trialRunner struct {
	setup TrialSetup
	gso   bool
	pin   *pinning // nil unless setup.Pin
}

// newTrialRunner prepares trials; with Pin it pins this process at once,
// and close must be called to undo that.
func newTrialRunner(s TrialSetup) (*trialRunner, error) {
	tr := &trialRunner{setup: s.withDefaults(), gso: !s.NoGSO && load.GSOAvailable()}
	if s.Pin {
		p, err := startPinning()
		if err != nil {
			return nil, err
		}
		tr.pin = p
	}
	return tr, nil
}

// close restores the CPU affinity of a pinned run.
func (tr *trialRunner) close() error {
	if tr.pin != nil {
		return tr.pin.restore()
	}
	return nil
}

// Limits of a trial's phases.
const (
	// senderGrace is how long a sender may run beyond its duration
	// (starting up, its summary) before it is interrupted.
	senderGrace = 30 * time.Second
	// drainIdle is how long the receiver's count must stand still, with
	// its socket queue empty, after the sender has finished, for the trial
	// to end before every offered datagram is accounted for; drainLimit
	// bounds that wait.
	drainIdle  = 100 * time.Millisecond
	drainLimit = 3 * time.Second
	drainPoll  = 5 * time.Millisecond
	// stopLimit bounds a receiver's Stop.
	stopLimit = 10 * time.Second
)

// run runs one trial: a fresh receiver, the sender child for the trial's
// duration, a wait for the receiver to drain, then the receiver is stopped.
// live, if not nil, is called about once a second while the sender runs.
//
// A drain trial (spec.fill) starts the receiver only once the sender has
// filled its queue and exited, and takes the rate and CPU from that start
// to the last datagram received; live is not called.
func (tr *trialRunner) run(ctx context.Context, spec trialSpec, live func(liveCounts)) (report.TrialResult, error) {
	fill := spec.fill > 0
	res := report.TrialResult{Receiver: spec.receiver, Size: spec.size, Rep: spec.rep, Rate: spec.rate, GSO: tr.gso && !fill, SocketDrops: -1}
	began := time.Now()
	r, err := peers.NewReceiver(spec.receiver, peers.RecvConfig{
		Listen:     "udp4://127.0.0.1:0",
		Loops:      tr.setup.Loops,
		BufSize:    max(2048, spec.size),
		RecvBuffer: tr.setup.RecvBuffer,
		Logger:     tr.setup.Logger,
	})
	if err != nil {
		return res, fmt.Errorf("bench: %s receiver: %w", spec.receiver, err)
	}
	runDone := make(chan error, 1)
	running := false
	startRun := func() {
		running = true
		go func() { runDone <- r.Run(context.WithoutCancel(ctx)) }()
	}
	stopped := false
	stop := func() error {
		stopped = true
		sctx, cancel := context.WithTimeout(context.Background(), stopLimit)
		defer cancel()
		if err := r.Stop(sctx); err != nil {
			return fmt.Errorf("bench: stop the %s receiver: %w", spec.receiver, err)
		}
		if !running { // a drain trial whose fill failed
			return nil
		}
		select {
		case err := <-runDone:
			if err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("bench: %s receiver: %w", spec.receiver, err)
			}
			return nil
		case <-sctx.Done():
			return fmt.Errorf("bench: %s receiver: Run did not return within %v of Stop", spec.receiver, stopLimit)
		}
	}
	defer func() {
		if !stopped {
			stop()
		}
	}()
	if !fill {
		startRun()
	}

	addr, ok := r.Addr().(*net.UDPAddr)
	if !ok {
		return res, fmt.Errorf("bench: %s receiver bound %v: not a UDP address", spec.receiver, r.Addr())
	}
	port := uint16(addr.Port)
	hostBefore, hostErr := hoststat.ReadUDPCounters()
	cpuBefore, cpuErr := hoststat.ProcessCPU()

	sum, senderCPU, err := tr.send(ctx, addr.String(), spec, func(elapsed time.Duration) {
		if live != nil && !fill { // a fill has nothing to show: no receiver reads
			sock, _ := hoststat.ReadSocketStats(port)
			live(liveCounts{elapsed: elapsed, received: r.Counts().Datagrams, kernelDrops: sock.Drops})
		}
	})
	if err != nil {
		return res, err
	}
	var start time.Time // a drain trial's: when the receiver was started
	var fillSock hoststat.SocketStats
	var fillErr error
	if fill {
		// The queue is full and nothing else arrives from here on: the
		// fill's drops (a queue too small for it) are the trial's kernel
		// loss, read before the timed part. The CPU is read again so that
		// only the drain is counted, not the wait for the sender.
		fillSock, fillErr = hoststat.ReadSocketStats(port)
		cpuBefore, cpuErr = hoststat.ProcessCPU()
		start = time.Now()
		startRun()
	}
	sock, sockErr := drain(ctx, r, port, sum.Datagrams)
	if fill {
		sock.Drops, sockErr = fillSock.Drops, fillErr
	}
	cpuAfter, cpuErr2 := hoststat.ProcessCPU()
	hostAfter, hostErr2 := hoststat.ReadUDPCounters()
	c := r.Counts()
	if err := stop(); err != nil {
		return res, err
	}

	res.Backend = c.Backend
	if sum.Seconds > 0 {
		res.OfferedPPS = float64(sum.Datagrams) / sum.Seconds
		res.SenderCPUPercent = hoststat.CPUPercent(senderCPU, time.Duration(sum.Seconds*float64(time.Second)))
	}
	if sockErr == nil {
		res.SocketDrops = int64(sock.Drops)
	} else {
		sock.Drops = 0
	}
	perDrop := uint64(1)
	if strings.HasSuffix(c.Backend, "+gro") && res.GSO {
		// A dropped coalesced read counts once: it held up to the
		// sender's segments per super-packet.
		perDrop = uint64(min(load.GSOSegments, load.MaxSize/max(spec.size, 1)))
	}
	res.Loss = hoststat.AttributeLoss(sum.Datagrams, c.Datagrams, sock.Drops, perDrop)
	res.LossPercent = res.Loss.Percent(res.Loss.Total())
	res.ReceivedBytes = c.Bytes
	active := c.Last.Sub(c.First)
	if fill {
		// From the start, not from the first datagram: the first batch
		// is part of the work, and the queue was full before Run.
		active = c.Last.Sub(start)
	}
	if active > 0 {
		res.ActiveSeconds = active.Seconds()
		res.RatePPS = float64(c.Datagrams) / res.ActiveSeconds
		res.Gbps = float64(c.Bytes) * 8 / res.ActiveSeconds / 1e9
	}
	res.SenderErrors, res.SenderFirstError = sum.Errors, sum.FirstError
	if hostErr == nil && hostErr2 == nil {
		res.Host = hostAfter.Sub(hostBefore)
	}
	res.RecvErrors = c.Errors
	res.Batches = c.Batches
	if cpuErr == nil && cpuErr2 == nil {
		window := active
		if window <= 0 {
			window = time.Duration(sum.Seconds * float64(time.Second))
		}
		res.CPUPercent = hoststat.CPUPercent(cpuAfter-cpuBefore, window)
	}
	res.Seconds = time.Since(began).Seconds()
	return res, nil
}

// senderArgs returns the sender's command line for a trial to addr:
// SenderCommand, then "udpbench send"'s arguments as load.SendCommand
// writes them, asking for the JSON summary that send reads.
func (tr *trialRunner) senderArgs(addr string, spec trialSpec) []string {
	cfg := load.SendConfig{
		To:       addr,
		Size:     spec.size,
		Rate:     spec.rate,
		Duration: spec.senderDuration(),
		Batch:    tr.setup.Batch,
		// One flow per loop, so SO_REUSEPORT can spread the load over
		// every loop's socket (one flow always hashes to one socket).
		Flows: max(tr.setup.Loops, 1),
	}
	switch {
	case spec.fill > 0:
		// No GSO for a fill, even where it is available: a GSO segment
		// carries a larger skb truesize in the receive queue, so fewer
		// datagrams would fit the same buffer.
		cfg.Count = int64(spec.fill)
	case tr.gso:
		cfg.GSO = true
	}
	return append(slices.Clone(tr.setup.SenderCommand[1:]), load.SendCommand{Config: cfg, JSON: true, Quiet: true}.Args()...)
}

// send runs the sender child to addr for the trial and returns its summary
// and its CPU time. tick is called about once a second while it runs, with
// the time since it started. If ctx is done, the child gets SIGINT (on
// which udpbench send stops and prints its summary) and, 5 s later, SIGKILL.
func (tr *trialRunner) send(ctx context.Context, addr string, spec trialSpec, tick func(time.Duration)) (load.SendSummary, time.Duration, error) {
	var sum load.SendSummary
	cctx, cancel := context.WithTimeout(ctx, spec.senderDuration()+senderGrace)
	defer cancel()
	cmd := exec.CommandContext(cctx, tr.setup.SenderCommand[0], tr.senderArgs(addr, spec)...)
	cmd.Env = append(os.Environ(), tr.setup.SenderEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	var err error
	if tr.pin != nil {
		err = tr.pin.start(cmd)
	} else {
		err = cmd.Start()
	}
	if err != nil {
		return sum, 0, fmt.Errorf("bench: start the sender %q: %w", tr.setup.SenderCommand[0], err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			tick(now.Sub(start))
			continue
		case err = <-waited:
		}
		break
	}
	var cpu time.Duration
	if cmd.ProcessState != nil {
		cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if ctx.Err() != nil {
		return sum, cpu, fmt.Errorf("bench: sender interrupted: %w", ctx.Err())
	}
	if err != nil {
		return sum, cpu, fmt.Errorf("bench: sender %s: %w%s", strings.Join(cmd.Args, " "), err, firstLine(stderr.String()))
	}
	if err := json.NewDecoder(&stdout).Decode(&sum); err != nil {
		return sum, cpu, fmt.Errorf("bench: sender printed no JSON summary (%w)%s", err, firstLine(stderr.String()))
	}
	return sum, cpu, nil
}

// firstLine returns ": " and the first line of s, or "" if s is blank.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	line, _, _ := strings.Cut(s, "\n")
	return ": " + line
}

// drain waits, after the sender has finished, until the receiver has
// accounted for every offered datagram (counted or dropped at its socket),
// or its count has stood still for drainIdle with nothing left in its
// socket queue, or drainLimit has passed, or ctx is done. It returns the
// sockets' counters as of the end, with an error if they cannot be read
// (then the wait relies on the count alone).
func drain(ctx context.Context, r peers.Receiver, port uint16, offered uint64) (hoststat.SocketStats, error) {
	deadline := time.Now().Add(drainLimit)
	last := r.Counts().Datagrams
	lastChange := time.Now()
	t := time.NewTicker(drainPoll)
	defer t.Stop()
	for {
		sock, err := hoststat.ReadSocketStats(port)
		got := r.Counts().Datagrams
		now := time.Now()
		if got != last {
			last, lastChange = got, now
		}
		switch {
		case got+sock.Drops >= offered,
			now.Sub(lastChange) >= drainIdle && sock.RxQueue == 0,
			now.After(deadline):
			return sock, err
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return sock, err
		}
	}
}

// Compare runs every receiver of cfg against the same load, for every
// size, Repetitions times, and reports each trial and the medians.
//
// Trials never overlap (the host-wide counters are read around each), and
// they are interleaved repetition by repetition: for each repetition, for
// each size, every receiver in turn, starting one receiver further along
// in each repetition, so that a drift in the machine (another program, heat)
// spreads over all receivers rather than falling on one.
//
// A receiver this system does not support (errors.ErrUnsupported, such as
// gnet on Windows) is left out and named in CompareReport.Skipped. Any
// other failure ends the run: Compare returns what it has with the error,
// as it does when ctx is done.
//
// progress, if not nil, is called from Compare's goroutine (see Progress).
func Compare(ctx context.Context, cfg CompareConfig, progress func(Progress)) (report.CompareReport, error) {
	if err := cfg.Validate(); err != nil {
		return report.CompareReport{}, err
	}
	cfg = cfg.withDefaults()
	rep := report.CompareReport{Machine: report.ThisMachine(), Started: time.Now()}
	tr, err := newTrialRunner(cfg.TrialSetup)
	if err != nil {
		return rep, err
	}
	defer tr.close()
	rep.Settings = compareSettings(cfg, tr)

	names := slices.Clone(cfg.Receivers)
	trials := cfg.Repetitions * len(cfg.Sizes) * len(names)
	skipped := map[string]bool{}
	// per is a trial's expected length, for the time left: a drain
	// trial's is not its Duration but a fill and a drain, well under a
	// second with the default buffer.
	per := cfg.Duration
	if cfg.Drain > 0 {
		per = 0
	}
	n, done := 0, 0
	var doneTime time.Duration // Compare's time when the last trial ended
	err = func() error {
		for r := range cfg.Repetitions {
			for _, size := range cfg.Sizes {
				for i := range names {
					name := names[(i+r)%len(names)]
					n++
					if skipped[name] {
						continue
					}
					spec := trialSpec{receiver: name, size: size, rate: cfg.Rate, duration: cfg.Duration, rep: r + 1, fill: cfg.Drain}
					p := Progress{Trial: n, Trials: trials, Receiver: name, Size: size, Rep: r + 1}
					var prev liveCounts
					live := func(lc liveCounts) {
						if progress == nil {
							return
						}
						p.TrialElapsed = lc.elapsed
						p.Elapsed = time.Since(rep.Started)
						p.Remaining = remaining(doneTime, done, trials-done, per, lc.elapsed)
						p.Received, p.KernelDrops = lc.received, lc.kernelDrops
						if dt := (lc.elapsed - prev.elapsed).Seconds(); dt > 0 {
							p.Rate = float64(lc.received-prev.received) / dt
						}
						prev = lc
						progress(p)
					}
					res, err := tr.run(ctx, spec, live)
					if errors.Is(err, errors.ErrUnsupported) && res.Offered == 0 {
						skipped[name] = true
						rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s: %v", name, err))
						continue
					}
					if err != nil {
						return err
					}
					rep.Trials = append(rep.Trials, res)
					done++
					doneTime = time.Since(rep.Started)
					if progress != nil {
						p.Elapsed, p.TrialElapsed = doneTime, cfg.Duration
						if cfg.Drain > 0 {
							p.TrialElapsed = time.Duration(res.Seconds * float64(time.Second))
						}
						p.Remaining = remaining(doneTime, done, trials-n, per, 0)
						p.Received, p.KernelDrops = res.Received, res.KernelDrops
						p.Rate = res.RatePPS
						p.Done = &res
						progress(p)
					}
				}
			}
		}
		return nil
	}()
	rep.Rows = report.Summarize(names, cfg.Sizes, rep.Trials)
	rep.Seconds = time.Since(rep.Started).Seconds()
	return rep, err
}

// remaining estimates the time left with left trials to run after done
// have taken elapsed, the current one being into its sender's run by in.
// Before any trial has ended, a trial is taken to last its duration plus a
// second.
func remaining(elapsed time.Duration, done, left int, duration, in time.Duration) time.Duration {
	per := duration + time.Second
	if done > 0 {
		per = elapsed / time.Duration(done)
	}
	return max(0, per*time.Duration(left)-in)
}

// compareSettings records cfg (defaults applied) and tr's choices.
func compareSettings(cfg CompareConfig, tr *trialRunner) report.CompareSettings {
	s := report.CompareSettings{
		Receivers: cfg.Receivers, Sizes: cfg.Sizes, Rate: cfg.Rate,
		DurationSeconds: cfg.Duration.Seconds(), Repetitions: cfg.Repetitions,
		Loops: tr.setup.Loops, Batch: tr.setup.Batch, RecvBuffer: tr.setup.RecvBuffer,
		GSO: tr.gso && cfg.Drain == 0, Drain: cfg.Drain, SenderCPU: -1, ReceiverCPU: -1,
	}
	if tr.pin != nil {
		s.Pinned = true
		s.SenderCPU, s.ReceiverCPU = tr.pin.cpus()
	}
	return s
}
