package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// threadAffinities returns the CPUs of every thread of this process, one
// string such as "1" or "0,1" per thread.
func threadAffinities() ([]string, error) {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		var set unix.CPUSet
		if err := unix.SchedGetaffinity(tid, &set); err != nil {
			continue // the thread has exited
		}
		var cpus []string
		for i := 0; i < len(set)*64; i++ {
			if set.IsSet(i) {
				cpus = append(cpus, strconv.Itoa(i))
			}
		}
		out = append(out, strings.Join(cpus, ","))
	}
	return out, nil
}

// TestAffinityHelper prints the CPUs of its threads, one line each, when
// run as TestPinning's child.
func TestAffinityHelper(t *testing.T) {
	if os.Getenv("BENCH_AFFINITY_HELPER") != "1" {
		t.Skip("only a child process of TestPinning")
	}
	a, err := threadAffinities()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(strings.Join(a, "\n"))
	os.Exit(0)
}

// TestPinning checks that pinning moves every thread of this process to
// the receiver's CPU, that a child started through it has every thread on
// the sender's, including those its runtime started before main, and that
// restore undoes it.
func TestPinning(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("pinning needs 2 CPUs")
	}
	before, err := threadAffinities()
	if err != nil {
		t.Fatal(err)
	}
	p, err := startPinning()
	if err != nil {
		t.Fatal(err)
	}
	restored := false
	defer func() {
		if !restored {
			p.restore()
		}
	}()
	s, r := p.cpus()
	if s == r {
		t.Fatalf("sender and receiver on CPU %d", s)
	}
	check := func(when string, want string) {
		t.Helper()
		a, err := threadAffinities()
		if err != nil {
			t.Fatal(err)
		}
		for i, cpus := range a {
			if cpus != want {
				t.Errorf("%s: thread %d of %d on CPUs %s, want %s", when, i, len(a), cpus, want)
			}
		}
	}
	check("pinned", strconv.Itoa(r))

	cmd := exec.Command(os.Args[0], "-test.run=^TestAffinityHelper$")
	cmd.Env = append(os.Environ(), "BENCH_AFFINITY_HELPER=1")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := p.start(cmd); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(stdout.String())
	if len(lines) < 2 {
		t.Fatalf("child printed %q: want a line per thread", stdout.String())
	}
	for i, cpus := range lines {
		if cpus != strconv.Itoa(s) {
			t.Errorf("child thread %d of %d on CPUs %s, want %d", i, len(lines), cpus, s)
		}
	}
	check("after starting the child", strconv.Itoa(r))

	restored = true
	if err := p.restore(); err != nil {
		t.Fatal(err)
	}
	check("restored", before[0])
}
