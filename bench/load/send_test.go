package load

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/udprx/udprx/bench/wire"
)

func TestValidate(t *testing.T) {
	ok := SendConfig{To: "127.0.0.1:9"}
	for _, tc := range []struct {
		name string
		cfg  SendConfig
		want []string // substrings of the error; none: valid
	}{
		{"minimal", ok, nil},
		{"all set", SendConfig{To: "[::1]:53", Size: MaxSize, Rate: 1e6, Duration: time.Second, Count: 10, Flows: MaxFlows, GSO: true, Batch: MaxBatch}, nil},
		{"hostname", SendConfig{To: "localhost:9"}, nil},
		{"no to", SendConfig{}, []string{"to is required"}},
		{"to without port", SendConfig{To: "127.0.0.1"}, []string{"to \"127.0.0.1\""}},
		{"to port 0", SendConfig{To: "127.0.0.1:0"}, []string{"no destination port"}},
		{"size negative", SendConfig{To: ok.To, Size: -1}, []string{"size -1"}},
		{"size too big", SendConfig{To: ok.To, Size: MaxSize + 1}, []string{"size 65508"}},
		{"rate negative", SendConfig{To: ok.To, Rate: -1}, []string{"rate -1"}},
		{"rate infinite", SendConfig{To: ok.To, Rate: math.Inf(1)}, []string{"rate +Inf"}},
		{"rate NaN", SendConfig{To: ok.To, Rate: math.NaN()}, []string{"rate NaN"}},
		{"duration negative", SendConfig{To: ok.To, Duration: -time.Second}, []string{"duration -1s"}},
		{"count negative", SendConfig{To: ok.To, Count: -5}, []string{"count -5"}},
		{"flows negative", SendConfig{To: ok.To, Flows: -1}, []string{"flows -1"}},
		{"flows too many", SendConfig{To: ok.To, Flows: MaxFlows + 1}, []string{"flows 4097"}},
		{"batch too big", SendConfig{To: ok.To, Batch: MaxBatch + 1}, []string{"batch 1025"}},
		{"everything", SendConfig{Size: -1, Rate: -1, Duration: -1, Count: -1, Flows: -1, Batch: -1},
			[]string{"to is required", "size", "rate", "duration", "count", "flows", "batch"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error naming %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, does not name %q", err, w)
				}
			}
			if _, serr := Send(context.Background(), tc.cfg, nil); serr == nil || serr.Error() != err.Error() {
				t.Errorf("Send() error = %v, want the Validate error", serr)
			}
		})
	}
}

// backends are the flow writers this system can run: the native one and the
// portable one (the same on systems without sendmmsg).
var backends = []struct {
	name string
	dial dialFunc
}{
	{"native", dialNative},
	{"portable", dialPortable},
}

// testReceiver is a plain net.UDPConn on loopback that records what
// arrives, for checking a sender against.
type testReceiver struct {
	conn    *net.UDPConn
	want    int           // count at which reached closes
	reached chan struct{} // closed when want datagrams have arrived
	done    chan struct{} // closed when the reader has stopped
	track   bool          // record every header (small runs only)

	mu      sync.Mutex
	total   int
	bad     []string                          // descriptions of invalid datagrams
	seen    map[uint32]map[uint64]int         // flow → seq → times seen
	sources map[uint32]map[netip.AddrPort]int // flow → source → datagrams
}

// newTestReceiver listens on 127.0.0.1:0 with an 8 MiB receive buffer and
// reads until stop. Datagrams must be size bytes.
func newTestReceiver(t *testing.T, want, size int, track bool) *testReceiver {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadBuffer(8 << 20); err != nil {
		t.Fatal(err)
	}
	r := &testReceiver{
		conn: conn, want: want, track: track,
		reached: make(chan struct{}), done: make(chan struct{}),
		seen:    map[uint32]map[uint64]int{},
		sources: map[uint32]map[netip.AddrPort]int{},
	}
	go r.read(size)
	t.Cleanup(func() { conn.Close(); <-r.done })
	return r
}

