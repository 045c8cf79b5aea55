package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sendUnix sends n datagrams to a unix datagram socket at path (or
// "@name") from an unbound socket and waits until the collector has them.
func sendUnix(t *testing.T, c *collector, addr string, n int) {
	t.Helper()
	raddr := &net.UnixAddr{Name: addr, Net: "unixgram"}
	if addr[0] == '@' {
		raddr.Name = "\x00" + addr[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, raddr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	base := c.count()
	for i := range n {
		if _, err := fmt.Fprintf(conn, "unix %d", i); err != nil {
			t.Fatal(err)
		}
	}
	c.waitFor(t, testContext(t), base+n)
}

// TestHelperProcess is not a test: run as a child, it binds a unixgram
// socket at UDPRX_HELPER_PATH, says "ready" and waits to be killed.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv("UDPRX_HELPER_PATH")
	if path == "" {
		t.Skip("helper process for TestUnixgramStaleAfterKill")
	}
	if _, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"}); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	select {}
}

// TestUnixgramStaleAfterKill: a process bound to the path is SIGKILLed and
// leaves its socket file behind (the Dragonfly dfdaemon crash loop). A new
// engine on that path starts, removes the stale file, and receives.
func TestUnixgramStaleAfterKill(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no unix datagram sockets")
	}
	path := filepath.Join(t.TempDir(), "app.sock")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$")
	child.Env = append(os.Environ(), "UDPRX_HELPER_PATH="+path)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("helper said %q", line)
	}
	// While it lives, the path is refused.
	if _, err := New(Config{Addr: "unixgram://" + path, Handler: newCollector()}); !errors.Is(err, ErrAddrInUse) {
		t.Fatalf("New on a live instance's path: %v, want ErrAddrInUse", err)
	}
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("the killed process left no socket file: %v", err)
	}
	c := newCollector()
	e := startEngine(t, Config{Addr: "unixgram://" + path, Handler: c})
	sendUnix(t, c, path, 100)
	if got := e.Addr().String(); got != path {
		t.Errorf("Addr = %q, want %q", got, path)
	}
}

// TestUnixgramLiveInstance: a second engine on a served path fails with a
// clear error, and the first keeps receiving. After Shutdown the file and
// its lock are gone.
func TestUnixgramLiveInstance(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no unix datagram sockets")
	}
	path := filepath.Join(t.TempDir(), "app.sock")
	c := newCollector()
	e, err := New(Config{Addr: "unixgram://" + path, Handler: c, UnixMode: 0600})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- e.Run(context.Background()) }()
	_, err = New(Config{Addr: "unixgram://" + path, Handler: newCollector()})
	if !errors.Is(err, ErrAddrInUse) {
		t.Fatalf("second New: %v, want ErrAddrInUse", err)
	}
	t.Logf("second start refused: %v", err)
	sendUnix(t, c, path, 50)
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0600 {
		t.Errorf("socket file mode %v (err %v), want 0600", st.Mode().Perm(), err)
	}
	if err := e.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-ran
	for _, p := range []string{path, path + ".lock"} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s still there after Shutdown (%v)", p, err)
		}
	}
}

// TestUnixgramNotSocket: a regular file, a directory or a symlink at the
// path is refused and left exactly as it was.
func TestUnixgramNotSocket(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no unix datagram sockets")
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		make func(path string) error
	}{
		{"regular file", func(p string) error { return os.WriteFile(p, []byte("precious"), 0644) }},
		{"directory", func(p string) error { return os.Mkdir(p, 0755) }},
		{"symlink", func(p string) error { return os.Symlink(filepath.Join(dir, "elsewhere"), p) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".sock")
			if err := tc.make(path); err != nil {
				t.Fatal(err)
			}
			before, _ := os.Lstat(path)
			_, err := New(Config{Addr: "unixgram://" + path, Handler: newCollector()})
			if !errors.Is(err, ErrNotSocket) {
				t.Fatalf("New: %v, want ErrNotSocket", err)
			}
			after, err := os.Lstat(path)
			if err != nil || !os.SameFile(before, after) || before.Mode() != after.Mode() || before.Size() != after.Size() {
				t.Errorf("the %s at the path was changed", tc.name)
			}
		})
	}
}

func TestUnixgramAbstract(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("abstract unix socket names are Linux only")
	}
	name := fmt.Sprintf("@udprx-test-%d", rand.Uint64())
	c := newCollector()
	startEngine(t, Config{Addr: "unixgram://" + name, Handler: c})
	sendUnix(t, c, name, 20)
	if _, err := New(Config{Addr: "unixgram://" + name, Handler: newCollector()}); err == nil {
		t.Error("a second engine bound the same abstract name")
	}
}

