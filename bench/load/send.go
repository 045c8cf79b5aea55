package load

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/udprx/udprx/bench/wire"
)

// The send side's platform seam is one function with the same signature in
// every OS file, returning the interface flowWriter (defined below):
//
//	func dialNative(raddr *net.UDPAddr, cfg SendConfig, flow uint32) (flowWriter, error)
//
// send_linux.go implements it with sendmmsg (and UDP GSO); send_other.go with
// the portable writer of send_portable.go, which is built on every system so
// that Linux tests run it too.

// Limits and defaults of SendConfig.
const (
	// MaxSize is the largest UDP payload over IPv4: 65535 minus the
	// 20-byte IPv4 and 8-byte UDP headers.
	MaxSize = 65507
	// GSOSegments is the most segments the sender puts in one GSO
	// super-packet. The kernel refuses more than UDP_MAX_SEGMENTS with
	// EINVAL (udp_send_skb in net/ipv4/udp.c); that is 64 up to Linux
	// 6.10 and 128 from 6.11, so 64 works on every kernel with
	// UDP_SEGMENT (4.18 on). A receiver with UDP GRO on loopback reads
	// each super-packet, up to MaxSize bytes, as one coalesced read.
	GSOSegments = 64
	// MaxBatch is the most datagrams one send call may carry: the kernel's
	// UIO_MAXIOV (1024), the cap sendmmsg puts on its vector.
	MaxBatch = 1024
	// MaxFlows caps SendConfig.Flows, at the number of flows a receiver's
	// Tracker tells apart.
	MaxFlows = wire.MaxFlows

	// DefaultSize is the payload size used when SendConfig.Size is 0.
	DefaultSize = 64
	// DefaultBatch is the batch size used when SendConfig.Batch is 0: 64
	// datagrams per sendmmsg call, or one full GSO super-packet.
	DefaultBatch = 64
)

// ErrGSOUnsupported is returned (wrapped) by Send when SendConfig.GSO is set
// and the system cannot do UDP generic segmentation offload: any system but
// Linux, or a Linux kernel older than 4.18 (no UDP_SEGMENT).
var ErrGSOUnsupported = errors.New("UDP GSO not supported")

// SendConfig describes one run of the load generator. The zero value of
// every field but To means its default.
type SendConfig struct {
	// To is the destination, "host:port" (resolved as "udp"). Required.
	To string
	// Size is the UDP payload of every datagram in bytes, 1..MaxSize;
	// 0 means DefaultSize. With GSO it is the size of each segment. A
	// payload of at least HeaderSize bytes starts with a Header.
	Size int
	// Rate is the number of datagrams per second over all flows, split
	// evenly between them; 0 sends as fast as possible.
	Rate float64
	// Duration stops the run after this long; 0 means no time limit.
	Duration time.Duration
	// Count stops the run after this many datagrams in total, split evenly
	// between the flows (the first Count%Flows flows send one more); 0
	// means no limit. Only datagrams the kernel accepted count.
	//
	// With Duration and Count both 0, Send runs until its context is done.
	Count int64
	// Flows is the number of source sockets (distinct source ports), each
	// sending from its own goroutine, 1..MaxFlows; 0 means 1.
	Flows int
	// GSO sends Linux UDP_SEGMENT super-packets: each message of a send
	// call carries up to 64 segments of Size bytes (and at most MaxSize
	// bytes), which the kernel splits into datagrams. Send fails with
	// ErrGSOUnsupported where it is not available.
	GSO bool
	// Batch is the most datagrams one send call carries, 1..MaxBatch;
	// 0 means DefaultBatch. With GSO they are packed into super-packets
	// of up to 64 segments each, so a Batch below 64 makes smaller ones.
	// Paced runs at low rates use smaller batches (see Send).
	Batch int
}

// Validate reports every invalid field of c in one error, naming each by its
// lower-case field name (the name of udpbench's matching flag). Zero values
// that mean a default are valid. It does not resolve To.
func (c SendConfig) Validate() error {
	bad := validateTo(nil, c.To)
	if c.Size < 0 || c.Size > MaxSize {
		bad = append(bad, fmt.Sprintf("size %d is outside 1..%d", c.Size, MaxSize))
	}
	if c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) {
		bad = append(bad, fmt.Sprintf("rate %v is not a finite number >= 0", c.Rate))
	}
	if c.Duration < 0 {
		bad = append(bad, fmt.Sprintf("duration %v is negative", c.Duration))
	}
	if c.Count < 0 {
		bad = append(bad, fmt.Sprintf("count %d is negative", c.Count))
	}
	if c.Flows < 0 || c.Flows > MaxFlows {
		bad = append(bad, fmt.Sprintf("flows %d is outside 1..%d", c.Flows, MaxFlows))
	}
	if c.Batch < 0 || c.Batch > MaxBatch {
		bad = append(bad, fmt.Sprintf("batch %d is outside 1..%d", c.Batch, MaxBatch))
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("load: invalid send config: %s", strings.Join(bad, "; "))
}

