package bench

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/udprx/udprx/bench/hoststat"
	"github.com/udprx/udprx/bench/load"
	"github.com/udprx/udprx/bench/report"
)

// fakeReceiver is a model of a receiver for the search: it takes up to
// capacity datagrams per second and loses the rest; the sender reaches at
// most senderMax, and short of the rate asked by shortBy (a fraction).
type fakeReceiver struct {
	capacity, senderMax, shortBy float64
	rates                        []float64 // rates asked, in order
}

func (f *fakeReceiver) run(_ context.Context, rate float64) (report.TrialResult, error) {
	f.rates = append(f.rates, rate)
	offered := f.senderMax
	if rate > 0 {
		offered = min(rate*(1-f.shortBy), f.senderMax)
	}
	received := min(offered, f.capacity)
	res := report.TrialResult{Rate: rate, OfferedPPS: offered, RatePPS: received}
	res.Loss = hoststat.AttributeLoss(uint64(offered), uint64(received), uint64(offered-received), 1)
	res.LossPercent = res.Loss.Percent(res.Loss.Total())
	return res, nil
}

func TestZeroLossSearch(t *testing.T) {
	for _, tc := range []struct {
		name          string
		fake          fakeReceiver
		cfg           ZeroLossConfig
		wantFound     bool
		wantBound     bool    // sender-bound
		want          float64 // the rate found, within the resolution below it
		wantConverged bool
	}{
		{"capacity below the sender", fakeReceiver{capacity: 730_000, senderMax: 2_000_000}, ZeroLossConfig{}, true, false, 730_000, true},
		{"receiver keeps up", fakeReceiver{capacity: 5e6, senderMax: 1_200_000}, ZeroLossConfig{}, true, true, 1_200_000, true},
		{"given bounds", fakeReceiver{capacity: 123_456, senderMax: 1e6}, ZeroLossConfig{Lo: 100_000, Hi: 200_000, Resolution: 1000}, true, false, 123_456, true},
		{"given hi passes", fakeReceiver{capacity: 1e6, senderMax: 2e6}, ZeroLossConfig{Hi: 500_000}, true, false, 500_000, true},
		{"out of trials", fakeReceiver{capacity: 730_000, senderMax: 2_000_000}, ZeroLossConfig{MaxTrials: 3}, true, false, 500_000, false},
		{"nothing passes", fakeReceiver{capacity: 0, senderMax: 1e6}, ZeroLossConfig{}, false, false, 0, true},
		// 1% loss allowed: capacity/(1-0.01) passes.
		{"threshold", fakeReceiver{capacity: 500_000, senderMax: 2e6}, ZeroLossConfig{LossThreshold: 1}, true, false, 500_000 / 0.99, true},
		// A sender 10% short of every rate never passes: not offered.
		{"short sender", fakeReceiver{capacity: 5e6, senderMax: 1e6, shortBy: 0.1}, ZeroLossConfig{Hi: 1e6}, false, false, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.fake
			cfg := tc.cfg
			cfg.Runner = f.run
			var seen []ZeroLossTrial
			rep, err := ZeroLoss(context.Background(), cfg, func(tr ZeroLossTrial) { seen = append(seen, tr) })
			if err != nil {
				t.Fatal(err)
			}
			if len(seen) != len(rep.Trials) || len(rep.Trials) != len(f.rates) {
				t.Errorf("%d callbacks, %d trials reported, %d run", len(seen), len(rep.Trials), len(f.rates))
			}
			maxTrials := cmp(cfg.MaxTrials, DefaultZeroLossTrials)
			if len(rep.Trials) > maxTrials {
				t.Errorf("%d trials, more than %d", len(rep.Trials), maxTrials)
			}
			if rep.Found != tc.wantFound || rep.SenderBound != tc.wantBound || rep.Converged != tc.wantConverged {
				t.Errorf("found %v, sender-bound %v, converged %v; want %v, %v, %v (%+v)", rep.Found, rep.SenderBound, rep.Converged, tc.wantFound, tc.wantBound, tc.wantConverged, rep)
			}
			if tc.wantFound && tc.wantConverged {
				if rep.Rate > tc.want+1 || rep.Rate < tc.want-rep.Resolution {
					t.Errorf("rate %v, want within %v below %v", rep.Rate, rep.Resolution, tc.want)
				}
			}
			if tc.wantFound && !tc.wantConverged && rep.Rate != tc.want {
				t.Errorf("rate %v, want %v", rep.Rate, tc.want)
			}
			// Every passing rate is at most the true limit; the report's
			// is the highest of them.
			best := 0.0
			for _, tr := range rep.Trials {
				if tr.Pass {
					r := tr.Rate
					if r == 0 {
						r = tr.Result.OfferedPPS
					}
					best = max(best, r)
				}
			}
			if best != rep.Rate {
				t.Errorf("report rate %v, highest passing trial %v", rep.Rate, best)
			}
		})
	}
}

