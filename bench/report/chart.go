package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Chart formats, by file extension.
const (
	ChartSVG = "svg"
	ChartPNG = "png"
)

// ChartFormat returns the chart format a file name asks for by its
// extension, .svg or .png (in any case), or an error naming the file.
func ChartFormat(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".svg":
		return ChartSVG, nil
	case ".png":
		return ChartPNG, nil
	case "":
		return "", fmt.Errorf("report: chart file %q has no extension: want .svg or .png", path)
	default:
		return "", fmt.Errorf("report: chart file %q: %s is not a chart format: want .svg or .png", path, ext)
	}
}

// SaveChart writes r's chart to the file path, in the format its extension
// names (see ChartFormat).
func SaveChart(path string, r CompareReport) error {
	format, err := ChartFormat(path)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("report: chart: %w", err)
	}
	if err := WriteChart(f, format, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("report: chart: %w", err)
	}
	return nil
}

// Chart dimensions; a PNG is drawn at chartDPI. chartMargin is left blank
// on every side: an SVG names its font (Liberation Serif) and a viewer
// without it draws a wider one (DejaVu Serif, about a fifth wider), which
// would push the title and the axis label past the edge of a picture
// measured to the point; for the same reason the legend's column is
// chartFontSlack times as wide as measured. chartGap separates the plot
// from the legend's column.
const (
	chartWidth  = 9 * vg.Inch
	chartHeight = 5 * vg.Inch
	chartDPI    = 110
	chartMargin = 3 * vg.Millimeter
	chartGap    = 2 * vg.Millimeter

	chartFontSlack = 1.3
)

// WriteChart draws r as a grouped bar chart and writes it to w in format
// (ChartSVG or ChartPNG): per payload size a group with one bar per
// receiver, its height the median datagrams per second, with a line from
// the lowest to the highest repetition; the title names the machine, and
// the legend has a column of its own right of the plot, so no bar can run
// under it.
func WriteChart(w io.Writer, format string, r CompareReport) error {
	ch, err := chartOf(r)
	if err != nil {
		return err
	}
	var wt io.WriterTo
	switch format {
	case ChartSVG:
		c := vgsvg.New(chartWidth, chartHeight)
		ch.draw(draw.New(c))
		wt = c
	case ChartPNG:
		c := vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseDPI(chartDPI))
		ch.draw(draw.New(c))
		wt = vgimg.PngCanvas{Canvas: c}
	default:
		return fmt.Errorf("report: chart format %q: want %s or %s", format, ChartSVG, ChartPNG)
	}
	if _, err := wt.WriteTo(w); err != nil {
		return fmt.Errorf("report: chart: %w", err)
	}
	return nil
}

// chart is a comparison's plot and its legend, which is drawn beside the
// plot rather than in it.
type chart struct {
	plot   *plot.Plot
	legend plot.Legend
}

// draw draws the chart on c.
func (ch chart) draw(c draw.Canvas) {
	plotArea, legendArea := ch.layout(c)
	ch.plot.Draw(plotArea)
	ch.legend.Draw(legendArea)
}

// layout places the chart inside chartMargin on c: the plot on the left,
// the legend in a column on the right, its top level with the plot's data
// area (below the title).
func (ch chart) layout(c draw.Canvas) (plotArea, legendArea draw.Canvas) {
	c = draw.Crop(c, chartMargin, -chartMargin, chartMargin, -chartMargin)
	lw := ch.legend.Rectangle(c).Size().X * chartFontSlack
	title := ch.plot.Title.TextStyle.Rectangle(ch.plot.Title.Text).Size().Y + ch.plot.Title.Padding
	return draw.Crop(c, 0, -(lw + chartGap), 0, 0), draw.Crop(c, c.Size().X-lw, 0, 0, -title)
}

// chartOf builds the chart of r. The axis label is two lines, so that it
// fits the plot's height with room to spare.
func chartOf(r CompareReport) (chart, error) {
	p := plot.New()
	p.Title.Text = "udpbench compare: " + r.Machine.String()
	p.Y.Label.Text = "received, M datagrams/s\n(median; line: min-max)"
	if d := r.Settings.Drain; d > 0 {
		p.Y.Label.Text = fmt.Sprintf("drained from a queue of %d,\nM datagrams/s (median; line: min-max)", d)
	}
	p.X.Label.Text = "UDP payload, bytes"
	p.Y.Min = 0

	sizes, names := r.Settings.Sizes, r.Settings.Receivers
	if len(sizes) == 0 || len(names) == 0 {
		return chart{}, fmt.Errorf("report: chart: the report has no sizes or receivers")
	}
	labels := make([]string, len(sizes))
	for i, s := range sizes {
		labels[i] = strconv.Itoa(s)
	}
	p.NominalX(labels...)

	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	// Bars of one group sit side by side around the group's centre.
	width := vg.Points(min(60, 400/float64(len(names)*len(sizes))))
	for i, name := range names {
		med, lo, hi := make(plotter.Values, len(sizes)), make(plotter.Values, len(sizes)), make(plotter.Values, len(sizes))
		for j, size := range sizes {
			for _, row := range r.Rows {
				if row.Receiver == name && row.Size == size {
					med[j], lo[j], hi[j] = row.RatePPS.Median/1e6, row.RatePPS.Min/1e6, row.RatePPS.Max/1e6
				}
			}
		}
		bars, err := plotter.NewBarChart(med, width)
		if err != nil {
			return chart{}, fmt.Errorf("report: chart: %w", err)
		}
		bars.Offset = vg.Length(float64(i)-float64(len(names)-1)/2) * width
		bars.Color = plotutil.Color(i)
		bars.LineStyle.Width = 0
		p.Add(bars, &rangeLines{lo: lo, hi: hi, offset: bars.Offset})
		legend.Add(name, bars)
	}
	// Room on both sides for the outer bars, and a little above the
	// highest repetition.
	p.X.Min, p.X.Max = -0.5, float64(len(sizes))-0.5
	top := 0.0
	for _, row := range r.Rows {
		top = max(top, row.RatePPS.Max/1e6)
	}
	if top > 0 {
		p.Y.Max = top * 1.05
	}
	return chart{plot: p, legend: legend}, nil
}

// rangeLines draws, over bar j of a bar chart shifted by offset, a vertical
// line from lo[j] to hi[j] with caps: the spread of the repetitions.
// plotter.YErrorBars cannot be shifted like the bars, hence this.
type rangeLines struct {
	lo, hi plotter.Values
	offset vg.Length
}

// Plot implements plot.Plotter.
func (l *rangeLines) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	style := draw.LineStyle{Color: plotter.DefaultLineStyle.Color, Width: vg.Points(1)}
	cap := vg.Points(3)
	for j := range l.lo {
		if l.hi[j] <= l.lo[j] {
			continue
		}
		x := trX(float64(j)) + l.offset
		y0, y1 := trY(l.lo[j]), trY(l.hi[j])
		c.StrokeLine2(style, x, y0, x, y1)
		c.StrokeLine2(style, x-cap, y0, x+cap, y0)
		c.StrokeLine2(style, x-cap, y1, x+cap, y1)
	}
}

// DataRange implements plot.DataRanger, so the axes make room for the
// highest repetition.
func (l *rangeLines) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = 0, float64(len(l.lo)-1)
	for j := range l.hi {
		ymax = max(ymax, l.hi[j])
	}
	return xmin, xmax, 0, ymax
}
