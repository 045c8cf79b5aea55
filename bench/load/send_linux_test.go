package load

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestSendGSO checks that GSO super-packets reach a receiver without UDP_GRO
// as individual datagrams, each with its own valid header.
func TestSendGSO(t *testing.T) {
	if err := gsoSupport(); err != nil {
		t.Skipf("kernel without UDP GSO: %v", err)
	}
	for _, tc := range []struct {
		name         string
		size, batch  int
		count        int64
		flows        int
		maxCallsEach uint64 // most sendmmsg calls the run may take
	}{
		// 10 calls of one 64-segment super-packet each.
		{"full super-packets", 100, 64, 640, 1, 10},
		// 2000-byte segments: 32 fit in 65507 bytes, 2 super-packets a call.
		{"size-limited", 2000, 64, 200, 1, 4},
		// A count that is no multiple of anything, over 2 flows.
		{"ragged", 64, 256, 1001, 2, 3},
		// Batch below 64: smaller super-packets.
		{"small batch", 80, 10, 95, 1, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestReceiver(t, int(tc.count), tc.size, true)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cfg := SendConfig{To: r.addr(), Size: tc.size, Count: tc.count, Flows: tc.flows, GSO: true, Batch: tc.batch}
			st, err := Send(ctx, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if st.Datagrams != uint64(tc.count) || !st.GSO || st.Errors != 0 {
				t.Fatalf("stats = %+v, want %d datagrams with GSO", st, tc.count)
			}
			if st.Calls > tc.maxCallsEach*uint64(tc.flows) {
				t.Errorf("%d sendmmsg calls, want at most %d", st.Calls, tc.maxCallsEach*uint64(tc.flows))
			}
			r.waitFor(t, 10*time.Second)
			if got := r.stopAfter(200 * time.Millisecond); got != int(tc.count) {
				t.Fatalf("received %d datagrams, want exactly %d", got, tc.count)
			}
			r.checkFlows(t, tc.count, tc.flows)
		})
	}
}

// groCounter is a loopback receiver with UDP_GRO on: the kernel hands it
// GSO super-packets whole, with their segment size in a control message,
// so it counts datagrams at a small fraction of the cost of reading each.
type groCounter struct {
	conn  *net.UDPConn
	total atomic.Int64
	done  chan struct{}
}

func newGROCounter(t *testing.T) *groCounter {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetReadBuffer(8 << 20); err != nil {
		t.Fatal(err)
	}
	rc, err := conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_UDP, unix.UDP_GRO, 1)
	}); err != nil || serr != nil {
		t.Skipf("UDP_GRO: %v %v", err, serr)
	}
	g := &groCounter{conn: conn, done: make(chan struct{})}
	go g.read()
	t.Cleanup(func() { conn.Close(); <-g.done })
	return g
}

func (g *groCounter) read() {
	defer close(g.done)
	buf := make([]byte, 1<<16)
	oob := make([]byte, unix.CmsgSpace(4))
	for {
		n, oobn, _, _, err := g.conn.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			return
		}
		segs := int64(1)
		// struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; }
		// followed by an int, the segment size (udp_cmsg_recv in
		// net/ipv4/udp.c).
		msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
		for _, m := range msgs {
			if m.Header.Level == unix.SOL_UDP && m.Header.Type == unix.UDP_GRO && len(m.Data) >= 4 {
				if size := int(*(*int32)(unsafe.Pointer(&m.Data[0]))); size > 0 {
					segs = int64((n + size - 1) / size)
				}
			}
		}
		g.total.Add(segs)
	}
}

// stopAfter lets the reader run for grace more, stops it and returns the
// number of datagrams (segments) counted.
func (g *groCounter) stopAfter(grace time.Duration) int {
	g.conn.SetReadDeadline(time.Now().Add(grace))
	<-g.done
	return int(g.total.Load())
}

// sink is a bound UDP socket that never reads: once its buffer is full the
// kernel drops what arrives, and a sender never waits.
func sink(t testing.TB) *net.UDPAddr {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.LocalAddr().(*net.UDPAddr)
}

// TestWriteAllocs checks that sending one batch allocates nothing, for every
// backend, with and without GSO.
func TestWriteAllocs(t *testing.T) {
	to := sink(t)
	for _, tc := range []struct {
		name string
		dial dialFunc
		gso  bool
	}{
		{"native", dialNative, false},
		{"native GSO", dialNative, true},
		{"portable", dialPortable, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := SendConfig{To: to.String(), GSO: tc.gso}.withDefaults()
			w, err := tc.dial(to, cfg, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer w.close()
			var seq uint64
			allocs := testing.AllocsPerRun(100, func() {
				n, _, err := w.write(seq, cfg.Batch)
				if err != nil {
					t.Fatal(err)
				}
				seq += uint64(n)
			})
			if allocs != 0 {
				t.Fatalf("%v allocations per batch, want 0", allocs)
			}
		})
	}
}

