package engine

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImportGraph keeps the import direction of docs/architecture.md:
// cmd/udpbench → bench → bench/{load, peers, report, hoststat, wire} →
// engine → {platform, errpolicy} → batch, with engine/pconn on engine, and
// each comparison, plotting and histogram library in its one package:
// gnet and x/net in bench/peers (x/net's ipv4 in engine/pconn too, for its
// message type), gonum in bench/report, HdrHistogram in bench/wire and
// bench/load.
func TestImportGraph(t *testing.T) {
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool: %v", err)
	}
	out, err := exec.Command(gotool, "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/udprx/udprx/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/udprx/udprx/"
	allowed := map[string][]string{
		"batch":                 {},
		"errpolicy":             {},
		"internal/fakeclock":    {},
		"internal/doccheck":     {},
		"internal/kernel":       {}, // imported by tests only
		"internal/seccomptest":  {}, // imported by tests only
		"platform":              {"batch"},
		"platform/platformtest": {"batch", "platform"}, // imported by tests only
		"engine":                {"batch", "errpolicy", "platform"},
		"engine/pconn":          {"engine"},
		"bench":                 {"engine", "bench/wire", "bench/hoststat", "bench/load", "bench/peers", "bench/report"},
		"bench/report":          {"bench/hoststat"},
		"bench/peers":           {"engine", "bench/wire"},
		"bench/load":            {"bench/wire"},
		"bench/hoststat":        {},
		"bench/wire":            {},
		"cmd/udpbench":          {"bench", "bench/wire", "bench/load", "bench/peers", "bench/report"},
	}
	// Each comparison, plotting and histogram library has its own packages:
	// the only ones that may import it.
	thirdParty := map[string][]string{
		"github.com/panjf2000/gnet": {"bench/peers"},
		"golang.org/x/net":          {"bench/peers"},
		"gonum.org/":                {"bench/report"},
		"github.com/HdrHistogram/":  {"bench/wire", "bench/load"},
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(f[0], mod)
		ok, known := allowed[pkg]
		if !known {
			if strings.HasPrefix(pkg, "examples/") {
				continue
			}
			t.Errorf("package %s is not in the import diagram", pkg)
			continue
		}
		for _, imp := range f[1:] {
			if rel, ours := strings.CutPrefix(imp, mod); ours {
				if !slices.Contains(ok, rel) {
					t.Errorf("%s imports %s: against the direction in docs/architecture.md", pkg, rel)
				}
				continue
			}
			if pkg == "engine/pconn" && imp == "golang.org/x/net/ipv4" {
				continue // for ipv4.Message in ReadBatch, which quic-go probes for
			}
			for prefix, owners := range thirdParty {
				if strings.HasPrefix(imp, prefix) && !slices.Contains(owners, pkg) {
					t.Errorf("%s imports %s: only %s may", pkg, imp, strings.Join(owners, ", "))
				}
			}
		}
	}
}
