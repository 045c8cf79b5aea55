package engine

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestAPINamesNoPlatform: the engine's exported API (go doc -all) names
// no type or value of package platform, so a program needs engine alone
// (platform/doc.go: only engine imports platform).
func TestAPINamesNoPlatform(t *testing.T) {
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool: %v", err)
	}
	out, err := exec.Command(gotool, "doc", "-all", "github.com/udprx/udprx/engine").Output()
	if err != nil {
		t.Fatalf("go doc: %v", err)
	}
	if len(out) < 1000 {
		t.Fatalf("go doc printed %d bytes: not the package's documentation", len(out))
	}
	re := regexp.MustCompile(`\bplatform\.[A-Z]\w*`)
	for i, line := range strings.Split(string(out), "\n") {
		if m := re.FindString(line); m != "" {
			t.Errorf("go doc line %d names %s: %s", i+1, m, strings.TrimSpace(line))
		}
	}
}
