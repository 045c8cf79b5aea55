package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// waitLimit bounds every wait in these tests; waits end as soon as what
// they wait for arrives.
const waitLimit = 30 * time.Second

// TestRunFlags: bad flags exit 2, a zone that cannot be served 1.
func TestRunFlags(t *testing.T) {
	dir := t.TempDir()
	noSOA := filepath.Join(dir, "nosoa.zone")
	os.WriteFile(noSOA, []byte("$ORIGIN example.com.\nwww 60 IN A 192.0.2.1\n"), 0o644)
	wild := filepath.Join(dir, "wild.zone")
	os.WriteFile(wild, []byte(testZone+"* IN A 192.0.2.2\n"), 0o644)
	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{}, 2, "-zone: a zone file is required"},
		{[]string{"-zone", "x", "-edns-size", "100"}, 2, "-edns-size 100: want 512 to 4096"},
		{[]string{"-zone", "x", "-impl", "bind"}, 2, `-impl "bind": want udprx, stdlib, miekg or miekg-pconn`},
		{[]string{"-zone", "x", "extra"}, 2, "unexpected arguments"},
		{[]string{"-zone", filepath.Join(dir, "missing")}, 1, "-zone: open"},
		{[]string{"-zone", noSOA}, 1, "no SOA record"},
		{[]string{"-zone", wild}, 1, "wildcards are not served"},
	} {
		var stderr bytes.Buffer
		if code := run(tt.args, &stderr, nil); code != tt.code || !strings.Contains(stderr.String(), tt.msg) {
			t.Errorf("run(%q) = %d, stderr %q; want %d and %q", tt.args, code, stderr.String(), tt.code, tt.msg)
		}
	}
}

// running is the program run in this process (so -race sees it).
type running struct {
	port   string
	stderr *bufio.Scanner
	sigs   chan os.Signal
	code   chan int
}

// start runs the program on listen with the test zone and waits for
// its first line, which names the port.
func start(t *testing.T, listen string, extra ...string) *running {
	t.Helper()
	zone := filepath.Join(t.TempDir(), "test.zone")
	if err := os.WriteFile(zone, []byte(testZone), 0o644); err != nil {
		t.Fatal(err)
	}
	r, w := io.Pipe()
	p := &running{stderr: bufio.NewScanner(r), sigs: make(chan os.Signal, 2), code: make(chan int, 1)}
	go func() {
		defer w.Close()
		p.code <- run(append([]string{"-listen", listen, "-zone", zone}, extra...), w, p.sigs)
	}()
	line := make(chan string, 1)
	go func() {
		if p.stderr.Scan() {
			line <- p.stderr.Text()
		}
		close(line)
	}()
	select {
	case l, ok := <-line:
		i := strings.LastIndex(l, ":")
		j := strings.LastIndex(l, " (")
		if !ok || !strings.HasPrefix(l, "dns: serving example.com. on udp://") || i < 0 || j < i {
			t.Fatalf("first line %q, want dns: serving example.com. on udp://ADDR (udprx)", l)
		}
		p.port = l[i+1 : j]
	case <-time.After(waitLimit):
		t.Fatalf("no first line within %v", waitLimit)
	}
	t.Cleanup(func() {
		select {
		case p.sigs <- syscall.SIGTERM:
		default:
		}
	})
	return p
}

// stop sends SIGTERM and returns the summary line and the exit status.
func (p *running) stop(t *testing.T) (summary string, code int) {
	t.Helper()
	p.sigs <- syscall.SIGTERM
	lines := make(chan string, 16)
	go func() {
		for p.stderr.Scan() {
			lines <- p.stderr.Text()
		}
		close(lines)
	}()
	deadline := time.After(waitLimit)
	for {
		select {
		case l, ok := <-lines:
			if strings.HasPrefix(l, "dns: answers:") {
				summary = l
			}
			if !ok {
				select {
				case code = <-p.code:
					return summary, code
				case <-deadline:
					t.Fatalf("run did not return within %v of SIGTERM", waitLimit)
				}
			}
		case <-deadline:
			t.Fatalf("stderr not closed within %v of SIGTERM", waitLimit)
		}
	}
}

// ask sends q over conn and returns the answer, or fails.
func ask(t *testing.T, conn net.Conn, q *dns.Msg) *dns.Msg {
	t.Helper()
	b, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(waitLimit))
	if _, err := conn.Write(b); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no answer to %v: %v", q.Question, err)
	}
	m := new(dns.Msg)
	if err := m.Unpack(buf[:n]); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestWildcardAnswersFromQueriedAddress binds 0.0.0.0 and queries
// 127.0.0.2 from a connected socket, which accepts only datagrams from
// 127.0.0.2: the answer must leave from the address the query went to,
// already for the first query.
func TestWildcardAnswersFromQueriedAddress(t *testing.T) {
	p := start(t, "udp4://0.0.0.0:0", "-loops", "1")
	threeAnswersThenStop(t, p, "127.0.0.2")
}

