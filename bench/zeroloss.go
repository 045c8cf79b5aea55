package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/udprx/udprx/bench/load"
	"github.com/udprx/udprx/bench/peers"
	"github.com/udprx/udprx/bench/report"
)

// Defaults of ZeroLossConfig.
const (
	DefaultZeroLossReceiver = "udprx"
	DefaultZeroLossTrial    = 5 * time.Second
	DefaultZeroLossTrials   = 12
	// minResolution is the finest default resolution, in datagrams per
	// second.
	minResolution = 5000
	// shortFactor: a trial whose sender achieved less than this share of
	// the rate asked does not pass, whatever its loss: the rate was not
	// offered.
	shortFactor = 0.95
)

// ZeroLossConfig describes a search for the highest rate one receiver takes
// with a loss at most LossThreshold (RFC 2544, section 26.1, with a binary
// search). The zero value of every field but SenderCommand means its
// default.
type ZeroLossConfig struct {
	TrialSetup
	// Receiver is the receiver to test, by NewReceiver name; "" means
	// DefaultZeroLossReceiver.
	Receiver string
	// Size is the payload size; 0 means DefaultSize.
	Size int
	// Trial is how long the sender runs in each trial; 0 means
	// DefaultZeroLossTrial.
	Trial time.Duration
	// LossThreshold is the most loss a passing trial may have, in percent
	// of the datagrams offered, 0..100.
	LossThreshold float64
	// Lo and Hi bound the search, in datagrams per second. Hi 0 means: run
	// a first trial unpaced and take the rate the sender achieved.
	Lo, Hi float64
	// Resolution ends the search when Hi − Lo is at most this many
	// datagrams per second; 0 means 1% of Hi, at least 5000.
	Resolution float64
	// MaxTrials bounds the number of trials, the first included; 0 means
	// DefaultZeroLossTrials.
	MaxTrials int
	// Runner runs one trial at rate (0: unpaced) and returns its result;
	// nil means a real trial (a fresh receiver, the sender child) with
	// TrialSetup. Tests inject the search's trials through it.
	Runner func(ctx context.Context, rate float64) (report.TrialResult, error)
}

