// Package report holds what a comparison of receivers found and writes it
// out: TrialResult (one receiver under one load), CompareReport (every
// trial, and per receiver and size the medians over the repetitions), as
// a text table, as JSON, or as a chart (SVG or PNG). It is the only
// package of udprx that imports gonum's plot.
//
// bench.Compare makes a CompareReport; Summarize and StatOf are what it
// takes the medians with, and WriteTable and FormatRate what the other
// reports of bench write their tables with:
//
//	rep, err := bench.Compare(ctx, cfg, nil)
//	if err != nil { ... }
//	rep.WriteText(os.Stdout)
//	if err := report.SaveChart("compare.svg", rep); err != nil { ... }
//
// Files: trial.go (one trial's figures), compare.go (the report, its
// medians, text and JSON), chart.go (the chart).
package report