// withDefaults returns c with every zero field that has a default set to it.
func (c SendConfig) withDefaults() SendConfig {
	if c.Size == 0 {
		c.Size = DefaultSize
	}
	if c.Flows == 0 {
		c.Flows = 1
	}
	if c.Batch == 0 {
		c.Batch = DefaultBatch
	}
	return c
}

// SendStats is what a run has sent so far (in progress reports) or in all
// (Send's result).
type SendStats struct {
	// Datagrams is the number of datagrams the kernel accepted; with GSO,
	// segments. A datagram counts once even if an earlier attempt to send
	// it failed.
	Datagrams uint64
	// Bytes is the UDP payload bytes of those datagrams (Datagrams × Size).
	Bytes uint64
	// Errors counts send calls that failed with a transient error: an
	// ICMP-derived one such as ECONNREFUSED (nothing listening), or
	// ENOBUFS, EPERM (a firewall), EHOSTUNREACH and the like. The
	// datagrams of a failed call are sent again, not counted as sent.
	Errors uint64
	// FirstErr is the first of those errors, nil if there was none.
	FirstErr error
	// Calls is the number of send system calls made (sendmmsg on Linux,
	// one write per datagram elsewhere), failed ones included.
	Calls uint64
	// Elapsed is the time from the start of sending to the end of the run
	// (in progress reports, to the report).
	Elapsed time.Duration
	// Flows is the number of flows (source sockets).
	Flows int
	// Size is the payload size of every datagram.
	Size int
	// GSO reports whether the run used UDP GSO.
	GSO bool
}

// Rate returns the achieved rate in datagrams per second, 0 if no time has
// elapsed.
func (s SendStats) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Datagrams) / s.Elapsed.Seconds()
}

// Send runs the load generator described by cfg until Count datagrams are
// sent, Duration has passed or ctx is done, whichever comes first; a done
// context is a normal end, not an error. It returns what was sent, and an
// error if cfg is invalid, a socket could not be set up, or a flow failed
// with an error that is not transient (the other flows then stop too).
//
// Every flow is a connected UDP socket sending from its own goroutine. Every
// payload of at least HeaderSize bytes carries a Header with the flow's
// number, the datagram's sequence number in the flow (from 0, counting only
// accepted datagrams) and the send time. In the steady state sending
// allocates nothing.
//
// Pacing (Rate > 0): each flow follows a schedule fixed at the start, in
// which datagram k of the flow is due k/r seconds after the start (r being
// Rate/Flows), and sends whatever is due, so the count over any stretch of
// time is right however late a sleep wakes. To keep bursts small, a flow
// sends in groups of r/1000 datagrams (1 to Batch), about one call per
// millisecond at low rates, and sleeps until its next group is due rather
// than spinning. Go's timers on Linux wake about 1.1 ms after a shorter
// request when the process is otherwise idle, so at high rates a flow sends
// about a millisecond's worth of datagrams per wake-up, back to back in
// calls of up to Batch. A flow that cannot keep up sends as fast as it can.
//
// progress, if not nil, is called about once a second from a goroutine of
// Send's own, never concurrently with itself and never after Send returns.
func Send(ctx context.Context, cfg SendConfig, progress func(SendStats)) (SendStats, error) {
	return send(ctx, cfg, progress, dialNative)
}

// flowWriter is the socket of one flow. A flowWriter is used by one goroutine
// at a time, except for interrupt.
type flowWriter interface {
	// write sends datagrams seq, seq+1, ..., seq+n-1 of the flow (n at
	// most the configured Batch), each with its header when the payload
	// is large enough, stamped with the time just before each system
	// call. It returns how many the kernel accepted, in order, and the
	// number of system calls made. On error the datagram after the
	// accepted ones hit it: the caller sends it again.
	write(seq uint64, n int) (accepted, calls int, err error)
	// interrupt makes a write that waits for buffer space return at once
	// with an error, and so every later write. It is safe to call from
	// any goroutine.
	interrupt()
	// localAddr is the socket's own address (its source port).
	localAddr() net.Addr
	// udpConn is the socket itself, from which RR reads the replies.
	udpConn() *net.UDPConn
	// close closes the socket.
	close() error
}