// TestAdoptedSockets: the engine reads sockets it was given, and leaves
// them open at Shutdown unless told to close them.
func TestAdoptedSockets(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" && runtime.GOOS != "freebsd" {
		t.Skip("adopting sockets needs a native backend")
	}
	for _, closeThem := range []bool{false, true} {
		t.Run(fmt.Sprintf("CloseSockets=%v", closeThem), func(t *testing.T) {
			conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			c := newCollector()
			e, err := New(Config{Sockets: []syscall.Conn{conn}, CloseSockets: closeThem, Handler: c})
			if err != nil {
				t.Fatal(err)
			}
			ran := make(chan error, 1)
			go func() { ran <- e.Run(context.Background()) }()
			if e.Addr().String() != conn.LocalAddr().String() {
				t.Errorf("Addr %v, want the adopted socket's %v", e.Addr(), conn.LocalAddr())
			}
			sendAndCount(t, e, c, 100)
			if err := e.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			<-ran
			_, err = conn.WriteTo([]byte("still mine"), conn.LocalAddr())
			if closeThem != errors.Is(err, net.ErrClosed) {
				t.Errorf("after Shutdown with CloseSockets=%v, writing to the socket: %v", closeThem, err)
			}
		})
	}
}

func TestConfigSocketsErrors(t *testing.T) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	h := HandlerFunc(func(*Writer, Batch) {})
	for _, cfg := range []Config{
		{Addr: "udp://:0", Sockets: []syscall.Conn{conn}, Handler: h},
		{Sockets: []syscall.Conn{conn}, Loops: 2, Handler: h},
		{Sockets: []syscall.Conn{nil}, Handler: h},
		{Addr: "unixgram:///tmp/x.sock", Loops: 2, Handler: h},
		{Addr: "unixgram://", Handler: h},
	} {
		if e, err := New(cfg); err == nil {
			e.Shutdown(context.Background())
			t.Errorf("New(%+v) succeeded, want an error", cfg)
		} else {
			t.Logf("%v", err)
		}
	}
}

// TestUnixgramPathRemoved: the socket file is removed from outside while
// the engine runs; senders get ENOENT. Within a bounded time the engine
// notices, says so once, re-creates the socket at the path, and datagrams
// arrive again. (Before, it ran on deaf for ever.) Then the same for a
// path replaced by a stale socket file another process left.
func TestUnixgramPathRemoved(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no unix datagram sockets")
	}
	ctx := testContext(t)
	path := filepath.Join(t.TempDir(), "app.sock")
	c := newCollector()
	logs := &lockedBuffer{}
	exits := make(chan LoopExit, 10)
	e := startEngine(t, Config{Addr: "unixgram://" + path, Handler: c,
		Logger:     slog.New(slog.NewTextHandler(logs, nil)),
		OnLoopExit: func(x LoopExit) { exits <- x }})
	sendUnix(t, c, path, 3)

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	raddr := &net.UnixAddr{Name: path, Net: "unixgram"}
	if _, err := net.DialUnix("unixgram", nil, raddr); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("dial after the remove: %v, want ENOENT", err)
	}
	// Poll for the path to serve again: a dial succeeds only once a socket
	// is bound there.
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialUnix("unixgram", nil, raddr)
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("the path was not re-created within 10s: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // polling the path, not ordering events
	}
	sendUnix(t, c, path, 3)
	select {
	case x := <-exits:
		if !x.Restart || !errors.Is(x.Err, ErrPathLost) {
			t.Errorf("loop exit %+v, want a restart for ErrPathLost", x)
		}
	default:
		t.Error("the loop did not end and restart")
	}
	if all := strings.Join(logs.lines(), "\n"); strings.Count(all, "errno=path-lost") != 1 {
		t.Errorf("want one log line about the lost path:\n%s", all)
	}
	if st := e.Stats(); st.Restarts != 1 {
		t.Errorf("Stats.Restarts = %d, want 1", st.Restarts)
	}

	// Replaced: a stale socket file (bound, then closed: package net
	// leaves the file) renamed over the path, in one step.
	otherPath := path + ".other"
	other, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: otherPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	if err := os.Rename(otherPath, path); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for e.Stats().Restarts < 2 {
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("the replaced path was not noticed within 10s")
		}
		time.Sleep(20 * time.Millisecond) // polling a counter
	}
	sendUnix(t, c, path, 3)
}
