package errpolicy

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated tables in ../docs/errors.md")

const (
	docPath        = "../docs/errors.md"
	beginTable     = "<!-- BEGIN GENERATED TABLES: go test ./errpolicy -run TestErrorsDocInSync -update -->"
	endTable       = "<!-- END GENERATED TABLES -->"
	beginSendTable = "<!-- BEGIN GENERATED SEND TABLES: go test ./errpolicy -run TestErrorsDocInSync -update -->"
	endSendTable   = "<!-- END GENERATED SEND TABLES -->"
)

// sentinelLabels names each sentinel in the doc; a sentinel added without a
// label fails the test, so the doc cannot miss it.
var sentinelLabels = map[error]string{
	net.ErrClosed:          "`net.ErrClosed`",
	os.ErrClosed:           "`os.ErrClosed`",
	ErrHangUp:              "`errpolicy.ErrHangUp`",
	ErrEmptyReadable:       "`errpolicy.ErrEmptyReadable`",
	os.ErrDeadlineExceeded: "`os.ErrDeadlineExceeded`",
}

// TestErrorsDocInSync checks that docs/errors.md shows the receive and the
// send tables as they are in the code. With -update it rewrites the parts
// between the markers and leaves the hand-written prose alone.
func TestErrorsDocInSync(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("reading the doc: %v", err)
	}
	regions := []struct{ begin, end, want string }{
		{beginTable, endTable, "\n" + renderTables(t) + "\n"},
		{beginSendTable, endSendTable, "\n" + renderSendTables() + "\n"},
	}
	changed := false
	for _, r := range regions {
		before, rest, ok := bytes.Cut(doc, []byte(r.begin))
		current, after, ok2 := bytes.Cut(rest, []byte(r.end))
		if !ok || !ok2 {
			t.Fatalf("%s: markers %q and %q not found in that order", docPath, r.begin, r.end)
		}
		if string(current) == r.want {
			continue
		}
		if !*update {
			t.Errorf("%s is out of date with the errpolicy tables (%s).\n"+
				"Run: go test ./errpolicy -run TestErrorsDocInSync -update\n%s",
				docPath, "between the markers "+r.begin, firstDifference(string(current), r.want))
			continue
		}
		doc = slices.Concat(before, []byte(r.begin), []byte(r.want), []byte(r.end), after)
		changed = true
	}
	if changed {
		if err := os.WriteFile(docPath, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the generated tables in %s", docPath)
	}
}

// renderTables renders the sentinel table and one table per platform.
func renderTables(t *testing.T) string {
	var b strings.Builder
	b.WriteString("### Every platform: sentinels and fallbacks\n\n")
	b.WriteString("Checked in this order, before any errno.\n\n")
	b.WriteString("| error | name | verdict | reason |\n| --- | --- | --- | --- |\n")
	for _, s := range sentinels {
		label, ok := sentinelLabels[s.err]
		if !ok {
			t.Fatalf("sentinel %v has no label in docs_test.go", s.err)
		}
		row(&b, label, s.decision.Name, s.decision.Verdict, s.decision.Reason)
	}
	row(&b, "errno 512 to 4095 in no row (Linux only)", "kernel-internal", Retry, reasonKernelInternal)
	row(&b, "any other errno in no row (named by the host, e.g. `EIO`, where it is the host's table and the host knows the number)", "unknown", Backoff, reasonUnknownErrno)
	row(&b, "no errno and no sentinel", "unknown", Backoff, reasonNoErrno)
	for _, table := range platformTables {
		fmt.Fprintf(&b, "\n### %s (`errpolicy.%s`)\n\n", docTitle[table.Name()], docTitle[table.Name()])
		b.WriteString("| errno | name | verdict | reason |\n| ---: | --- | --- | --- |\n")
		for _, r := range table.Rows() {
			row(&b, fmt.Sprint(r.Errno), r.Name, r.Verdict, r.Reason)
		}
	}
	return b.String()
}

// renderSendTables renders what ClassifySend does before and beyond the
// rows, and one send table per platform.
func renderSendTables() string {
	var b strings.Builder
	b.WriteString("### Every platform: send sentinels and fallbacks\n\n")
	b.WriteString("Checked in this order, before any errno.\n\n")
	b.WriteString("| error | name | verdict | label | reason |\n| --- | --- | --- | --- | --- |\n")
	sendRow(&b, "`net.ErrClosed`, `os.ErrClosed`", "closed", Stop, "closed", reasonSendClosed)
	sendRow(&b, "`os.ErrDeadlineExceeded`", "deadline", Wait, "full", reasonSendDeadline)
	sendRow(&b, "an errno in no send row", "its name, or `unknown`", Drop, "unknown", reasonSendUnknown)
	sendRow(&b, "no errno and no sentinel", "unknown", Drop, "unknown", reasonSendNoErrno)
	for _, table := range platformTables {
		fmt.Fprintf(&b, "\n### %s sends (`errpolicy.%s`)\n\n", docTitle[table.Name()], docTitle[table.Name()])
		b.WriteString("| errno | name | verdict | label | reason |\n| ---: | --- | --- | --- | --- |\n")
		for _, r := range table.SendRows() {
			sendRow(&b, fmt.Sprint(r.Errno), r.Name, r.Verdict, r.Label, r.Reason)
		}
	}
	return b.String()
}

func sendRow(b *strings.Builder, key, name string, v Verdict, label, reason string) {
	if !strings.HasPrefix(name, "its ") {
		name = "`" + name + "`"
	}
	if label != "" {
		label = "`" + label + "`"
	}
	fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", key, name, v, label, strings.ReplaceAll(reason, "|", `\|`))
}

var docTitle = map[string]string{"linux": "Linux", "darwin": "Darwin", "freebsd": "FreeBSD", "windows": "Windows"}

func row(b *strings.Builder, key, name string, v Verdict, reason string) {
	fmt.Fprintf(b, "| %s | `%s` | %s | %s |\n", key, name, v, strings.ReplaceAll(reason, "|", `\|`))
}

// firstDifference describes the first line where got and want differ.
func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("first difference at generated line %d:\n  doc:  %q\n  code: %q", i+1, gl, wl)
		}
	}
	return ""
}