// dialFunc opens the socket of flow number flow, connected to raddr, with
// cfg already validated and defaulted. dialNative is the platform's; tests
// pass dialPortable to run the portable writer on Linux.
type dialFunc func(raddr *net.UDPAddr, cfg SendConfig, flow uint32) (flowWriter, error)

// flowCounters are one flow's running totals, updated by the flow's
// goroutine and read by the progress reporter. Padded to a cache line so
// that flows on different cores do not share one.
type flowCounters struct {
	datagrams atomic.Uint64
	calls     atomic.Uint64
	errors    atomic.Uint64
	_         [64 - 3*8]byte
}

// sendRun is the state one Send shares between its flows.
type sendRun struct {
	cfg   SendConfig
	start time.Time
	flows []flowCounters

	mu       sync.Mutex
	firstErr error // first transient error, under mu
}

// noteError keeps err as the run's first transient error unless it has one.
func (r *sendRun) noteError(err error) {
	r.mu.Lock()
	if r.firstErr == nil {
		r.firstErr = err
	}
	r.mu.Unlock()
}

// stats sums the flows' counters as of now.
func (r *sendRun) stats(now time.Time) SendStats {
	s := SendStats{
		Elapsed: now.Sub(r.start),
		Flows:   r.cfg.Flows,
		Size:    r.cfg.Size,
		GSO:     r.cfg.GSO,
	}
	for i := range r.flows {
		f := &r.flows[i]
		s.Datagrams += f.datagrams.Load()
		s.Calls += f.calls.Load()
		s.Errors += f.errors.Load()
	}
	s.Bytes = s.Datagrams * uint64(r.cfg.Size)
	r.mu.Lock()
	s.FirstErr = r.firstErr
	r.mu.Unlock()
	return s
}

// send is Send with the platform's dial function as a parameter.
func send(ctx context.Context, cfg SendConfig, progress func(SendStats), dial dialFunc) (SendStats, error) {
	if err := cfg.Validate(); err != nil {
		return SendStats{}, err
	}
	cfg = cfg.withDefaults()
	empty := SendStats{Flows: cfg.Flows, Size: cfg.Size, GSO: cfg.GSO}
	raddr, err := net.ResolveUDPAddr("udp", cfg.To)
	if err != nil {
		return empty, fmt.Errorf("load: send: %w", err)
	}

	writers := make([]flowWriter, 0, cfg.Flows)
	defer func() {
		for _, w := range writers {
			w.close()
		}
	}()
	for i := range cfg.Flows {
		w, err := dial(raddr, cfg, uint32(i))
		if err != nil {
			return empty, fmt.Errorf("load: send to %s: flow %d: %w", raddr, i, err)
		}
		writers = append(writers, w)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		for _, w := range writers {
			w.interrupt()
		}
	})
	defer stop()

	r := &sendRun{cfg: cfg, flows: make([]flowCounters, cfg.Flows)}
	r.start = time.Now()
	var end time.Time
	if cfg.Duration > 0 {
		end = r.start.Add(cfg.Duration)
	}
	flowErrs := make([]error, cfg.Flows)
	var wg sync.WaitGroup
	for i, w := range writers {
		quota := uint64(0)
		if cfg.Count > 0 {
			quota = uint64(cfg.Count / int64(cfg.Flows))
			if int64(i) < cfg.Count%int64(cfg.Flows) {
				quota++
			}
			if quota == 0 {
				continue
			}
		}
		f := &flowLoop{
			w:        w,
			run:      r,
			counters: &r.flows[i],
			pace:     newPacer(r.start, cfg.Rate/float64(cfg.Flows), cfg.Batch),
			quota:    quota,
			end:      end,
		}
		wg.Go(func() {
			if err := f.loop(ctx); err != nil {
				flowErrs[i] = fmt.Errorf("load: send from %s to %s (flow %d): %w", w.localAddr(), raddr, i, err)
				cancel()
			}
		})
	}

	var reporter sync.WaitGroup
	if progress != nil {
		done := make(chan struct{})
		defer func() { close(done); reporter.Wait() }()
		reporter.Go(func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case now := <-t.C:
					progress(r.stats(now))
				case <-done:
					return
				}
			}
		})
	}

	wg.Wait()
	st := r.stats(time.Now())
	return st, errors.Join(flowErrs...)
}

