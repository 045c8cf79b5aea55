package load

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/udprx/udprx/bench/wire"
)

// The command lines and JSON summaries of "udpbench send" and "udpbench
// rr", in one place for both of their sides: cmd/udpbench defines their
// flags with DefineSendFlags and DefineRRFlags and prints a SendSummary or
// an RRStats; a trial of bench.Compare or bench.EchoCompare runs them as
// children with SendCommand.Args or RRCommand.Args and reads the summary
// back. TestSendCommandRoundTrip and TestRRCommandRoundTrip hold the two
// sides together.

// SendCommand is one run of "udpbench send": what to send, and how to
// report it.
type SendCommand struct {
	Config SendConfig
	// JSON prints the summary as one JSON object (a SendSummary) on
	// standard output instead of text.
	JSON bool
	// Quiet prints no progress lines and no text summary (JSON still
	// prints).
	Quiet bool
}

// Args returns c as "udpbench send"'s arguments (after the command name),
// the flags DefineSendFlags reads back. To, Size, Rate, Duration, Batch
// and Flows are always written (a 0 Size, Batch or Flows as its default,
// which the command line refuses as 0); Count, GSO, JSON and Quiet only
// when set.
func (c SendCommand) Args() []string {
	cfg := c.Config
	args := []string{
		"--to", cfg.To,
		"--size", strconv.Itoa(orDefault(cfg.Size, DefaultSize)),
		"--rate", strconv.FormatFloat(cfg.Rate, 'f', -1, 64),
		"--duration", cfg.Duration.String(),
		"--batch", strconv.Itoa(orDefault(cfg.Batch, DefaultBatch)),
		"--flows", strconv.Itoa(orDefault(cfg.Flows, 1)),
	}
	if c.JSON {
		args = append(args, "--json")
	}
	if c.Quiet {
		args = append(args, "--quiet")
	}
	if cfg.Count > 0 {
		args = append(args, "--count", strconv.FormatInt(cfg.Count, 10))
	}
	if cfg.GSO {
		args = append(args, "--gso")
	}
	return args
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// DefaultSendDuration is "udpbench send"'s --duration when none is given.
const DefaultSendDuration = 5 * time.Second

// DefineSendFlags defines the flags of "udpbench send" on fs. After
// fs.Parse, the returned function gives the command they describe, and an
// error naming the flag whose value is 0 where SendConfig would take 0 for
// its default (--size, --flows, --batch): on a command line that is a
// mistake. The configuration is not validated further (SendConfig.Validate
// does that).
func DefineSendFlags(fs *flag.FlagSet) func() (SendCommand, error) {
	to := fs.String("to", "", "destination `HOST:PORT` (required)")
	size := fs.Int("size", DefaultSize, fmt.Sprintf("UDP payload of every datagram, `BYTES`, 1..%d; with --gso, of every segment", MaxSize))
	rate := fs.Float64("rate", 0, "send `N` datagrams per second over all flows, split evenly; 0 = as fast as possible")
	duration := fs.Duration("duration", DefaultSendDuration, "stop after `DURATION` (e.g. 10s, 1m); 0 = no time limit")
	count := fs.Int64("count", 0, "stop after `N` datagrams in total (whichever of --duration and --count comes first); 0 = no limit")
	flows := fs.Int("flows", 1, fmt.Sprintf("send from `N` sockets (distinct source ports), each in its own goroutine, 1..%d", MaxFlows))
	gso := fs.Bool("gso", false, "send UDP GSO super-packets of up to 64 segments (Linux only)")
	batch := fs.Int("batch", DefaultBatch, fmt.Sprintf("send at most `N` datagrams per system call, 1..%d (with --gso, packed up to 64 per super-packet)", MaxBatch))
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on standard output")
	quiet := fs.Bool("quiet", false, "print no progress lines and no text summary (--json still prints)")
	return func() (SendCommand, error) {
		c := SendCommand{
			Config: SendConfig{
				To: *to, Size: *size, Rate: *rate, Duration: *duration, Count: *count,
				Flows: *flows, GSO: *gso, Batch: *batch,
			},
			JSON:  *asJSON,
			Quiet: *quiet,
		}
		for _, f := range []struct {
			name string
			v    int
		}{{"size", *size}, {"flows", *flows}, {"batch", *batch}} {
			if f.v == 0 {
				return c, fmt.Errorf("--%s 0: must be at least 1", f.name)
			}
		}
		return c, nil
	}
}

// SendSummary is the JSON object "udpbench send --json" prints on standard
// output: a stable format, read back by a trial's sender child.
type SendSummary struct {
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

// Summary turns Send's result into the summary "udpbench send" prints.
func (s SendStats) Summary() SendSummary {
	sum := SendSummary{
		Datagrams: s.Datagrams, Bytes: s.Bytes, Seconds: s.Elapsed.Seconds(),
		RatePPS: s.Rate(), Errors: s.Errors, Calls: s.Calls,
		Flows: s.Flows, GSO: s.GSO, Size: s.Size,
	}
	if sum.Seconds > 0 {
		sum.Gbps = float64(s.Bytes) * 8 / sum.Seconds / 1e9
	}
	if s.FirstErr != nil {
		sum.FirstError = s.FirstErr.Error()
	}
	return sum
}

// RRCommand is one run of "udpbench rr", the request-response client:
// its command line, in one place for cmd/udpbench (DefineRRFlags) and for
// bench.EchoCompare, which runs it as a child (Args) and reads its JSON
// summary, an RRStats, back.
type RRCommand struct {
	Config RRConfig
	// JSON prints the summary as one JSON object (an RRStats) on standard
	// output instead of text.
	JSON bool
}

// Args returns c as "udpbench rr"'s arguments (after the command name),
// the flags DefineRRFlags reads back. To, Rate, Size, Flows and Duration
// are always written (a 0 Size or Flows as its default); Batch and GSO
// only for a paced run (Rate > 0), where they apply; Timeout and JSON only
// when set.
func (c RRCommand) Args() []string {
	cfg := c.Config
	args := []string{
		"--to", cfg.To,
		"--rate", strconv.FormatFloat(cfg.Rate, 'f', -1, 64),
		"--size", strconv.Itoa(orDefault(cfg.Size, DefaultSize)),
		"--flows", strconv.Itoa(orDefault(cfg.Flows, 1)),
		"--duration", cfg.Duration.String(),
	}
	if cfg.Timeout != 0 {
		args = append(args, "--timeout", cfg.Timeout.String())
	}
	if c.JSON {
		args = append(args, "--json")
	}
	if cfg.Rate > 0 {
		args = append(args, "--batch", strconv.Itoa(orDefault(cfg.Batch, DefaultRRBatch)))
		if cfg.GSO {
			args = append(args, "--gso")
		}
	}
	return args
}

// DefineRRFlags defines the flags of "udpbench rr" on fs. After fs.Parse,
// the returned function gives the command they describe, and an error
// naming the flag if --to is missing or --rate, --duration or --timeout is
// out of range (RRConfig.Validate checks the rest).
func DefineRRFlags(fs *flag.FlagSet) func() (RRCommand, error) {
	to := fs.String("to", "", "the echo server, `HOST:PORT`")
	rate := fs.Float64("rate", 0, "requests per second over all flows; 0 = closed loop (one outstanding request per flow)")
	size := fs.Int("size", DefaultSize, fmt.Sprintf("request payload in bytes, %d..%d", wire.HeaderSize, MaxSize))
	flows := fs.Int("flows", 1, "client sockets, each connected to the server")
	duration := fs.Duration("duration", 5*time.Second, "how long to send requests")
	timeout := fs.Duration("timeout", DefaultRRTimeout, "how long a request may wait for its answer")
	batch := fs.Int("batch", DefaultRRBatch, "paced: the most requests per send call")
	gso := fs.Bool("gso", false, "paced, Linux: send requests as UDP GSO super-packets")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on stdout")
	return func() (RRCommand, error) {
		c := RRCommand{
			Config: RRConfig{To: *to, Rate: *rate, Size: *size, Flows: *flows, Duration: *duration,
				Timeout: *timeout, Batch: *batch, GSO: *gso},
			JSON: *asJSON,
		}
		switch {
		case *to == "":
			return c, errors.New("--to is required")
		case *rate < 0 || math.IsNaN(*rate) || math.IsInf(*rate, 0):
			return c, fmt.Errorf("--rate %v: want a number, 0 or more", *rate)
		case *duration <= 0:
			return c, fmt.Errorf("--duration %v: want more than 0", *duration)
		case *timeout <= 0:
			return c, fmt.Errorf("--timeout %v: want more than 0", *timeout)
		}
		return c, nil
	}
}
