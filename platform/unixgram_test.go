//go:build linux || darwin || freebsd

package platform

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The unixgram tests use the portable tests' helpers (ptWait, ptReadOne,
// ptBatch...: portable_test.go), bounded by ptBound.

// ptZero is the source every unix datagram is reported with: unknown.
var ptZero netip.AddrPort

// ugBackends are the backends every unixgram test runs against.
var ugBackends = []struct {
	name     string
	portable bool
}{{"native", false}, {"portable", true}}

// ugListen opens a unixgram Receiver, closed when the test ends.
func ugListen(t *testing.T, address string, opts Options) Receiver {
	t.Helper()
	r, err := Listen("unixgram", address, opts)
	if err != nil {
		t.Fatalf("Listen(unixgram, %s): %v", address, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// ugSender returns a unixgram socket connected to path, bound to from
// unless from is "" (an unbound sender: the receiver sees no address).
func ugSender(t *testing.T, path, from string) *net.UnixConn {
	t.Helper()
	var laddr *net.UnixAddr
	if from != "" {
		laddr = &net.UnixAddr{Name: from, Net: "unixgram"}
	}
	c, err := net.DialUnix("unixgram", laddr, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatalf("dial %s from %q: %v", path, from, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ugWrite(t *testing.T, c *net.UnixConn, p []byte) {
	t.Helper()
	if _, err := c.Write(p); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// ugStat is what a test checks to see a file left untouched.
type ugStat struct {
	ino  uint64
	mode os.FileMode
}

func ugLstat(t *testing.T, path string) ugStat {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatalf("lstat: %v", err)
	}
	return ugStat{ino: fi.Sys().(*syscall.Stat_t).Ino, mode: fi.Mode()}
}

func ugAbsent(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s: lstat = %v, want it gone", path, err)
	}
}

// TestUnixgramReceive: an unbound sender's datagrams, the empty one
// included, are delivered with no source, not taken for a shutdown (the
// contract suite, contract_test.go, covers a bound sender, truncation
// and the rest).
func TestUnixgramReceive(t *testing.T) {
	t.Parallel()
	for _, be := range ugBackends {
		t.Run(be.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.sock")
			r := ugListen(t, path, Options{Portable: be.portable})
			info := r.Info()
			want := NativeBackend
			if be.portable {
				want = "portable"
			}
			if info.Backend != want || info.Path != path {
				t.Errorf("Info = %+v, want Backend %q, Path %q", info, want, path)
			}
			if la, ok := r.LocalAddr().(*net.UnixAddr); !ok || la.Name != path {
				t.Errorf("LocalAddr = %#v, want a *net.UnixAddr named %s", r.LocalAddr(), path)
			}
			s := ugSender(t, path, "")
			b := ptBatch(t, 4, 2048)
			ptReadNone(t, r, b)
			for i, p := range [][]byte{[]byte("first"), {}, bytes.Repeat([]byte{0x5a}, 1400), []byte("last")} {
				ugWrite(t, s, p)
				ptWait(t, r, Readable)
				ptReadOne(t, r, b, p, netip.AddrPort{}, 0)
				ptReadNone(t, r, b)
				if t.Failed() {
					t.Fatalf("datagram %d", i)
				}
			}
		})
	}
}

func TestUnixgramSteadyStateAllocs(t *testing.T) {
	for _, be := range ugBackends {
		t.Run(be.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "r.sock")
			r := ugListen(t, path, Options{Portable: be.portable})
			// A raw, bound sender: its writes allocate nothing either.
			fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fd)
			if err := unix.Bind(fd, &unix.SockaddrUnix{Name: filepath.Join(dir, "sender.sock")}); err != nil {
				t.Fatal(err)
			}
			if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
				t.Fatal(err)
			}
			b := ptBatch(t, 4, 2048)
			ptReadNone(t, r, b)
			payload := []byte("steady")
			watchdog := time.AfterFunc(ptBound, func() { r.Wake() })
			defer watchdog.Stop()
			var bad error
			allocs := testing.AllocsPerRun(50, func() {
				_, werr := unix.Write(fd, payload)
				ev, err := r.Wait()
				n, rerr := r.Read(b)
				if bad == nil && (werr != nil || err != nil || rerr != nil || ev.Events != Readable || n != 1) {
					bad = fmt.Errorf("write %v; Wait = %v, %v; Read = %d, %v", werr, ev.Events, err, n, rerr)
				}
			})
			if bad != nil {
				t.Fatal(bad)
			}
			if allocs != 0 {
				t.Errorf("send+Wait+Read allocates %v times per datagram, want 0", allocs)
			}
		})
	}
}

