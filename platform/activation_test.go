//go:build linux || darwin || freebsd

package platform

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseListenEnv(t *testing.T) {
	const self = 4242
	for _, tc := range []struct {
		name, pid, fds string
		n              int
		ok             bool
	}{
		{"nothing passed", "", "", 0, true},
		{"for us", "4242", "2", 2, true},
		{"for another process", "4243", "2", 0, true},
		{"no count", "4242", "", 0, true},
		{"zero", "4242", "0", 0, true},
		{"bad pid", "x", "1", 0, false},
		{"negative pid", "-1", "1", 0, false},
		{"bad count", "4242", "two", 0, false},
		{"negative count", "4242", "-1", 0, false},
		{"absurd count", "4242", "100000000", 0, false},
	} {
		n, err := parseListenEnv(tc.pid, tc.fds, self)
		if n != tc.n || (err == nil) != tc.ok {
			t.Errorf("%s: parseListenEnv(%q, %q) = %d, %v; want %d, ok %v", tc.name, tc.pid, tc.fds, n, err, tc.n, tc.ok)
		}
	}
	for _, tc := range []struct {
		name, names string
		set         bool
		n           int
		want        string // joined with ","; "!" for an error
	}{
		{"unset", "", false, 2, "unknown,unknown"},
		{"named", "dns:metrics", true, 2, "dns,metrics"},
		{"empty names", ":", true, 2, ","},
		{"too few", "dns", true, 2, "!"},
		{"too many", "a:b:c", true, 2, "!"},
	} {
		got, err := parseListenNames(tc.names, tc.set, tc.n)
		s := strings.Join(got, ",")
		if err != nil {
			s = "!"
		}
		if s != tc.want {
			t.Errorf("%s: parseListenNames(%q, %v, %d) = %q, %v; want %q", tc.name, tc.names, tc.set, tc.n, got, err, tc.want)
		}
	}
}

// TestListenFDsNotForUs: variables meant for another process (or none)
// give nothing, and are removed all the same, as sd_listen_fds(unset=1)
// does.
func TestListenFDsNotForUs(t *testing.T) {
	for _, pid := range []string{strconv.Itoa(os.Getpid() + 1), "not-a-pid"} {
		t.Setenv("LISTEN_PID", pid)
		t.Setenv("LISTEN_FDS", "1")
		t.Setenv("LISTEN_FDNAMES", "x")
		files, err := ListenFDs()
		if files != nil || (err != nil) != (pid == "not-a-pid") {
			t.Errorf("LISTEN_PID=%s: ListenFDs = %v, %v", pid, files, err)
		}
		for _, v := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
			if _, ok := os.LookupEnv(v); ok {
				t.Errorf("LISTEN_PID=%s: %s still set", pid, v)
			}
		}
	}
}

// TestHelperListenFDs is not a test: it is the body of a child process
// started with a socket at descriptor 3 (exec.Cmd.ExtraFiles), as a
// service manager starts a socket-activated service. With
// UDPRX_TEST_LISTEN_PID=self it sets LISTEN_PID to its own pid first, as
// the manager does between fork and exec. It prints what ListenFDs found,
// then adopts the first socket and prints the datagram it receives.
func TestHelperListenFDs(t *testing.T) {
	if os.Getenv(ugHelperEnv) != "listenfds" {
		t.Skip("helper process for the socket activation tests")
	}
	if os.Getenv("UDPRX_TEST_LISTEN_PID") == "self" {
		os.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()))
	}
	files, err := ListenFDs()
	if err != nil {
		fmt.Printf("error %v\n", err)
		return
	}
	fmt.Printf("files %d\n", len(files))
	flags, err := unix.FcntlInt(listenFDsStart, unix.F_GETFD, 0)
	fmt.Printf("cloexec %v %v\n", flags&unix.FD_CLOEXEC != 0, err)
	_, a := os.LookupEnv("LISTEN_PID")
	_, b := os.LookupEnv("LISTEN_FDS")
	_, c := os.LookupEnv("LISTEN_FDNAMES")
	fmt.Printf("unset %v\n", !a && !b && !c)
	if len(files) == 0 {
		return
	}
	fmt.Printf("name %s\n", files[0].Name())
	r, err := Adopt(files[0].Fd(), Options{})
	files[0].Close() // Adopt has its own duplicate
	if err != nil {
		fmt.Printf("error %v\n", err)
		return
	}
	defer r.Close()
	fmt.Printf("adopted %s\n", r.LocalAddr())
	bt := ptBatch(t, 4, 2048)
	ptWait(t, r, Readable)
	if n, err := r.Read(bt); n != 1 || err != nil {
		fmt.Printf("error Read = %d, %v\n", n, err)
		return
	}
	fmt.Printf("got %s\n", bt.Datagrams()[0].Payload)
}

func TestListenFDs(t *testing.T) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	addr := conn.LocalAddr().String()
	f, err := conn.File() // a duplicate: the child's descriptor 3
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	t.Run("for us", func(t *testing.T) {
		cmd := ugChildCmd("TestHelperListenFDs", ugHelperEnv+"=listenfds", "UDPRX_TEST_LISTEN_PID=self",
			"LISTEN_FDS=1", "LISTEN_FDNAMES=metrics")
		cmd.ExtraFiles = []*os.File{f}
		child := ugStartChild(t, cmd)
		for _, want := range []string{"files 1", "cloexec true <nil>", "unset true", "name metrics", "adopted " + addr} {
			if got := child.expect(t, strings.Fields(want)[0]); got != want {
				t.Errorf("child: %q, want %q", got, want)
			}
		}
		c, err := net.Dial("udp4", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte("activated")); err != nil {
			t.Fatal(err)
		}
		child.expect(t, "got activated")
	})
	t.Run("for another process", func(t *testing.T) {
		cmd := ugChildCmd("TestHelperListenFDs", ugHelperEnv+"=listenfds",
			"LISTEN_PID="+strconv.Itoa(os.Getpid()), "LISTEN_FDS=1")
		cmd.ExtraFiles = []*os.File{f}
		child := ugStartChild(t, cmd)
		for _, want := range []string{"files 0", "cloexec false <nil>", "unset true"} {
			if got := child.expect(t, strings.Fields(want)[0]); got != want {
				t.Errorf("child: %q, want %q", got, want)
			}
		}
	})
}