// Validate reports every invalid field of c in one error, naming each by
// udpbench's flag for it.
func (c ZeroLossConfig) Validate() error {
	var bad []string
	if c.Runner == nil {
		bad = c.TrialSetup.validate(bad)
	}
	if c.Receiver != "" && !slices.Contains(peers.ReceiverNames(), c.Receiver) {
		bad = append(bad, fmt.Sprintf("receiver: unknown receiver %q (want one of %s)", c.Receiver, strings.Join(peers.ReceiverNames(), ", ")))
	}
	if c.Size < 0 || c.Size > load.MaxSize {
		bad = append(bad, fmt.Sprintf("size %d is outside 1..%d", c.Size, load.MaxSize))
	}
	if c.Trial < 0 {
		bad = append(bad, fmt.Sprintf("trial %v is negative", c.Trial))
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if !finite(c.LossThreshold) || c.LossThreshold < 0 || c.LossThreshold > 100 {
		bad = append(bad, fmt.Sprintf("threshold %v is outside 0..100 (percent)", c.LossThreshold))
	}
	if !finite(c.Lo) || c.Lo < 0 {
		bad = append(bad, fmt.Sprintf("lo %v is not a finite number >= 0", c.Lo))
	}
	if !finite(c.Hi) || c.Hi < 0 {
		bad = append(bad, fmt.Sprintf("hi %v is not a finite number >= 0", c.Hi))
	} else if c.Hi > 0 && c.Hi <= c.Lo {
		bad = append(bad, fmt.Sprintf("hi %v is not above lo %v", c.Hi, c.Lo))
	}
	if !finite(c.Resolution) || c.Resolution < 0 {
		bad = append(bad, fmt.Sprintf("resolution %v is not a finite number >= 0", c.Resolution))
	}
	if c.MaxTrials < 0 {
		bad = append(bad, fmt.Sprintf("max-trials %d is negative", c.MaxTrials))
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("bench: invalid zeroloss config: %s", strings.Join(bad, "; "))
}

func (c ZeroLossConfig) withDefaults() ZeroLossConfig {
	c.TrialSetup = c.TrialSetup.withDefaults()
	if c.Receiver == "" {
		c.Receiver = DefaultZeroLossReceiver
	}
	if c.Size == 0 {
		c.Size = load.DefaultSize
	}
	if c.Trial == 0 {
		c.Trial = DefaultZeroLossTrial
	}
	if c.MaxTrials == 0 {
		c.MaxTrials = DefaultZeroLossTrials
	}
	return c
}

// ZeroLossTrial is one trial of a ZeroLoss search.
type ZeroLossTrial struct {
	// N numbers the trial from 1.
	N int `json:"n"`
	// Rate is the rate asked of the sender, 0 for the unpaced first trial.
	Rate float64 `json:"rate"`
	// Pass: the loss was at most the threshold and the sender offered at
	// least 95% of Rate. Short: it did not.
	Pass  bool `json:"pass"`
	Short bool `json:"short,omitempty"`
	// Lo and Hi are the search's bounds after this trial.
	Lo     float64            `json:"lo"`
	Hi     float64            `json:"hi"`
	Result report.TrialResult `json:"result"`
}

// ZeroLossReport is the result of ZeroLoss.
type ZeroLossReport struct {
	Machine       report.Machine `json:"machine"`
	Receiver      string         `json:"receiver"`
	Size          int            `json:"size"`
	TrialSeconds  float64        `json:"trial_seconds"`
	LossThreshold float64        `json:"loss_threshold_percent"`
	Resolution    float64        `json:"resolution"`
	GSO           bool           `json:"gso"`
	// Found tells whether a trial passed; Rate is then the highest rate
	// that passed (asked of the sender, or for a passing unpaced trial the
	// rate it achieved) and OfferedPPS the rate that trial achieved.
	Found      bool    `json:"found"`
	Rate       float64 `json:"rate"`
	OfferedPPS float64 `json:"offered_pps"`
	// SenderBound: the unpaced first trial passed, so the receiver took
	// all the sender could send and the real limit is higher.
	SenderBound bool `json:"sender_bound"`
	// Converged: the search ended with Hi − Lo within Resolution (rather
	// than by running out of trials).
	Converged bool            `json:"converged"`
	Lo        float64         `json:"lo"`
	Hi        float64         `json:"hi"`
	Trials    []ZeroLossTrial `json:"trials"`
	Seconds   float64         `json:"seconds"`
}

// ZeroLoss searches for the highest rate at which cfg.Receiver loses at
// most cfg.LossThreshold percent: a first trial at Hi (or, with Hi 0,
// unpaced, which sets Hi to the rate the sender achieved), then a binary
// search between Lo and Hi, each trial halving the interval, until it is
// within Resolution or MaxTrials have run. Like RFC 2544 it assumes that a
// receiver that keeps up with a rate keeps up with any lower one.
//
// trial, if not nil, is called after each trial. If ctx is done or a trial
// fails, ZeroLoss returns what it has with the error.
func ZeroLoss(ctx context.Context, cfg ZeroLossConfig, trial func(ZeroLossTrial)) (ZeroLossReport, error) {
	if err := cfg.Validate(); err != nil {
		return ZeroLossReport{}, err
	}
	cfg = cfg.withDefaults()
	start := time.Now()
	rep := ZeroLossReport{
		Machine: report.ThisMachine(), Receiver: cfg.Receiver, Size: cfg.Size,
		TrialSeconds: cfg.Trial.Seconds(), LossThreshold: cfg.LossThreshold,
	}
	runner := cfg.Runner
	if runner == nil {
		tr, err := newTrialRunner(cfg.TrialSetup)
		if err != nil {
			return rep, err
		}
		defer tr.close()
		rep.GSO = tr.gso
		runner = func(ctx context.Context, rate float64) (report.TrialResult, error) {
			spec := trialSpec{receiver: cfg.Receiver, size: cfg.Size, rate: rate, duration: cfg.Trial, rep: len(rep.Trials) + 1}
			return tr.run(ctx, spec, nil)
		}
	}
	lo, hi := cfg.Lo, cfg.Hi
	// one runs a trial at rate and records it; it reports whether it passed.
	one := func(rate float64) (bool, error) {
		asked := rate
		res, err := runner(ctx, rate)
		if err != nil {
			return false, err
		}
		rep.GSO = rep.GSO || res.GSO
		short := rate > 0 && res.OfferedPPS < shortFactor*rate
		pass := !short && res.Offered > 0 && res.LossPercent <= cfg.LossThreshold
		if rate == 0 {
			hi = res.OfferedPPS
			rate = hi
		}
		if pass {
			rep.Found, rep.Rate, rep.OfferedPPS = true, rate, res.OfferedPPS
			lo = max(lo, rate)
		} else {
			hi = rate
		}
		t := ZeroLossTrial{N: len(rep.Trials) + 1, Rate: asked, Pass: pass, Short: short, Lo: lo, Hi: hi, Result: res}
		rep.Trials = append(rep.Trials, t)
		if trial != nil {
			trial(t)
		}
		return pass, nil
	}
	err := func() error {
		pass, err := one(hi) // hi 0: unpaced
		if err != nil {
			return err
		}
		rep.Resolution = cfg.Resolution
		if rep.Resolution == 0 {
			rep.Resolution = max(hi/100, minResolution)
		}
		if pass {
			rep.SenderBound = cfg.Hi == 0
			return nil
		}
		for len(rep.Trials) < cfg.MaxTrials && hi-lo > rep.Resolution {
			if _, err := one(math.Round((lo + hi) / 2)); err != nil {
				return err
			}
		}
		return nil
	}()
	rep.Lo, rep.Hi = lo, hi
	rep.Converged = err == nil && (rep.Found && lo >= hi || hi-lo <= rep.Resolution)
	rep.Seconds = time.Since(start).Seconds()
	return rep, err
}

// WriteJSON writes r as one indented JSON object.
func (r ZeroLossReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the search's result in a few lines (the trials are
// reported as they run, see ZeroLoss).
func (r ZeroLossReport) WriteText(w io.Writer) error {
	switch {
	case !r.Found:
		fmt.Fprintf(w, "%s, %d-byte payloads: no rate tried had loss <= %g%% (lowest tried %s datagrams/s)\n",
			r.Receiver, r.Size, r.LossThreshold, report.FormatRate(r.Hi))
	case r.SenderBound:
		fmt.Fprintf(w, "%s, %d-byte payloads: took everything the sender could send, %s datagrams/s, with loss <= %g%%: the receiver's limit is higher\n",
			r.Receiver, r.Size, report.FormatRate(r.Rate), r.LossThreshold)
	default:
		fmt.Fprintf(w, "%s, %d-byte payloads: highest rate with loss <= %g%%: %s datagrams/s (%.3f Gbit/s of payload)\n",
			r.Receiver, r.Size, r.LossThreshold, report.FormatRate(r.Rate), r.Rate*float64(r.Size)*8/1e9)
	}
	conv := "converged"
	if !r.Converged {
		conv = "not converged: out of trials"
	}
	_, err := fmt.Fprintf(w, "search: %d trials of %gs, final interval %s-%s datagrams/s (resolution %s, %s); %s\n",
		len(r.Trials), r.TrialSeconds, report.FormatRate(r.Lo), report.FormatRate(r.Hi), report.FormatRate(r.Resolution), conv, r.Machine)
	return err
}

// String is one line on the trial for progress output.
func (t ZeroLossTrial) String() string {
	rate := "unpaced"
	if t.Rate > 0 {
		rate = report.FormatRate(t.Rate) + "/s"
	}
	verdict := "fail"
	switch {
	case t.Pass:
		verdict = "pass"
	case t.Short:
		verdict = "fail (sender short of the rate)"
	}
	r := t.Result
	return fmt.Sprintf("trial %2d: asked %-9s offered %d (%s/s), received %d, loss %.3f%% (kernel %d, app %d): %s; next interval %s-%s",
		t.N, rate, r.Offered, report.FormatRate(r.OfferedPPS), r.Received, r.LossPercent, r.KernelDrops, r.AppLoss, verdict, report.FormatRate(t.Lo), report.FormatRate(t.Hi))
}