// cmp returns v, or def if v is 0.
func cmp(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func TestZeroLossTrialError(t *testing.T) {
	boom := errors.New("boom")
	n := 0
	rep, err := ZeroLoss(context.Background(), ZeroLossConfig{Runner: func(context.Context, float64) (report.TrialResult, error) {
		n++
		if n == 3 {
			return report.TrialResult{}, boom
		}
		return report.TrialResult{Loss: hoststat.Loss{Offered: 100, Received: 50, AppLoss: 50}, LossPercent: 50, OfferedPPS: 1e6}, nil
	}}, nil)
	if !errors.Is(err, boom) || len(rep.Trials) != 2 || rep.Converged {
		t.Errorf("err %v, %d trials, converged %v: want boom after 2, not converged", err, len(rep.Trials), rep.Converged)
	}
}

func TestZeroLossValidate(t *testing.T) {
	run := func(context.Context, float64) (report.TrialResult, error) { return report.TrialResult{}, nil }
	for _, tc := range []struct {
		cfg  ZeroLossConfig
		want string
	}{
		{ZeroLossConfig{}, "sender command"},
		{ZeroLossConfig{Runner: run, Receiver: "nope"}, `"nope"`},
		{ZeroLossConfig{Runner: run, Size: -1}, "size -1"},
		{ZeroLossConfig{Runner: run, Trial: -time.Second}, "trial -1s"},
		{ZeroLossConfig{Runner: run, LossThreshold: 101}, "threshold 101"},
		{ZeroLossConfig{Runner: run, LossThreshold: math.NaN()}, "threshold NaN"},
		{ZeroLossConfig{Runner: run, Lo: 10, Hi: 5}, "hi 5 is not above lo 10"},
		{ZeroLossConfig{Runner: run, Resolution: -1}, "resolution -1"},
		{ZeroLossConfig{Runner: run, MaxTrials: -1}, "max-trials -1"},
	} {
		if err := tc.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want an error naming %q", tc.cfg, err, tc.want)
		}
	}
}

// TestZeroLossReal runs a tiny search on loopback with real trials, and
// checks only that it ends with a plausible result.
func TestZeroLossReal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var lines []string
	rep, err := ZeroLoss(ctx, ZeroLossConfig{
		TrialSetup: helperSetup(),
		Receiver:   "udprx",
		Trial:      300 * time.Millisecond,
		MaxTrials:  4,
	}, func(tr ZeroLossTrial) { lines = append(lines, tr.String()) })
	t.Log(strings.Join(lines, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Trials) < 1 || len(rep.Trials) > 4 {
		t.Fatalf("%d trials, want 1 to 4", len(rep.Trials))
	}
	first := rep.Trials[0]
	if first.Rate != 0 || first.Result.Offered == 0 || first.Result.OfferedPPS <= 0 {
		t.Errorf("first trial %+v: want unpaced, with datagrams offered", first)
	}
	if rep.Found && (rep.Rate <= 0 || rep.Rate > first.Result.OfferedPPS*1.001) {
		t.Errorf("rate %v: want above 0 and at most the unpaced %v", rep.Rate, first.Result.OfferedPPS)
	}
	if rep.Receiver != "udprx" || rep.Size != load.DefaultSize || rep.Resolution <= 0 {
		t.Errorf("report %+v", rep)
	}
	var out bytes.Buffer
	if err := rep.WriteText(&out); err != nil || !strings.Contains(out.String(), "udprx, 64-byte payloads") {
		t.Errorf("WriteText: %v\n%s", err, out.String())
	}
	t.Log(out.String())
}
