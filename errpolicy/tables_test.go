package errpolicy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"
)

// platformTables are the tables with a compile-time check file each.
var platformTables = []*Table{Linux, Darwin, FreeBSD, Windows}

func TestRowsWellFormed(t *testing.T) {
	for _, table := range append(slices.Clone(platformTables), host) {
		t.Run(table.Name(), func(t *testing.T) {
			rows := table.Rows()
			if len(rows) == 0 {
				t.Fatal("no rows")
			}
			errnos := map[uintptr]string{}
			names := map[string]uintptr{}
			for i, r := range rows {
				if r.Errno == 0 {
					t.Errorf("row %d (%s): errno 0", i, r.Name)
				}
				if r.Name == "" || strings.TrimSpace(r.Name) != r.Name {
					t.Errorf("row %d (errno %d): bad name %q", i, r.Errno, r.Name)
				}
				if r.Reason == "" || strings.ContainsAny(r.Reason, "\n|") {
					t.Errorf("row %s: reason %q is empty or breaks a one-line markdown cell", r.Name, r.Reason)
				}
				if r.Verdict < Retry || r.Verdict > Stop {
					t.Errorf("row %s: invalid verdict %d", r.Name, r.Verdict)
				}
				if r.Verdict == Stop {
					t.Errorf("row %s: Stop is only for our own close, never an errno", r.Name)
				}
				if prev, dup := errnos[r.Errno]; dup {
					t.Errorf("errno %d twice: %s and %s", r.Errno, prev, r.Name)
				}
				if prev, dup := names[r.Name]; dup {
					t.Errorf("name %s twice: errno %d and %d", r.Name, prev, r.Errno)
				}
				errnos[r.Errno], names[r.Name] = r.Name, r.Errno
				if i > 0 && rows[i-1].Errno >= r.Errno {
					t.Errorf("rows out of order at %s", r.Name)
				}
				// Every row is reachable through Classify.
				if d := table.Classify(readErrno(r.Errno)); d.Name != r.Name || d.Verdict != r.Verdict || d.Reason != r.Reason {
					t.Errorf("Classify(errno %d) = %+v, want row %+v", r.Errno, d, r)
				}
			}
		})
	}
}

// TestEveryTableHasTheCoreErrors makes sure no platform forgot one of the
// errors every receive loop meets.
func TestEveryTableHasTheCoreErrors(t *testing.T) {
	core := map[string][]string{
		"linux":   {"EINTR", "EAGAIN", "ENOTCONN", "EBADF", "ENOTSOCK", "EINVAL", "EFAULT", "ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ENOBUFS", "ENOMEM", "EMFILE", "ENFILE", "ERESTARTSYS"},
		"darwin":  {"EINTR", "EAGAIN", "ENOTCONN", "EBADF", "ENOTSOCK", "EINVAL", "EFAULT", "ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ENOBUFS", "ENOMEM", "EMFILE", "ENFILE"},
		"freebsd": {"EINTR", "EAGAIN", "ENOTCONN", "EBADF", "ENOTSOCK", "EINVAL", "EFAULT", "ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ENOBUFS", "ENOMEM", "EMFILE", "ENFILE"},
		"windows": {"WSAEINTR", "WSAEWOULDBLOCK", "WSAENOTCONN", "WSAENOTSOCK", "WSAECONNRESET", "WSAENETRESET", "WSAEMSGSIZE", "WSAENOBUFS"},
	}
	for _, table := range platformTables {
		var have []string
		for _, r := range table.Rows() {
			have = append(have, r.Name)
		}
		for _, name := range core[table.Name()] {
			if !slices.Contains(have, name) {
				t.Errorf("%s: no row for %s", table.Name(), name)
			}
		}
	}
}

// TestEveryRowIsChecked parses table_check_<os>.go and makes sure every row of
// the table has its compile-time check there, comparing the data file's
// constant <os><NAME> with the x/sys constant <pkg>.<NAME>: a row added
// without a check would silently escape it.
func TestEveryRowIsChecked(t *testing.T) {
	for _, table := range platformTables {
		t.Run(table.Name(), func(t *testing.T) {
			file := "table_check_" + table.Name() + ".go"
			checked := checkedNames(t, file, table.Name())
			for _, r := range table.Rows() {
				if table == Linux && r.Errno >= linuxKernelInternalMin {
					continue // kernel-internal: x/sys has no constant for it
				}
				if !checked[r.Name] {
					t.Errorf("%s: row %s (%d) has no compile-time check", file, r.Name, r.Errno)
				}
				delete(checked, r.Name)
			}
			for _, r := range table.SendRows() {
				if !checked[r.Name] && !inRows(table, r.Name) {
					t.Errorf("%s: send row %s (%d) has no compile-time check", file, r.Name, r.Errno)
				}
				delete(checked, r.Name)
			}
			for name := range checked {
				t.Errorf("%s: checks %s, which is in no row", file, name)
			}
		})
	}
}

// checkedNames returns the NAMEs of the array lengths `prefixNAME - pkg.NAME`
// in file, failing the test on any other shape.
func checkedNames(t *testing.T, file, prefix string) map[string]bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		at, ok := n.(*ast.ArrayType)
		if !ok || at.Len == nil {
			return true
		}
		if _, ok := at.Len.(*ast.Ellipsis); ok {
			return true
		}
		if lit, ok := at.Len.(*ast.BasicLit); ok && lit.Value == "0" {
			return true // the [0]struct{} every check must equal
		}
		bin, ok := at.Len.(*ast.BinaryExpr)
		if !ok || bin.Op != token.SUB {
			t.Errorf("%s: array length %T is not a subtraction", file, at.Len)
			return true
		}
		x, okx := bin.X.(*ast.Ident)
		y, oky := bin.Y.(*ast.SelectorExpr)
		if !okx || !oky {
			t.Errorf("%s: check is not of the form %sNAME - pkg.NAME", file, prefix)
			return true
		}
		name := y.Sel.Name
		if x.Name != prefix+name {
			t.Errorf("%s: %s is compared with %s", file, x.Name, name)
		}
		names[name] = true
		return true
	})
	if len(names) == 0 {
		t.Fatalf("%s: no checks found", file)
	}
	return names
}

// inRows reports whether the table has a receive row named name (whose
// check covers a send row of the same errno).
func inRows(t *Table, name string) bool {
	for _, r := range t.Rows() {
		if r.Name == name {
			return true
		}
	}
	return false
}