// threeAnswersThenStop asks p for www.example.com's A records three
// times from a socket connected to host (so that it accepts answers only
// from there), checks each answer, then stops p and checks its summary.
func threeAnswersThenStop(t *testing.T, p *running, host string) {
	t.Helper()
	conn, err := net.Dial("udp", net.JoinHostPort(host, p.port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := range 3 {
		q := new(dns.Msg)
		q.SetQuestion("www.example.com.", dns.TypeA)
		if m := ask(t, conn, q); m.Id != q.Id || m.Rcode != dns.RcodeSuccess || len(m.Answer) != 2 {
			t.Fatalf("query %d: %v", i, m)
		}
	}
	summary, code := p.stop(t)
	if want := "dns: answers: NOERROR=3 FORMERR=0 NXDOMAIN=0 NOTIMP=0 REFUSED=0 truncated=0 unanswered=0"; summary != want || code != 0 {
		t.Errorf("summary %q, exit %d; want %q, 0", summary, code, want)
	}
}

// TestStopAnswersQueued sends queries without reading, then stops: every
// query sent before the signal is answered.
func TestStopAnswersQueued(t *testing.T) {
	p := start(t, "udp://127.0.0.1:0", "-loops", "1")
	conn, err := net.Dial("udp", net.JoinHostPort("127.0.0.1", p.port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const n = 200
	q := new(dns.Msg)
	q.SetQuestion("nope.example.com.", dns.TypeA)
	for i := range n {
		q.Id = uint16(i)
		b, _ := q.Pack()
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	summary, code := p.stop(t)
	if want := "dns: answers: NOERROR=0 FORMERR=0 NXDOMAIN=200 NOTIMP=0 REFUSED=0 truncated=0 unanswered=0"; summary != want || code != 0 {
		t.Errorf("summary %q, exit %d; want %q, 0", summary, code, want)
	}
	seen := map[uint16]bool{}
	buf := make([]byte, 4096)
	conn.SetReadDeadline(time.Now().Add(waitLimit))
	for len(seen) < n {
		k, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("%d of %d answers read: %v", len(seen), n, err)
		}
		m := new(dns.Msg)
		if err := m.Unpack(buf[:k]); err != nil || m.Rcode != dns.RcodeNameError {
			t.Fatalf("answer %v, %v", m, err)
		}
		seen[m.Id] = true
	}
}

// digTool returns the path of dig, or skips.
func digTool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("dig")
	if err != nil {
		t.Skip("dig not installed (Debian: apt-get install dnsutils): the real-client test needs it")
	}
	return path
}

// dig runs dig with args against 127.0.0.x:port and returns its output.
func dig(t *testing.T, path string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, append([]string{"+tries=1", "+time=5", "+norec"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("dig %q: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestDig asks dig, a client nobody here wrote: answers of each type,
// the source address on a wildcard bind (dig ignores an answer from
// another address), truncation without EDNS0 (+ignore keeps the TC
// answer) and dig's retry over TCP after it.
func TestDig(t *testing.T) {
	path := digTool(t)
	p := start(t, "udp4://0.0.0.0:0", "-loops", "1")
	at := func(ip string) []string { return []string{"@" + ip, "-p", p.port} }
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{append(at("127.0.0.2"), "www.example.com", "A"), []string{"status: NOERROR", "flags: qr aa;", "www.example.com.\t3600\tIN\tA\t192.0.2.10"}},
		{append(at("127.0.0.1"), "ALIAS.example.com", "AAAA"), []string{"ALIAS.example.com.\t3600\tIN\tCNAME\twww.example.com.", "IN\tAAAA\t2001:db8::10"}},
		{append(at("127.0.0.1"), "example.com", "MX"), []string{"example.com.\t\t3600\tIN\tMX\t10 mail.example.com."}},
		{append(at("127.0.0.1"), "example.com", "SOA"), []string{"IN\tSOA\tns1.example.com. hostmaster.example.com. 2026120301"}},
		{append(at("127.0.0.1"), "txt.example.com", "TXT"), []string{"IN\tTXT\t\"two\" \"strings\""}},
		{append(at("127.0.0.1"), "nope.example.com", "A"), []string{"status: NXDOMAIN", "AUTHORITY: 1", "example.com.\t\t300\tIN\tSOA"}},
		{append(at("127.0.0.1"), "b.c.example.com", "A"), []string{"status: NOERROR", "ANSWER: 0, AUTHORITY: 1"}},
		{append(at("127.0.0.1"), "example.org", "A"), []string{"status: REFUSED"}},
		{append(at("127.0.0.1"), "+bufsize=1232", "big.example.com", "TXT"), []string{"ANSWER: 8,", "udp: 1232"}},
		{append(at("127.0.0.1"), "+noedns", "+ignore", "big.example.com", "TXT"), []string{"flags: qr aa tc;", "ANSWER: 0,"}},
		{append(at("127.0.0.1"), "+noedns", "big.example.com", "TXT"), []string{"Truncated, retrying in TCP mode", "ANSWER: 8,"}},
		{append(at("127.0.0.2"), "+tcp", "huge.example.com", "TXT"), []string{"ANSWER: 20,"}},
	} {
		out := dig(t, path, tt.args...)
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("dig %q: no %q in\n%s", tt.args, w, out)
			}
		}
	}
	if _, code := p.stop(t); code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
}

// TestMiekgOnPconn serves with -impl miekg-pconn (dns.Server on a
// pconn.Conn, the row scripts/bench-dns.sh measures) and checks answers
// and the summary, as for the engine's own handler.
func TestMiekgOnPconn(t *testing.T) {
	p := start(t, "udp4://127.0.0.1:0", "-impl", "miekg-pconn", "-loops", "1", "-tcp=false")
	threeAnswersThenStop(t, p, "127.0.0.1")
}
