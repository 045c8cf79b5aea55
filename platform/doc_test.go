package platform

import (
	"flag"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var updateDoc = flag.Bool("update", false, "rewrite the file map in doc.go: drop files that are gone, add new ones")

// docEntry is one line of doc.go's file map: "//\tname.go  what it holds".
var docEntry = regexp.MustCompile(`^//\t(\S+\.go)(\s+)(.*)$`)

// TestDocFileMap: the file map in doc.go lists every non-test Go file of
// the package but doc.go, and nothing else. With -update it rewrites the
// map: entries of removed files go, a new file is added at the end with
// the first line of its first comment, for its author to place and
// word, and the descriptions are aligned again.
func TestDocFileMap(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	first, last := -1, -1
	for i, l := range lines {
		if docEntry.MatchString(l) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		t.Fatal("doc.go has no file map (lines of the form //<TAB>name.go  description)")
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, "_test.go") || f == "doc.go" })

	type entry struct{ name, desc string } // name "": a blank separator line
	var block []entry
	listed := map[string]bool{}
	for _, l := range lines[first : last+1] {
		m := docEntry.FindStringSubmatch(l)
		switch {
		case m != nil:
			if listed[m[1]] {
				t.Errorf("doc.go lists %s twice", m[1])
			}
			listed[m[1]] = true
			if !slices.Contains(files, m[1]) {
				t.Errorf("doc.go lists %s, which is not a file of the package", m[1])
				continue
			}
			block = append(block, entry{m[1], m[3]})
		case strings.TrimSpace(l) == "//":
			block = append(block, entry{})
		default:
			t.Fatalf("doc.go: line %q inside the file map", l)
		}
	}
	for _, f := range files {
		if !listed[f] {
			t.Errorf("doc.go's file map does not list %s", f)
			block = append(block, entry{f, firstComment(t, f)})
		}
	}
	if !t.Failed() || !*updateDoc {
		if t.Failed() {
			t.Log("go test ./platform -run TestDocFileMap -update rewrites the map")
		}
		return
	}
	width := 0
	for _, e := range block {
		width = max(width, len(e.name))
	}
	var out []string
	for _, e := range block {
		if e.name == "" {
			out = append(out, "//")
			continue
		}
		out = append(out, "//\t"+e.name+strings.Repeat(" ", width+1-len(e.name))+e.desc)
	}
	lines = slices.Replace(lines, first, last+1, out...)
	if err := os.WriteFile("doc.go", []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Log("doc.go's file map rewritten")
}

// firstComment returns the first line of the first comment in file f.
func firstComment(t *testing.T, f string) string {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range file.Comments {
		if text := strings.TrimSpace(g.Text()); text != "" && !strings.HasPrefix(text, "go:build") {
			line, _, _ := strings.Cut(text, "\n")
			return line
		}
	}
	return "(describe it)"
}