func (r *testReceiver) addr() string { return r.conn.LocalAddr().String() }

func (r *testReceiver) read(size int) {
	defer close(r.done)
	buf := make([]byte, 1<<16)
	for {
		n, from, err := r.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		r.mu.Lock()
		r.total++
		if r.track {
			if n != size {
				r.bad = append(r.bad, "wrong size "+strconv.Itoa(n))
			} else if size >= wire.HeaderSize {
				h, ok := wire.ParseHeader(buf[:n])
				if !ok {
					r.bad = append(r.bad, "no header")
				} else {
					if r.seen[h.Flow] == nil {
						r.seen[h.Flow] = map[uint64]int{}
						r.sources[h.Flow] = map[netip.AddrPort]int{}
					}
					r.seen[h.Flow][h.Seq]++
					r.sources[h.Flow][from]++
				}
			}
		}
		if r.total == r.want {
			close(r.reached)
		}
		r.mu.Unlock()
	}
}

// waitFor waits until want datagrams have arrived, up to timeout.
func (r *testReceiver) waitFor(t *testing.T, timeout time.Duration) {
	t.Helper()
	select {
	case <-r.reached:
	case <-time.After(timeout):
		r.mu.Lock()
		defer r.mu.Unlock()
		t.Fatalf("received %d datagrams in %v, want %d", r.total, timeout, r.want)
	}
}

// stopAfter lets the reader run for grace more (to catch extra datagrams),
// stops it and returns the total.
func (r *testReceiver) stopAfter(grace time.Duration) int {
	r.conn.SetReadDeadline(time.Now().Add(grace))
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

// checkFlows checks that every flow's sequence numbers 0..quota-1 arrived
// exactly once, each flow from one source port, distinct between flows.
func (r *testReceiver) checkFlows(t *testing.T, count int64, flows int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		t.Fatalf("%d invalid datagrams, first: %s", len(r.bad), r.bad[0])
	}
	if len(r.seen) != flows {
		t.Fatalf("datagrams from %d flows, want %d", len(r.seen), flows)
	}
	ports := map[netip.AddrPort]uint32{}
	for flow := range uint32(flows) {
		quota := uint64(count / int64(flows))
		if int64(flow) < count%int64(flows) {
			quota++
		}
		seqs := r.seen[flow]
		if uint64(len(seqs)) != quota {
			t.Errorf("flow %d: %d distinct sequence numbers, want %d", flow, len(seqs), quota)
		}
		for seq, times := range seqs {
			if seq >= quota || times != 1 {
				t.Errorf("flow %d: seq %d seen %d times (quota %d)", flow, seq, times, quota)
			}
		}
		if len(r.sources[flow]) != 1 {
			t.Errorf("flow %d came from %d sources, want 1", flow, len(r.sources[flow]))
		}
		for src := range r.sources[flow] {
			if other, dup := ports[src]; dup {
				t.Errorf("flows %d and %d share source %v", other, flow, src)
			}
			ports[src] = flow
		}
	}
}

func TestSendCountExact(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			const count, flows, size = 10_000, 3, 100
			r := newTestReceiver(t, count, size, true)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cfg := SendConfig{To: r.addr(), Size: size, Rate: 100_000, Count: count, Flows: flows}
			st, err := send(ctx, cfg, nil, b.dial)
			if err != nil {
				t.Fatal(err)
			}
			if st.Datagrams != count || st.Bytes != count*size || st.Flows != flows || st.Size != size || st.Errors != 0 || st.Calls == 0 {
				t.Fatalf("stats = %+v, want %d datagrams, %d bytes, %d flows, no errors", st, count, count*size, flows)
			}
			r.waitFor(t, 10*time.Second)
			if got := r.stopAfter(200 * time.Millisecond); got != count {
				t.Fatalf("received %d datagrams, want exactly %d", got, count)
			}
			r.checkFlows(t, count, flows)
		})
	}
}

