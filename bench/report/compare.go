package report

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/udprx/udprx/bench/hoststat"
)

// Machine describes the host a report was made on.
type Machine struct {
	// CPUs is the number of CPUs this process may use (runtime.NumCPU).
	CPUs int `json:"cpus"`
	// Kernel is the system and its release ("Linux 6.18.4"); elsewhere
	// than Linux, the system's name only.
	Kernel string `json:"kernel"`
	// CPUModel is the processor's model name where the system tells it.
	CPUModel  string `json:"cpu_model,omitempty"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
}

// ThisMachine describes the host this process runs on.
func ThisMachine() Machine {
	kernel, model := hoststat.MachineKernel()
	return Machine{
		CPUs:      runtime.NumCPU(),
		Kernel:    kernel,
		CPUModel:  model,
		GoVersion: runtime.Version(),
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
	}
}

// String is a one-line description: "2 CPUs, Linux 6.18.4, go1.26.8
// linux/amd64".
func (m Machine) String() string {
	cpus := fmt.Sprintf("%d CPUs", m.CPUs)
	if m.CPUs == 1 {
		cpus = "1 CPU"
	}
	return fmt.Sprintf("%s, %s, %s %s/%s", cpus, m.Kernel, m.GoVersion, m.OS, m.Arch)
}

// CompareSettings are the settings a Compare ran with, defaults applied.
type CompareSettings struct {
	Receivers       []string `json:"receivers"`
	Sizes           []int    `json:"sizes"`
	Rate            float64  `json:"rate"` // 0: as fast as the sender can
	DurationSeconds float64  `json:"duration_seconds"`
	Repetitions     int      `json:"repetitions"`
	Loops           int      `json:"loops"`
	Batch           int      `json:"batch"`
	RecvBuffer      int      `json:"rcvbuf"`
	GSO             bool     `json:"gso"`
	// Drain is CompareConfig.Drain: in a drain run, the datagrams queued
	// before each receiver started, and DurationSeconds and Rate do not
	// apply.
	Drain int `json:"drain,omitempty"`
	// Pinned tells whether the sender ran on SenderCPU and the receiver on
	// ReceiverCPU (both -1 when not pinned).
	Pinned      bool `json:"pinned"`
	SenderCPU   int  `json:"sender_cpu"`
	ReceiverCPU int  `json:"receiver_cpu"`
}

// CompareReport is the result of Compare: every trial, and per receiver
// and size the medians over the repetitions.
type CompareReport struct {
	Machine  Machine         `json:"machine"`
	Settings CompareSettings `json:"settings"`
	// Rows are the medians, size by size, receivers in the order asked.
	Rows []CompareRow `json:"rows"`
	// Trials are all trials, in the order run.
	Trials []TrialResult `json:"trials"`
	// Skipped names the receivers left out, with the reason.
	Skipped []string  `json:"skipped,omitempty"`
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"` // wall time of the whole run
}

// Stat is the median, minimum and maximum of a figure over repetitions.
type Stat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// StatOf returns the Stat of xs (zero for none). The median of an even
// number of values is the mean of the middle two.
func StatOf(xs []float64) Stat {
	if len(xs) == 0 {
		return Stat{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + m) / 2
	}
	return Stat{Median: m, Min: s[0], Max: s[len(s)-1]}
}

// CompareRow is one receiver at one size, over its repetitions. Each
// figure's median is taken on its own, so the medians of one row need not
// come from one trial.
type CompareRow struct {
	Receiver string `json:"receiver"`
	Backend  string `json:"backend"`
	Size     int    `json:"size"`
	Trials   int    `json:"trials"`
	// RatePPS is datagrams received per second, Gbps their payload bits,
	// over each trial's traffic; OfferedPPS the sender's rate.
	RatePPS    Stat    `json:"rate_pps"`
	Gbps       Stat    `json:"gbps"`
	OfferedPPS float64 `json:"offered_pps"`
	// LossPercent is the total loss; KernelPercent (drops at the socket)
	// and AppPercent (the rest) split it, each its own median.
	LossPercent   Stat    `json:"loss_percent"`
	KernelPercent float64 `json:"kernel_drop_percent"`
	AppPercent    float64 `json:"app_loss_percent"`
	// SenderErrors sums the failed send calls of all the trials.
	SenderErrors uint64 `json:"sender_errors"`
	// CPUPercent is the receiver's CPU while traffic flowed, in percent of
	// one core.
	CPUPercent float64 `json:"cpu_percent"`
	// VsStdlib is the median rate over the stdlib receiver's at the same
	// size; 0 when stdlib was not compared.
	VsStdlib float64 `json:"vs_stdlib"`
}

