package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/udprx/udprx/bench/hoststat"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

func TestStatOf(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want Stat
	}{
		{nil, Stat{}},
		{[]float64{5}, Stat{5, 5, 5}},
		{[]float64{3, 1, 2}, Stat{2, 1, 3}},
		{[]float64{4, 1, 3, 2}, Stat{2.5, 1, 4}},
	} {
		if got := StatOf(tc.xs); got != tc.want {
			t.Errorf("StatOf(%v) = %+v, want %+v", tc.xs, got, tc.want)
		}
	}
}

// syntheticReport is a compare report of 3 receivers, 2 sizes and 3
// repetitions with known figures: receiver i at size s has rates
// (i+1)×s×1000 × {0.9, 1, 1.2}.
func syntheticReport() CompareReport {
	names := []string{"udprx", "stdlib", "gnet"}
	sizes := []int{64, 1400}
	var trials []TrialResult
	for rep := 1; rep <= 3; rep++ {
		for _, size := range sizes {
			for i, name := range names {
				f := []float64{0.9, 1, 1.2}[rep-1]
				rate := float64(i+1) * float64(size) * 1000 * f
				tr := TrialResult{Receiver: name, Backend: name + "/b", Size: size, Rep: rep, RatePPS: rate, Gbps: rate * float64(size) * 8 / 1e9, OfferedPPS: 2e6, CPUPercent: 50 + float64(rep)}
				tr.Loss = hoststat.AttributeLoss(1000, 900, 60, 1)
				tr.LossPercent = tr.Percent(tr.Total())
				tr.SenderErrors = 1
				trials = append(trials, tr)
			}
		}
	}
	return CompareReport{
		Machine: Machine{CPUs: 2, Kernel: "Linux 6.18.4", GoVersion: "go1.26.8", OS: "linux", Arch: "amd64"},
		Settings: CompareSettings{Receivers: names, Sizes: sizes, DurationSeconds: 5, Repetitions: 3, Loops: 1, Batch: 1024,
			RecvBuffer: 4 << 20, GSO: true, SenderCPU: -1, ReceiverCPU: -1},
		Rows:    Summarize(names, sizes, trials),
		Trials:  trials,
		Started: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Seconds: 95,
	}
}

func TestSummarize(t *testing.T) {
	r := syntheticReport()
	if len(r.Rows) != 6 {
		t.Fatalf("%d rows, want 6", len(r.Rows))
	}
	row := r.Rows[3] // size 1400, udprx
	if row.Receiver != "udprx" || row.Size != 1400 || row.Trials != 3 {
		t.Fatalf("row 3 is %+v", row)
	}
	if row.RatePPS != (Stat{1.4e6, 1.4e6 * 0.9, 1.4e6 * 1.2}) {
		t.Errorf("rate %+v", row.RatePPS)
	}
	if row.VsStdlib != 0.5 || r.Rows[4].VsStdlib != 1 || r.Rows[5].VsStdlib != 1.5 {
		t.Errorf("vs stdlib %v %v %v, want 0.5 1 1.5", row.VsStdlib, r.Rows[4].VsStdlib, r.Rows[5].VsStdlib)
	}
	if row.LossPercent.Median != 10 || row.KernelPercent != 6 || row.AppPercent != 4 || row.SenderErrors != 3 || row.CPUPercent != 52 {
		t.Errorf("loss %+v kernel %v app %v errors %d cpu %v", row.LossPercent, row.KernelPercent, row.AppPercent, row.SenderErrors, row.CPUPercent)
	}
	// Without stdlib, no ratio.
	for _, row := range Summarize([]string{"udprx"}, []int{64}, r.Trials) {
		if row.VsStdlib != 0 {
			t.Errorf("ratio %v without stdlib", row.VsStdlib)
		}
	}
}

func TestCompareReportText(t *testing.T) {
	var b bytes.Buffer
	if err := syntheticReport().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	t.Log("\n" + out)
	lines := strings.Split(out, "\n")
	var table []string
	for _, l := range lines {
		if strings.HasPrefix(l, "receiver") || strings.HasPrefix(l, "udprx") || strings.HasPrefix(l, "stdlib") || strings.HasPrefix(l, "gnet") {
			table = append(table, l)
		}
	}
	if len(table) != 7 {
		t.Fatalf("%d table lines, want 7", len(table))
	}
	for _, l := range table[1:] {
		if len(l) != len(table[0]) {
			t.Errorf("line %q is %d wide, the header %d", l, len(l), len(table[0]))
		}
	}
	for _, want := range []string{"2 CPUs, Linux 6.18.4, go1.26.8", "UDP GSO", "128.0k", "115.2k-153.6k", "0.50x", "10.00", "6.00", "4.00"} {
		if !strings.Contains(out, want) {
			t.Errorf("text does not contain %q", want)
		}
	}
}

// TestCompareReportDrain checks what a drain run's report says: the text
// explains what datagrams/s and offered/s mean there, the JSON records the
// queue, and the chart still draws.
func TestCompareReportDrain(t *testing.T) {
	r := syntheticReport()
	r.Settings.Drain, r.Settings.GSO = 8000, false
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	t.Log("\n" + out)
	for _, want := range []string{"load: drain of 8000 datagrams queued by a sender in a child process (no GSO, batch 1024) before each receiver starts, 3 repetition(s)",
		"emptied a queue of 8000 datagrams filled before it started", "its capacity, with no sender", "offered/s is only the fill rate",
		"vs stdlib", "0.50x"} {
		if !strings.Contains(out, want) {
			t.Errorf("text does not contain %q", want)
		}
	}
	if strings.Contains(out, "per trial") || strings.Contains(out, "%!") {
		t.Errorf("text of a drain run mentions the sender's duration or is malformed")
	}
	for drain, want := range map[int]string{8000: `"drain": 8000`, 0: ""} {
		r.Settings.Drain = drain
		b.Reset()
		if err := r.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(b.String(), `"drain"`); got != (want != "") || !strings.Contains(b.String(), want) {
			t.Errorf("drain %d: JSON has \"drain\" %v, want %q", drain, got, want)
		}
	}
	r.Settings.Drain = 8000
	if err := WriteChart(&bytes.Buffer{}, ChartSVG, r); err != nil {
		t.Errorf("chart: %v", err)
	}
}

