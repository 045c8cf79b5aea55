package engine

import (
	"context"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// netnsChildEnv marks the test binary re-executed inside its own network
// namespace.
const netnsChildEnv = "UDPRX_TEST_NETNS_CHILD"

// TestReplyEAGAINTinySendBuffer: replies on a socket whose send buffer is
// tiny, through a slow link, hit EAGAIN. The loop waits for room at most
// Config.SendTimeout per batch and drops the rest; every reply is either
// received by the client or counted as dropped ("full"), none is lost
// uncounted.
//
// It runs in a network namespace of its own (the test binary re-executed
// under unshare -n), where lo gets a tbf qdisc of 8 Mbit/s: a datagram
// waiting in the qdisc stays charged to the sending socket's send buffer
// (it is uncharged by skb_orphan in loopback_xmit, after the qdisc), so
// the buffer fills. The qdisc's byte limit is far above what the socket
// can hold, so the qdisc itself never drops (a drop there would be an
// ENOBUFS that UDP hides without IP_RECVERR: udp_send_skb).
func TestReplyEAGAINTinySendBuffer(t *testing.T) {
	if os.Getenv(netnsChildEnv) == "" {
		// With GSO a batch's replies are one segmented send that fits or
		// not; without, each datagram meets the full buffer on its own.
		for _, gso := range []string{"1", "0"} {
			t.Run("UDPRX_GSO="+gso, func(t *testing.T) {
				runInNetns(t, "TestReplyEAGAINTinySendBuffer", "UDPRX_GSO="+gso)
			})
		}
		return
	}
	for _, args := range [][]string{
		{"ip", "link", "set", "lo", "up"},
		{"tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate", "8mbit", "burst", "16kb", "limit", "8mb"},
	} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Skipf("%s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The smallest send buffer the kernel grants (SOCK_MIN_SNDBUF, about
	// 4.5 KiB, doubled): two or three 1000-byte replies in flight.
	if err := conn.SetWriteBuffer(1); err != nil {
		t.Fatal(err)
	}
	// Requests pile up while the loop waits for room: keep them all.
	if err := conn.SetReadBuffer(4 << 20); err != nil {
		t.Fatal(err)
	}
	const n, size = 300, 1000
	reply := HandlerFunc(func(w *Writer, b Batch) {
		for _, d := range b.All() {
			p := append(w.Buffer(), d.Payload...)
			if err := w.Reply(d, p[:size]); err != nil {
				panic(err)
			}
		}
	})
	e := startEngine(t, Config{Sockets: []syscall.Conn{conn}, Handler: reply, BatchSize: 64})
	c := dialT(t, "udp4", nil, conn.LocalAddr().(*net.UDPAddr))
	for i := range n {
		if _, err := c.Write([]byte(request(i))); err != nil {
			t.Fatal(err)
		}
	}
	received := 0
	buf := make([]byte, 2*size)
	deadline := time.Now().Add(4 * time.Second)
	var st Stats
	for {
		st = e.Stats()
		if st.Sent+st.SendDrops == n && uint64(received) == st.Sent {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("within 4s: %d requests read (%d dropped by the kernel), %d replies received, %d sent, %d dropped; "+
				"want received == sent and sent + dropped == %d", st.Datagrams, st.KernelDrops, received, st.Sent, st.SendDrops, n)
		}
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if k, err := c.Read(buf); err == nil {
			if k != size {
				t.Fatalf("a reply of %d bytes, want %d", k, size)
			}
			received++
		}
	}
	full := dropsBy(e.loops[0], labelFull)
	t.Logf("%d requests: %d replies received, %d dropped as full, %d send calls, GSO %v", n, received, full, st.SendCalls, st.Loops[0].Socket.GSO)
	if st.SendDrops == 0 {
		t.Error("no reply was dropped: the send buffer never stayed full past SendTimeout, the test tested nothing")
	}
	if full != st.SendDrops {
		t.Errorf("%d drops counted as full, SendDrops %d: want all of them full", full, st.SendDrops)
	}
	if st.Datagrams != n {
		t.Errorf("%d requests read, want %d", st.Datagrams, n)
	}
	// Nothing more arrives: none was counted as dropped and sent too.
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := c.Read(buf); err == nil {
		t.Error("a reply arrived after every reply was accounted for")
	}
}

// runInNetns re-executes the test binary to run test alone in a new
// network namespace, with env added, and reports its result as this
// test's.
func runInNetns(t *testing.T, test string, env ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for a network namespace")
	}
	for _, tool := range []string{"unshare", "ip", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s: %v", tool, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", "-n", os.Args[0], "-test.run", "^"+test+"$", "-test.v", "-test.count=1")
	cmd.Env = append(append(os.Environ(), netnsChildEnv+"=1"), env...)
	out, err := cmd.CombinedOutput()
	if m := regexp.MustCompile(`(?m)^\s+\S+\.go:\d+: (.*)\n--- SKIP`).FindSubmatch(out); m != nil {
		t.Skipf("in the namespace: %s", m[1])
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: "+test) {
		t.Fatalf("in a new network namespace: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "requests:") {
			t.Log(strings.TrimSpace(line))
		}
	}
}