// TestSendSmallPayload sends payloads too small for a header: they go out
// as they are.
func TestSendSmallPayload(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			r := newTestReceiver(t, 100, 1, true)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			st, err := send(ctx, SendConfig{To: r.addr(), Size: 1, Count: 100, Batch: 7}, nil, b.dial)
			if err != nil || st.Datagrams != 100 || st.Bytes != 100 {
				t.Fatalf("send = %+v, %v; want 100 datagrams", st, err)
			}
			r.waitFor(t, 10*time.Second)
			if got := r.stopAfter(100 * time.Millisecond); got != 100 || len(r.bad) > 0 {
				t.Fatalf("received %d datagrams (%d bad), want 100", got, len(r.bad))
			}
		})
	}
}

// TestSendConnRefused sends to a port nobody listens on: the ICMP port
// unreachable comes back as ECONNREFUSED on the next send, which is counted
// and sent again, so every datagram still counts once.
func TestSendConnRefused(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			to := c.LocalAddr().String()
			c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			st, err := send(ctx, SendConfig{To: to, Count: 100, Batch: 1}, nil, b.dial)
			if err != nil {
				t.Fatal(err)
			}
			if st.Datagrams != 100 || st.Errors == 0 || !errors.Is(st.FirstErr, syscall.ECONNREFUSED) {
				t.Fatalf("stats = %+v; want 100 datagrams and ECONNREFUSED counted", st)
			}
			if st.Calls != st.Datagrams+st.Errors {
				t.Errorf("calls %d, want datagrams + errors = %d", st.Calls, st.Datagrams+st.Errors)
			}
		})
	}
}

// TestSendStops checks the two other ways a run ends: Duration, and the
// context being done, which is not an error.
func TestSendStops(t *testing.T) {
	r := newTestReceiver(t, -1, DefaultSize, false)
	t.Run("duration", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		st, err := Send(ctx, SendConfig{To: r.addr(), Rate: 10_000, Duration: 300 * time.Millisecond}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if st.Elapsed < 300*time.Millisecond || st.Elapsed > 5*time.Second || st.Datagrams == 0 {
			t.Fatalf("stats = %+v, want about 300 ms of sending", st)
		}
	})
	t.Run("context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		progress := make(chan SendStats, 1)
		var st SendStats
		var err error
		done := make(chan struct{})
		go func() {
			defer close(done)
			st, err = Send(ctx, SendConfig{To: r.addr(), Rate: 20_000, Flows: 2}, func(s SendStats) {
				select {
				case progress <- s:
				default:
				}
			})
		}()
		var p SendStats
		select {
		case p = <-progress:
		case <-time.After(10 * time.Second):
			t.Fatal("no progress report in 10 s")
		}
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Send did not return 10 s after its context was cancelled")
		}
		if err != nil {
			t.Fatalf("Send after cancel: %v, want nil", err)
		}
		if p.Datagrams == 0 || p.Flows != 2 || st.Datagrams < p.Datagrams {
			t.Fatalf("progress %+v, final %+v", p, st)
		}
	})
}

// fakeWriter is a flowWriter that plays a script of results and records
// which sequence numbers it was asked to send.
type fakeWriter struct {
	script []fakeResult
	seqs   []uint64 // first seq of every write
	next   uint64   // seq it expects next
	bad    string
}

type fakeResult struct {
	accepted int // -1: all
	err      error
}

func (w *fakeWriter) write(seq uint64, n int) (int, int, error) {
	if seq != w.next && w.bad == "" {
		w.bad = fmt.Sprintf("write of seq %d, want %d", seq, w.next)
	}
	w.seqs = append(w.seqs, seq)
	res := fakeResult{accepted: -1}
	if len(w.script) > 0 {
		res, w.script = w.script[0], w.script[1:]
	}
	if res.accepted < 0 || res.accepted > n {
		res.accepted = n
	}
	w.next = seq + uint64(res.accepted)
	return res.accepted, 1, res.err
}