// Summarize makes the rows of a report: for each size, each receiver of
// names that has trials.
func Summarize(names []string, sizes []int, trials []TrialResult) []CompareRow {
	var rows []CompareRow
	for _, size := range sizes {
		first := len(rows)
		for _, name := range names {
			var rate, gbps, offered, loss, kern, app, cpu []float64
			row := CompareRow{Receiver: name, Size: size}
			for _, t := range trials {
				if t.Receiver != name || t.Size != size {
					continue
				}
				row.Trials++
				row.Backend = t.Backend
				row.SenderErrors += t.SenderErrors
				rate = append(rate, t.RatePPS)
				gbps = append(gbps, t.Gbps)
				offered = append(offered, t.OfferedPPS)
				loss = append(loss, t.LossPercent)
				kern = append(kern, t.Percent(t.KernelDrops))
				app = append(app, t.Percent(t.AppLoss))
				cpu = append(cpu, t.CPUPercent)
			}
			if row.Trials == 0 {
				continue
			}
			row.RatePPS, row.Gbps, row.LossPercent = StatOf(rate), StatOf(gbps), StatOf(loss)
			row.OfferedPPS = StatOf(offered).Median
			row.KernelPercent, row.AppPercent = StatOf(kern).Median, StatOf(app).Median
			row.CPUPercent = StatOf(cpu).Median
			rows = append(rows, row)
		}
		for _, r := range rows[first:] {
			if r.Receiver == "stdlib" && r.RatePPS.Median > 0 {
				for i := first; i < len(rows); i++ {
					rows[i].VsStdlib = rows[i].RatePPS.Median / r.RatePPS.Median
				}
			}
		}
	}
	return rows
}

// WriteJSON writes r as one indented JSON object.
func (r CompareReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes r as a table with a heading and notes.
func (r CompareReport) WriteText(w io.Writer) error {
	s := r.Settings
	rate := "as fast as it can"
	if s.Rate > 0 {
		rate = FormatRate(s.Rate) + " datagrams/s"
	}
	gso := "UDP GSO"
	if !s.GSO {
		gso = "no GSO"
	}
	pin := "not pinned"
	if s.Pinned {
		pin = fmt.Sprintf("sender on CPU %d, receiver on CPU %d", s.SenderCPU, s.ReceiverCPU)
	}
	fmt.Fprintf(w, "udpbench compare on %s\n", r.Machine)
	if r.Machine.CPUModel != "" {
		fmt.Fprintf(w, "CPU: %s\n", r.Machine.CPUModel)
	}
	load := fmt.Sprintf("sender in a child process, %s, batch %d, %s, %v per trial", gso, s.Batch, rate, time.Duration(s.DurationSeconds*float64(time.Second)))
	if s.Drain > 0 {
		load = fmt.Sprintf("drain of %d datagrams queued by a sender in a child process (%s, batch %d) before each receiver starts", s.Drain, gso, s.Batch)
	}
	fmt.Fprintf(w, "load: %s, %d repetition(s); receivers: %d loop(s), SO_RCVBUF %d; %s; %.0fs in all\n\n",
		load, s.Repetitions, s.Loops, s.RecvBuffer, pin, r.Seconds)

	t := [][]string{{"receiver", "size", "datagrams/s", "min-max", "Gbit/s", "offered/s", "loss %", "kernel %", "app %", "send err", "CPU %", "vs stdlib"}}
	for _, row := range r.Rows {
		vs := "-"
		if row.VsStdlib > 0 {
			vs = fmt.Sprintf("%.2fx", row.VsStdlib)
		}
		t = append(t, []string{
			row.Receiver,
			fmt.Sprint(row.Size),
			FormatRate(row.RatePPS.Median),
			FormatRate(row.RatePPS.Min) + "-" + FormatRate(row.RatePPS.Max),
			fmt.Sprintf("%.3f", row.Gbps.Median),
			FormatRate(row.OfferedPPS),
			fmt.Sprintf("%.2f", row.LossPercent.Median),
			fmt.Sprintf("%.2f", row.KernelPercent),
			fmt.Sprintf("%.2f", row.AppPercent),
			fmt.Sprint(row.SenderErrors),
			fmt.Sprintf("%.0f", row.CPUPercent),
			vs,
		})
	}
	WriteTable(w, t, 1)
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "skipped %s\n", s)
	}
	notes := `
datagrams/s (median, min-max over repetitions) and Gbit/s (UDP payload) are
taken over each trial's traffic, first to last datagram received. loss % =
kernel % (dropped at the receiving socket, its own counter) + app % (the rest:
accepted by the sender's kernel, never received nor dropped at the socket).
send err counts failed send calls (retried, not lost). CPU % is the receiving
process's CPU while traffic flowed, 100 = one core (the sender is a separate
process). Single trials vary by +-25% on a busy machine: compare medians of
one run.
`
	if s.Drain > 0 {
		notes = fmt.Sprintf(`
datagrams/s (median, min-max over repetitions) is the rate at which the
receiver emptied a queue of %d datagrams filled before it started, from
its start to the last datagram received: its capacity, with no sender
running. Gbit/s is its UDP payload; offered/s is only the fill rate.
loss %% = kernel %% (dropped at the receiving socket during the fill, its own
counter) + app %% (the rest: accepted by the sender's kernel, never received
nor dropped at the socket). send err counts the fill's failed send calls
(retried, not lost). CPU %% is the receiving process's CPU while it drained
the queue, 100 = one core. Single trials vary by +-25%% on a busy machine:
compare medians of one run.
`, s.Drain)
	}
	_, err := fmt.Fprint(w, notes)
	return err
}

// WriteTable writes rows as aligned columns, two spaces apart: the first
// left columns left-aligned, the rest right-aligned.
func WriteTable(w io.Writer, rows [][]string, left int) {
	var width []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i < left {
				b.WriteString(c)
				if i < len(r)-1 {
					b.WriteString(pad)
				}
			} else {
				b.WriteString(pad)
				b.WriteString(c)
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

// FormatRate formats a rate (datagrams per second) with an SI suffix, as
// the reports do: "1.523M", "20.0k", "950".
func FormatRate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.3fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
