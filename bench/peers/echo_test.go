package peers

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/udprx/udprx/bench/load"
)

// startEcho starts the named echo server on 127.0.0.1 port 0 and stops it
// at the end of the test; it skips where the system lacks the server.
func startEcho(t *testing.T, name string) Receiver {
	t.Helper()
	s, err := NewEchoServer(name, RecvConfig{Listen: "udp4://127.0.0.1:0", Loops: 1})
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skipf("%s: %v", name, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Errorf("stop %s: %v", name, err)
		}
		select {
		case <-done:
		case <-ctx.Done():
			t.Errorf("%s: Run did not return after Stop", name)
		}
	})
	return s
}

// TestEchoServersAnswer runs the rr client against every echo server, in
// closed loop and paced, and checks that every request was answered (the
// client's sockets are connected, so an answer from any other address
// than the one asked would never arrive) and that the server's counts
// agree with the client's.
func TestEchoServersAnswer(t *testing.T) {
	for _, name := range DefaultEchoServers() {
		t.Run(name, func(t *testing.T) {
			s := startEcho(t, name)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var sent uint64
			for _, cfg := range []load.RRConfig{
				{To: s.Addr().String(), Flows: 2, Duration: 200 * time.Millisecond, Timeout: 2 * time.Second},
				{To: s.Addr().String(), Flows: 3, Rate: 3000, Size: 100, Duration: 200 * time.Millisecond, Timeout: 2 * time.Second},
			} {
				st, err := load.RR(ctx, cfg)
				if err != nil {
					t.Fatal(err)
				}
				if st.Sent == 0 || st.Answered != st.Sent || st.Unanswered != 0 || st.Duplicates != 0 || st.Foreign != 0 {
					t.Errorf("%s: %+v: want every request answered once", st.Mode, st)
				}
				if st.P50 <= 0 || st.P50 > st.P99 || st.P99 > st.Max {
					t.Errorf("%s: RTT p50 %v p99 %v max %v: want 0 < p50 <= p99 <= max", st.Mode, st.P50, st.P99, st.Max)
				}
				sent += st.Sent
			}
			// The server counts before it answers, so its counts may lag
			// the client's last answer by a moment: poll.
			deadline := time.Now().Add(5 * time.Second)
			c := s.Counts()
			for (c.Datagrams != sent || c.Replies != sent) && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
				c = s.Counts()
			}
			if c.Datagrams != sent || c.Replies != sent || c.SendDrops != 0 {
				t.Errorf("server counted %d datagrams, %d replies, %d send drops; client sent %d", c.Datagrams, c.Replies, c.SendDrops, sent)
			}
		})
	}
}

// TestNewEchoServerUnknown names the servers it knows.
func TestNewEchoServerUnknown(t *testing.T) {
	_, err := NewEchoServer("nope", RecvConfig{Listen: "udp4://127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "udprx") {
		t.Errorf("got %v, want an error listing the servers", err)
	}
}

// TestSockperfEcho speaks sockperf's protocol to udprx-sockperf: a pong
// request comes back byte for byte but for the client flag, and a message
// that asks for no answer gets none.
func TestSockperfEcho(t *testing.T) {
	s := startEcho(t, "udprx-sockperf")
	c, err := net.Dial("udp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := func(seq byte, flags byte) []byte {
		p := make([]byte, 64)
		p[7] = seq                 // sequence number, big-endian
		p[sockperfFlagsLo] = flags // flags, low byte
		p[13] = 64                 // length, big-endian
		for i := sockperfHeaderSize; i < len(p); i++ {
			p[i] = byte(i)
		}
		return p
	}
	quiet := msg(1, sockperfFlagClient)
	pong := msg(2, sockperfFlagClient|sockperfFlagPong)
	for _, p := range [][]byte{quiet, pong} {
		if _, err := c.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 128)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Clone(pong)
	want[sockperfFlagsLo] = sockperfFlagPong
	if !bytes.Equal(buf[:n], want) {
		t.Errorf("answer %x, want %x (the pong request, client flag cleared)", buf[:n], want)
	}
	// The quiet message was sent first: had it been answered, its answer
	// would have come first. Nothing else may follow.
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := c.Read(buf); err == nil {
		t.Errorf("a second answer %x: the message without a pong request was answered", buf[:n])
	}
	if got := s.Counts(); got.Datagrams != 2 || got.Replies != 1 {
		t.Errorf("server counted %d datagrams, %d replies; want 2 and 1", got.Datagrams, got.Replies)
	}
}