// --- The safe start: stale, live, locked and foreign files at the path.

// ugHelperEnv selects a helper mode in a re-executed test binary.
const ugHelperEnv = "UDPRX_TEST_HELPER"

// TestHelperBindAndWait is not a test: it is the body of a child process
// (see ugStartChild) that binds a unixgram socket at UDPRX_TEST_PATH with
// plain package net, as another program would (no lock), prints "ready",
// and then prints "got <payload>" for each datagram until it is killed,
// or for a minute at most, so an orphan cannot linger.
func TestHelperBindAndWait(t *testing.T) {
	if os.Getenv(ugHelperEnv) != "bind" {
		t.Skip("helper process for the unixgram tests")
	}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: os.Getenv("UDPRX_TEST_PATH"), Net: "unixgram"})
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	c.SetReadDeadline(time.Now().Add(time.Minute))
	buf := make([]byte, 2048)
	for {
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			os.Exit(0)
		}
		fmt.Printf("got %s\n", buf[:n])
	}
}

// ugChild is a re-executed test binary running one helper.
type ugChild struct {
	cmd    *exec.Cmd
	lines  chan string // its standard output, line by line; closed at EOF
	stderr bytes.Buffer
	waited bool
}

// ugChildCmd returns the command that runs helper (a TestHelper...
// function) in a child with env added.
func ugChildCmd(helper string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^"+helper+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// ugStartChild starts cmd; the test's end kills it if it still runs.
func ugStartChild(t *testing.T, cmd *exec.Cmd) *ugChild {
	t.Helper()
	c := &ugChild{cmd: cmd, lines: make(chan string, 64)}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { c.kill(t) })
	return c
}

// expect returns the next line starting with prefix, skipping others
// (the test framework's own), failing the test if none comes within
// ptBound.
func (c *ugChild) expect(t *testing.T, prefix string) string {
	t.Helper()
	timer := time.NewTimer(ptBound)
	defer timer.Stop()
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				c.kill(t)
				t.Fatalf("child ended without printing %q; stderr: %s", prefix, c.stderr.String())
			}
			if strings.HasPrefix(line, "error") {
				t.Fatalf("child: %s", line)
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-timer.C:
			t.Fatalf("child printed no %q within %v", prefix, ptBound)
		}
	}
}

// kill ends the child with SIGKILL, as the OOM killer or an impatient
// operator would, and reaps it.
func (c *ugChild) kill(t *testing.T) {
	if c.waited {
		return
	}
	c.waited = true
	c.cmd.Process.Signal(syscall.SIGKILL)
	c.cmd.Wait()
}

func TestUnixgramStaleSocket(t *testing.T) {
	t.Parallel()
	for _, be := range ugBackends {
		t.Run(be.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.sock")
			child := ugStartChild(t, ugChildCmd("TestHelperBindAndWait", ugHelperEnv+"=bind", "UDPRX_TEST_PATH="+path))
			child.expect(t, "ready")
			child.kill(t)
			if st := ugLstat(t, path); st.mode.Type() != os.ModeSocket {
				t.Fatalf("the killed child left %v at the path, want its socket file", st.mode)
			}
			// A plain bind fails on the stale file (docs/kernel.md): Listen must not.
			r := ugListen(t, path, Options{Portable: be.portable})
			s := ugSender(t, path, "")
			b := ptBatch(t, 4, 2048)
			ptReadNone(t, r, b)
			ugWrite(t, s, []byte("after the stale one"))
			ptWait(t, r, Readable)
			ptReadOne(t, r, b, []byte("after the stale one"), netip.AddrPort{}, 0)
			if err := r.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			ugAbsent(t, path)
			ugAbsent(t, path+".lock")
		})
	}
}