func TestCompareReportJSON(t *testing.T) {
	var b bytes.Buffer
	if err := syntheticReport().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	dec := json.NewDecoder(&b)
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	if dec.More() {
		t.Error("more than one JSON value")
	}
	rows := m["rows"].([]any)
	row := rows[3].(map[string]any)
	for _, k := range []string{"receiver", "backend", "size", "trials", "rate_pps", "gbps", "offered_pps", "loss_percent", "kernel_drop_percent", "app_loss_percent", "sender_errors", "cpu_percent", "vs_stdlib"} {
		if _, ok := row[k]; !ok {
			t.Errorf("row has no %q: %v", k, row)
		}
	}
	trial := m["trials"].([]any)[0].(map[string]any)
	for _, k := range []string{"offered", "received", "kernel_drops", "app_loss", "unexpected", "loss_percent", "socket_drops", "host_udp", "cpu_percent", "sender_cpu_percent", "rate_pps", "active_seconds"} {
		if _, ok := trial[k]; !ok {
			t.Errorf("trial has no %q: %v", k, trial)
		}
	}
	for _, k := range []string{"machine", "settings", "started", "seconds"} {
		if _, ok := m[k]; !ok {
			t.Errorf("report has no %q", k)
		}
	}
}

func TestChartFormat(t *testing.T) {
	for path, want := range map[string]string{"a.svg": ChartSVG, "dir/B.PNG": ChartPNG, "x.Svg": ChartSVG} {
		if got, err := ChartFormat(path); got != want || err != nil {
			t.Errorf("ChartFormat(%q) = %q, %v; want %q", path, got, err, want)
		}
	}
	for _, path := range []string{"report.pdf", "report", "svg", "report.svg.txt"} {
		if _, err := ChartFormat(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("ChartFormat(%q) = %v, want an error naming the file", path, err)
		}
	}
}

// TestChart writes the chart of a synthetic report in both formats and
// checks that each is what its extension says.
func TestChart(t *testing.T) {
	dir := t.TempDir()
	r := syntheticReport()
	for _, tc := range []struct {
		file  string
		check func([]byte) bool
	}{
		{"report.svg", func(b []byte) bool {
			return bytes.HasPrefix(b, []byte("<?xml")) && bytes.Contains(b, []byte("<svg")) && bytes.Contains(b, []byte("</svg>"))
		}},
		{"report.png", func(b []byte) bool { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) }},
	} {
		path := filepath.Join(dir, tc.file)
		if err := SaveChart(path, r); err != nil {
			t.Fatalf("SaveChart(%s): %v", tc.file, err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 1000 || !tc.check(b) {
			t.Errorf("%s: %d bytes starting %q: not a chart", tc.file, len(b), b[:min(len(b), 16)])
		}
	}
	if err := SaveChart(filepath.Join(dir, "report.jpg"), r); err == nil {
		t.Error("SaveChart(.jpg): no error")
	}
	if err := WriteChart(&bytes.Buffer{}, ChartSVG, CompareReport{}); err == nil {
		t.Error("chart of an empty report: no error")
	}
}

// TestChartLayout checks the chart's geometry, for a load run and a drain
// run: the plot and the legend inside the picture with a margin, the
// legend in a column right of the data area (so no bar can run under it),
// the title as wide as the plot at most, and the axis label (drawn on its
// side) no longer than the data area is high.
func TestChartLayout(t *testing.T) {
	drained := syntheticReport()
	drained.Settings.Drain = 8000
	for name, r := range map[string]CompareReport{"load": syntheticReport(), "drain": drained} {
		t.Run(name, func(t *testing.T) {
			ch, err := chartOf(r)
			if err != nil {
				t.Fatal(err)
			}
			c := draw.New(vgsvg.New(chartWidth, chartHeight))
			plotArea, legendArea := ch.layout(c)
			inside := func(what string, r vg.Rectangle) {
				if r.Min.X < c.Min.X+chartMargin || r.Min.Y < c.Min.Y+chartMargin || r.Max.X > c.Max.X-chartMargin || r.Max.Y > c.Max.Y-chartMargin {
					t.Errorf("%s %v is not inside the picture %v less its margin", what, r, c.Rectangle)
				}
			}
			inside("plot", plotArea.Rectangle)
			inside("legend column", legendArea.Rectangle)
			inside("legend", ch.legend.Rectangle(legendArea))
			data := ch.plot.DataCanvas(plotArea)
			if legendArea.Min.X <= data.Max.X {
				t.Errorf("legend column starts at x %v, inside the data area (to %v)", legendArea.Min.X, data.Max.X)
			}
			if w := ch.plot.Title.TextStyle.Rectangle(ch.plot.Title.Text).Size().X; w > plotArea.Size().X {
				t.Errorf("title %q is %v wide, the plot %v", ch.plot.Title.Text, w, plotArea.Size().X)
			}
			label := ch.plot.Y.Label.TextStyle
			label.Rotation = 0
			if l := label.Rectangle(ch.plot.Y.Label.Text).Size().X; l > data.Size().Y {
				t.Errorf("axis label %q is %v long, the data area %v high", ch.plot.Y.Label.Text, l, data.Size().Y)
			}
		})
	}
}