// TestFlowLoopAllocs checks that a flow's whole send loop, paced or not,
// allocates a constant amount (its timer), not per datagram or call.
func TestFlowLoopAllocs(t *testing.T) {
	to := sink(t)
	for _, tc := range []struct {
		name  string
		rate  float64
		count uint64
	}{
		{"unpaced", 0, 50_000},
		{"paced", 200_000, 20_000}, // 100 ms, ~100 sleeps
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := SendConfig{To: to.String(), Rate: tc.rate}.withDefaults()
			w, err := dialNative(to, cfg, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer w.close()
			run := &sendRun{cfg: cfg, flows: make([]flowCounters, 1)}
			ctx := context.Background()
			allocs := testing.AllocsPerRun(2, func() {
				run.flows[0] = flowCounters{}
				run.start = time.Now()
				f := &flowLoop{w: w, run: run, counters: &run.flows[0], pace: newPacer(run.start, tc.rate, cfg.Batch), quota: tc.count}
				if err := f.loop(ctx); err != nil {
					t.Fatal(err)
				}
			})
			if got := run.flows[0].datagrams.Load(); got != tc.count {
				t.Fatalf("loop sent %d, want %d", got, tc.count)
			}
			// The flowLoop itself and its timer (4 allocations).
			if allocs > 5 {
				t.Fatalf("%v allocations for %d datagrams, want at most 5, none per datagram", allocs, tc.count)
			}
		})
	}
}

// TestSendPacing checks the acceptance criterion: a paced run's achieved
// rate (sender's count over elapsed time) is within ±2% of the target, over
// 2 s, from 10k to 500k datagrams per second; and that the receiver gets
// them. 500k/s uses GSO, since a sender that makes the kernel handle one
// datagram per packet tops out around 0.2-0.3M/s on this project's 2-core
// machines with a reader running.
//
// Sending too much is a pacing bug and fails at once. Sending too little
// also happens when the machine is busy with something else (other test
// packages run in parallel on 2 cores): the sender then cannot keep up, so
// a short run gets up to 3 attempts.
func TestSendPacing(t *testing.T) {
	if raceEnabled {
		t.Skip("pacing accuracy is meaningless under the race detector (it slows the send loop several times); run without -race")
	}
	if testing.Short() {
		t.Skip("6 s of paced sending; skipped with -short")
	}
	for _, tc := range []struct {
		name string
		rate float64
		gso  bool
	}{
		{"10k", 10_000, false},
		{"100k", 100_000, false},
		{"500k GSO", 500_000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.gso {
				if err := gsoSupport(); err != nil {
					t.Skipf("kernel without UDP GSO: %v", err)
				}
			}
			var failures []string
			for attempt := 1; attempt <= 3; attempt++ {
				fail, over := pacedRun(t, tc.rate, tc.gso)
				if over {
					t.Fatal(fail)
				}
				if fail == "" {
					return
				}
				failures = append(failures, fail)
			}
			t.Fatalf("3 attempts fell short:\n%s", strings.Join(failures, "\n"))
		})
	}
}

// pacedRun sends at rate for 2 s and returns a description of what was
// wrong ("" if nothing), and whether it sent too much.
func pacedRun(t *testing.T, rate float64, gso bool) (fail string, over bool) {
	t.Helper()
	const d = 2 * time.Second
	// A receiver reading one datagram per call needs a core at 500k/s,
	// which the sender then lacks: the GSO case counts with UDP_GRO
	// instead, which takes super-packets whole.
	var to string
	var stop func(time.Duration) int
	if gso {
		g := newGROCounter(t)
		to, stop = g.conn.LocalAddr().String(), g.stopAfter
	} else {
		r := newTestReceiver(t, -1, DefaultSize, false)
		to, stop = r.addr(), r.stopAfter
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := Send(ctx, SendConfig{To: to, Rate: rate, Duration: d, GSO: gso}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := stop(200 * time.Millisecond)
	rateErr := st.Rate()/rate - 1
	recvErr := float64(got)/(rate*d.Seconds()) - 1
	report := fmt.Sprintf("target %.0f/s: sent %d in %v = %.0f/s (%+.3f%%); received %d = %+.3f%% of rate × %v; %d send calls",
		rate, st.Datagrams, st.Elapsed, st.Rate(), 100*rateErr, got, 100*recvErr, d, st.Calls)
	t.Log(report)
	switch {
	case rateErr > 0.02 || recvErr > 0.02:
		return report + ": too many", true
	case rateErr < -0.02 || recvErr < -0.02:
		return report + ": too few", false
	}
	return "", false
}

// BenchmarkSend measures the whole send path, one flow, unpaced, into a
// socket that never reads: b.N datagrams per run.
func BenchmarkSend(b *testing.B) {
	for _, gso := range []bool{false, true} {
		name := "sendmmsg"
		if gso {
			name = "GSO"
		}
		b.Run(name, func(b *testing.B) {
			to := sink(b)
			b.ReportAllocs()
			st, err := Send(context.Background(), SendConfig{To: to.String(), Count: int64(b.N), GSO: gso}, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(st.Rate()/1e6, "Mdatagrams/s")
		})
	}
}

// BenchmarkWrite measures one batch of 64 datagrams through each writer.
func BenchmarkWrite(b *testing.B) {
	to := sink(b)
	for _, tc := range []struct {
		name string
		dial dialFunc
		gso  bool
	}{
		{"native", dialNative, false},
		{"nativeGSO", dialNative, true},
		{"portable", dialPortable, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := SendConfig{To: to.String(), GSO: tc.gso}.withDefaults()
			w, err := tc.dial(to, cfg, 0)
			if err != nil {
				b.Fatal(err)
			}
			defer w.close()
			b.ReportAllocs()
			var seq uint64
			for b.Loop() {
				n, _, err := w.write(seq, cfg.Batch)
				if err != nil {
					b.Fatal(err)
				}
				seq += uint64(n)
			}
			b.ReportMetric(float64(seq)/b.Elapsed().Seconds()/1e6, "Mdatagrams/s")
		})
	}
}