func (w *fakeWriter) interrupt()            {}
func (w *fakeWriter) close() error          { return nil }
func (w *fakeWriter) udpConn() *net.UDPConn { return nil }
func (w *fakeWriter) localAddr() net.Addr {
	return net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:40000"))
}

// errno wraps e as a failed send comes back: *net.OpError, then
// *os.SyscallError, then the errno.
func errno(e syscall.Errno) error {
	return &net.OpError{Op: "write", Net: "udp", Err: os.NewSyscallError("sendmmsg", e)}
}

// TestSendScripted runs Send against scripted flow writers: partial
// accepts, transient and fatal errors.
func TestSendScripted(t *testing.T) {
	for _, tc := range []struct {
		name     string
		script   []fakeResult
		count    int64
		wantErr  syscall.Errno // 0: none
		wantSent uint64
		wantErrs uint64
	}{
		{"clean", nil, 1000, 0, 1000, 0},
		{"partial", []fakeResult{{10, nil}, {0, nil}, {63, nil}}, 1000, 0, 1000, 0},
		{"refused then partial", []fakeResult{{5, errno(syscall.ECONNREFUSED)}, {3, errno(syscall.ECONNREFUSED)}, {1, nil}}, 500, 0, 500, 2},
		{"enobufs backs off", []fakeResult{{0, errno(syscall.ENOBUFS)}, {0, errno(syscall.ENOBUFS)}}, 100, 0, 100, 2},
		{"fatal", []fakeResult{{64, nil}, {7, errno(syscall.EBADF)}}, 1000, syscall.EBADF, 71, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var writers []*fakeWriter
			dial := func(raddr *net.UDPAddr, cfg SendConfig, flow uint32) (flowWriter, error) {
				w := &fakeWriter{script: tc.script}
				writers = append(writers, w)
				return w, nil
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			st, err := send(ctx, SendConfig{To: "127.0.0.1:9", Count: tc.count}, nil, dial)
			if tc.wantErr != 0 {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), "from 127.0.0.1:40000 to 127.0.0.1:9 (flow 0)") {
					t.Fatalf("err = %v, want %v naming the flow and its addresses", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if st.Datagrams != tc.wantSent || st.Errors != tc.wantErrs {
				t.Fatalf("stats = %+v, want %d sent, %d errors", st, tc.wantSent, tc.wantErrs)
			}
			if tc.wantErrs > 0 && st.FirstErr == nil {
				t.Error("FirstErr not set")
			}
			if w := writers[0]; w.bad != "" {
				t.Fatalf("sequence numbers not continuous: %s (writes at %v)", w.bad, w.seqs)
			}
		})
	}
}

func TestSendDialError(t *testing.T) {
	dial := func(raddr *net.UDPAddr, cfg SendConfig, flow uint32) (flowWriter, error) {
		if flow == 2 {
			return nil, errno(syscall.EMFILE)
		}
		return &fakeWriter{}, nil
	}
	_, err := send(context.Background(), SendConfig{To: "127.0.0.1:9", Flows: 4, Count: 10}, nil, dial)
	if !errors.Is(err, syscall.EMFILE) || !strings.Contains(err.Error(), "flow 2") {
		t.Fatalf("err = %v, want EMFILE naming flow 2", err)
	}
}

func TestPortableNoGSO(t *testing.T) {
	_, err := send(context.Background(), SendConfig{To: "127.0.0.1:9", GSO: true, Count: 1}, nil, dialPortable)
	if !errors.Is(err, ErrGSOUnsupported) || !strings.Contains(err.Error(), "GSO needs Linux") {
		t.Fatalf("err = %v, want ErrGSOUnsupported: GSO needs Linux", err)
	}
}
