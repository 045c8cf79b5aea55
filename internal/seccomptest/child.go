package seccomptest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// childEnv marks the copy of the test binary that InChild starts.
const childEnv = "UDPRX_SECCOMPTEST_CHILD"

// InChild reports whether the running test is the copy InChild started:
// then the caller goes on to install its filter and run the test body. In
// the parent it runs the same test in a new process of the test binary
// (bounded by timeout), fails t with the child's output if the child
// failed, and returns false: the parent has nothing more to do.
func InChild(t *testing.T, timeout time.Duration) bool {
	t.Helper()
	if os.Getenv(childEnv) == t.Name() {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v",
		"-test.timeout="+timeout.String())
	cmd.Env = append(os.Environ(), childEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the test in a child process failed (%v):\n%s", err, out)
	}
	t.Logf("child:\n%s", out)
	return false
}