func TestUnixgramLiveProcess(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "live.sock")
	child := ugStartChild(t, ugChildCmd("TestHelperBindAndWait", ugHelperEnv+"=bind", "UDPRX_TEST_PATH="+path))
	child.expect(t, "ready")
	before := ugLstat(t, path)
	for _, be := range ugBackends {
		r, err := Listen("unixgram", path, Options{Portable: be.portable})
		if err == nil {
			r.Close()
			t.Fatalf("%s: Listen on a path another process serves succeeded", be.name)
		}
		if !errors.Is(err, ErrAddrInUse) || !strings.Contains(err.Error(), "another process is serving") || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: Listen = %v, want an error matching ErrAddrInUse saying another process is serving %s", be.name, err, path)
		}
		t.Logf("%s: %v", be.name, err)
	}
	if after := ugLstat(t, path); after != before {
		t.Errorf("the live socket file changed: %+v, was %+v", after, before)
	}
	ugAbsent(t, path+".lock") // taken and given back by each refused Listen
	// The live instance was left alone: it still receives.
	ugWrite(t, ugSender(t, path, ""), []byte("still-served"))
	child.expect(t, "got still-served")
}

func TestUnixgramSecondListen(t *testing.T) {
	t.Parallel()
	for _, be := range ugBackends {
		t.Run(be.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.sock")
			first := ugListen(t, path, Options{Portable: be.portable})
			b := ptBatch(t, 4, 2048)
			ptReadNone(t, first, b)
			second, err := Listen("unixgram", path, Options{Portable: be.portable})
			if err == nil {
				second.Close()
				t.Fatal("a second Listen on the same path succeeded")
			}
			if !errors.Is(err, ErrAddrInUse) || !strings.Contains(err.Error(), "starting or serving") || !strings.Contains(err.Error(), path) {
				t.Errorf("second Listen = %v, want an error matching ErrAddrInUse saying another process is starting or serving on %s", err, path)
			}
			// The first is untouched and keeps receiving.
			ugWrite(t, ugSender(t, path, ""), []byte("to the first"))
			ptWait(t, first, Readable)
			ptReadOne(t, first, b, []byte("to the first"), netip.AddrPort{}, 0)
		})
	}
}

func TestUnixgramLock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()

	// While a Listen holds PATH.lock, nobody else can take it.
	path := filepath.Join(dir, "held.sock")
	r := ugListen(t, path, Options{})
	fd, err := unix.Open(path+".lock", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open the lock file: %v", err)
	}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != unix.EWOULDBLOCK {
		t.Errorf("flock on a held PATH.lock = %v, want EWOULDBLOCK", err)
	}
	unix.Close(fd)
	if fi, err := os.Lstat(path + ".lock"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("lock file: %v, mode %v; want mode 0600", err, fi.Mode())
	}
	r.Close()

	// A lock held by another starter: Listen fails and creates nothing.
	path = filepath.Join(dir, "starting.sock")
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	before := ugLstat(t, path+".lock")
	if r, err := Listen("unixgram", path, Options{}); err == nil {
		r.Close()
		t.Fatal("Listen succeeded while another holder had PATH.lock")
	} else if !errors.Is(err, ErrAddrInUse) || !strings.Contains(err.Error(), "another process is starting or serving") {
		t.Errorf("Listen = %v, want an error matching ErrAddrInUse saying another process is starting or serving", err)
	}
	ugAbsent(t, path)
	if after := ugLstat(t, path+".lock"); after != before {
		t.Errorf("the holder's lock file changed: %+v, was %+v", after, before)
	}

	// A symbolic link at PATH.lock is not followed.
	path = filepath.Join(dir, "linked.sock")
	target := filepath.Join(dir, "elsewhere")
	if err := os.Symlink(target, path+".lock"); err != nil {
		t.Fatal(err)
	}
	if r, err := Listen("unixgram", path, Options{}); err == nil {
		r.Close()
		t.Fatal("Listen succeeded with a symbolic link at PATH.lock")
	} else {
		t.Logf("symlink at PATH.lock: %v", err)
	}
	ugAbsent(t, target)
	ugAbsent(t, path)
}

