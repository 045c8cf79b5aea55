package load

import (
	"flag"
	"fmt"
	"strconv"
	"time"
)

// The command line and the JSON summary of "udpbench send", in one place
// for both of its sides: cmd/udpbench defines its flags with
// DefineSendFlags and prints a SendSummary; a trial of bench.Compare runs
// it as a child with SendCommand.Args and reads the SendSummary back.
// TestSendCommandRoundTrip holds the two sides together.

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