// flowLoop is one flow's sending goroutine.
type flowLoop struct {
	w        flowWriter
	run      *sendRun
	counters *flowCounters
	pace     pacer
	quota    uint64      // datagrams to send; 0 = no limit
	end      time.Time   // stop time; zero = none
	timer    *time.Timer // made by the first sleep, then reused
}

// Backoff after a transient send error other than a one-shot ICMP report:
// it doubles from minBackoff per consecutive error up to maxBackoff.
const (
	minBackoff = time.Millisecond
	maxBackoff = 64 * time.Millisecond
)

// loop sends until the quota is met, the end time passes or ctx is done
// (nil), or until a write fails with an error that is not transient.
func (f *flowLoop) loop(ctx context.Context) error {
	defer func() {
		if f.timer != nil {
			f.timer.Stop()
		}
	}()
	var seq uint64
	backoff := time.Duration(0)
	for {
		remaining := uint64(math.MaxUint64)
		if f.quota > 0 {
			remaining = f.quota - seq
			if remaining == 0 {
				return nil
			}
		}
		now := time.Now()
		if !f.end.IsZero() && !now.Before(f.end) {
			return nil
		}
		n, wait := f.pace.next(now, seq, remaining)
		if n == 0 {
			if !f.end.IsZero() {
				wait = min(wait, f.end.Sub(now))
			}
			if !f.sleep(ctx, wait) {
				return nil
			}
			continue
		}
		accepted, calls, err := f.w.write(seq, n)
		seq += uint64(accepted)
		f.counters.datagrams.Add(uint64(accepted))
		f.counters.calls.Add(uint64(calls))
		if err == nil {
			backoff = 0
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		if !transientSendError(err) {
			return err
		}
		f.counters.errors.Add(1)
		f.run.noteError(err)
		if oneShotSendError(err) {
			continue
		}
		backoff = min(max(2*backoff, minBackoff), maxBackoff)
		if !f.sleep(ctx, backoff) {
			return nil
		}
	}
}

// sleep waits for d or until ctx is done; it reports false if ctx is done.
// It reuses the flow's timer, so only the first call allocates.
func (f *flowLoop) sleep(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	if d <= 0 {
		return true
	}
	if f.timer == nil {
		f.timer = time.NewTimer(d)
	} else {
		f.timer.Reset(d)
	}
	select {
	case <-f.timer.C:
		return true
	case <-ctx.Done():
		f.timer.Stop()
		return false
	}
}

// transientSendError reports whether a failed send is worth counting and
// going on from rather than ending the run: errors that say something about
// the network or the moment, not about the socket or the configuration.
// Errors are matched by errno, through any wrapping.
func transientSendError(err error) bool {
	for _, e := range [...]syscall.Errno{
		// Reports of ICMP errors for earlier datagrams, delivered once on
		// a connected socket (port, host, network unreachable; parameter
		// problem). The last three also come from routing, repeatedly.
		syscall.ECONNREFUSED, syscall.EHOSTUNREACH, syscall.ENETUNREACH,
		syscall.ENOPROTOOPT, syscall.EHOSTDOWN,
		// Linux: no buffer for the skb, or a qdisc drop reported to a
		// socket with IP_RECVERR (net/ipv4/udp.c, udp_send_skb).
		syscall.ENOBUFS,
		// Linux: a netfilter rule dropped the packet on output
		// (NF_DROP turns into -EPERM in the output path).
		syscall.EPERM,
		// The interface is down: it may come back.
		syscall.ENETDOWN,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// oneShotSendError reports whether err can only be the report of an ICMP
// port unreachable for an earlier datagram. The kernel clears such an error
// as it reports it (sock_error in net/core/sock.c, called from
// sock_alloc_send_pskb) without sending the datagram in hand, so that one
// can be sent again at once. Other transient errors may repeat (a missing
// route gives ENETUNREACH on every send): the flow backs off after those.
func oneShotSendError(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}

// validateTo appends to bad what is wrong with a --to destination: missing,
// not host:port, or without a port to send to.
func validateTo(bad []string, to string) []string {
	if to == "" {
		return append(bad, "to is required")
	}
	if _, port, err := net.SplitHostPort(to); err != nil {
		return append(bad, fmt.Sprintf("to %q is not host:port", to))
	} else if port == "" || port == "0" {
		return append(bad, fmt.Sprintf("to %q has no destination port", to))
	}
	return bad
}