func TestUnixgramNotSocket(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, kind string
		make       func(t *testing.T, dir, path string)
	}{
		{"regular file", "a regular file", func(t *testing.T, _, path string) {
			if err := os.WriteFile(path, []byte("precious"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"directory", "a directory", func(t *testing.T, _, path string) {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{"fifo", "a FIFO", func(t *testing.T, _, path string) {
			if err := unix.Mkfifo(path, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"symlink to file", "a symbolic link", func(t *testing.T, dir, path string) {
			target := filepath.Join(dir, "target")
			if err := os.WriteFile(target, []byte("precious"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}},
		{"symlink to live socket", "a symbolic link", func(t *testing.T, dir, path string) {
			target := filepath.Join(dir, "target.sock")
			c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: target, Net: "unixgram"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}},
		{"symlink to stale socket", "a symbolic link", func(t *testing.T, dir, path string) {
			target := filepath.Join(dir, "target.sock")
			c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: target, Net: "unixgram"})
			if err != nil {
				t.Fatal(err)
			}
			c.Close() // leaves the file
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}},
		{"dangling symlink", "a symbolic link", func(t *testing.T, dir, path string) {
			if err := os.Symlink(filepath.Join(dir, "nothing"), path); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		for _, be := range ugBackends {
			t.Run(tc.name+"/"+be.name, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "s.sock")
				tc.make(t, dir, path)
				before := ugLstat(t, path)
				link, _ := os.Readlink(path)
				var content []byte
				if tc.kind != "a FIFO" { // opening a FIFO to read would block
					content, _ = os.ReadFile(path) // through a link; nil for a directory
				}
				r, err := Listen("unixgram", path, Options{Portable: be.portable})
				if err == nil {
					r.Close()
					t.Fatalf("Listen over %s succeeded", tc.kind)
				}
				if !errors.Is(err, ErrNotSocket) || !strings.Contains(err.Error(), tc.kind) || !strings.Contains(err.Error(), path) {
					t.Errorf("Listen = %v, want an error matching ErrNotSocket naming %s and %q", err, path, tc.kind)
				}
				if after := ugLstat(t, path); after != before {
					t.Errorf("the file changed: %+v, was %+v", after, before)
				}
				if after, _ := os.Readlink(path); after != link {
					t.Errorf("the link now points at %q, was %q", after, link)
				}
				if tc.kind != "a FIFO" {
					if after, _ := os.ReadFile(path); !bytes.Equal(after, content) {
						t.Errorf("the content changed: %q, was %q", after, content)
					}
				}
				ugAbsent(t, path+".lock")
			})
		}
	}
}

func TestUnixgramClose(t *testing.T) {
	t.Parallel()
	for _, be := range ugBackends {
		t.Run(be.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.sock")
			r := ugListen(t, path, Options{Portable: be.portable})
			if st := ugLstat(t, path); st.mode.Type() != os.ModeSocket {
				t.Fatalf("%s is %v, want a socket", path, st.mode)
			}
			ugLstat(t, path+".lock")
			if err := r.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			ugAbsent(t, path)
			ugAbsent(t, path+".lock")
			// The path is free: a new Listen takes it at once.
			ugListen(t, path, Options{Portable: be.portable}).Close()
		})
	}
}

// TestUnixgramCloseKeepsReplaced: the socket file was unlinked behind the
// Receiver's back and the path bound by someone else; Close must leave
// that file, and its owner, alone.
func TestUnixgramCloseKeepsReplaced(t *testing.T) {
	t.Parallel()
	for _, be := range ugBackends {
		t.Run(be.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.sock")
			r := ugListen(t, path, Options{Portable: be.portable})
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			other, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			before := ugLstat(t, path)
			if err := r.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if after := ugLstat(t, path); after != before {
				t.Fatalf("Close touched the other socket's file: %+v, was %+v", after, before)
			}
			ugWrite(t, ugSender(t, path, ""), []byte("to the other"))
			other.SetReadDeadline(time.Now().Add(ptBound))
			buf := make([]byte, 64)
			n, _, err := other.ReadFrom(buf)
			if err != nil || string(buf[:n]) != "to the other" {
				t.Errorf("the other socket read %q, %v", buf[:n], err)
			}
		})
	}
}

func TestUnixgramMode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ mode, want os.FileMode }{
		{0, 0o660}, {0o600, 0o600}, {0o640, 0o640}, {0o666, 0o666}, {0o777, 0o777},
	} {
		for _, be := range ugBackends {
			path := filepath.Join(t.TempDir(), "s.sock")
			r := ugListen(t, path, Options{UnixMode: tc.mode, Portable: be.portable})
			if got := ugLstat(t, path).mode.Perm(); got != tc.want {
				t.Errorf("%s: UnixMode %#o: file mode %#o, want %#o", be.name, tc.mode, got, tc.want)
			}
			r.Close()
		}
	}
}

func TestUnixgramOptionErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name, address string
		opts          Options
	}{
		{"empty", "", Options{}},
		{"too long", filepath.Join(dir, strings.Repeat("x", 200)), Options{}},
		{"NUL", filepath.Join(dir, "a\x00b"), Options{}},
		{"ReusePort", filepath.Join(dir, "r.sock"), Options{ReusePort: true}},
		{"setuid mode", filepath.Join(dir, "m.sock"), Options{UnixMode: os.ModeSetuid | 0o600}},
		{"no directory", filepath.Join(dir, "missing", "s.sock"), Options{}},
	} {
		r, err := Listen("unixgram", tc.address, tc.opts)
		if err == nil {
			r.Close()
			t.Errorf("%s: Listen(unixgram, %q) succeeded", tc.name, tc.address)
			continue
		}
		t.Logf("%s: %v", tc.name, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		t.Errorf("a refused Listen left %s behind", e.Name())
	}
}

func TestParseUnixAddress(t *testing.T) {
	long := "/" + strings.Repeat("x", len(unix.RawSockaddrUnix{}.Path)-2) // the longest that fits
	for _, tc := range []struct {
		name, address string
		abstractOK    bool
		abstract, ok  bool
	}{
		{"path", "/run/app/app.sock", false, false, true},
		{"relative path", "app.sock", false, false, true},
		{"longest path", long, false, false, true},
		{"one byte too long", long + "x", false, false, false},
		{"empty", "", true, false, false},
		{"NUL", "/run/a\x00b", true, false, false},
		{"abstract on Linux", "@udprx", true, true, true},
		{"abstract elsewhere", "@udprx", false, false, false},
		{"empty abstract name", "@", true, false, false},
	} {
		abstract, err := parseUnixAddress(tc.address, tc.abstractOK)
		if (err == nil) != tc.ok || abstract != tc.abstract {
			t.Errorf("%s: parseUnixAddress(%q, %v) = %v, %v; want abstract %v, ok %v", tc.name, tc.address, tc.abstractOK, abstract, err, tc.abstract, tc.ok)
		}
		if tc.name == "abstract elsewhere" && (err == nil || !strings.Contains(err.Error(), "only on Linux")) {
			t.Errorf("%s: error %v, want it to say abstract names exist only on Linux", tc.name, err)
		}
	}
}
