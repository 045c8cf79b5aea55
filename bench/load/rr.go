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
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/udprx/udprx/bench/wire"
)

// Defaults of RRConfig.
const (
	// DefaultRRTimeout is how long a request may wait for its answer.
	DefaultRRTimeout = 200 * time.Millisecond
	// DefaultRRBatch is the most requests a paced flow sends per system
	// call: small, so that a paced load stays close to evenly spread.
	DefaultRRBatch = 16
	// maxRTT bounds the RTT histogram; longer round trips count as Max.
	maxRTT = 10 * time.Second
	// rrRecvBuffer is the SO_RCVBUF asked for on every flow's socket.
	rrRecvBuffer = 4 << 20
)

// RRConfig describes a request/response run (RR), in the manner of
// netperf's UDP_RR and sockperf's under-load. The zero value of every
// field but To and Duration means its default.
type RRConfig struct {
	// To is the echo server, "host:port". Required.
	To string
	// Rate is the requests per second over all flows, split evenly.
	// 0 means closed loop: each flow sends its next request when the
	// previous one is answered or has timed out (one outstanding
	// request per flow, like netperf UDP_RR and sockperf ping-pong), so
	// the rate is what the round trips allow.
	Rate float64
	// Size is the request payload in bytes, HeaderSize..MaxSize; 0 means
	// DefaultSize. Every request carries a Header (flow, sequence number,
	// send time), which the server sends back.
	Size int
	// Flows is the number of client sockets, each connected to To and
	// served by its own goroutines, 1..MaxFlows; 0 means 1.
	Flows int
	// Duration is how long requests are sent. Required.
	Duration time.Duration
	// Timeout is how long a request may wait for its answer (closed loop),
	// and how long the run waits for the last answers once sending stops
	// (both modes); 0 means DefaultRRTimeout. An answer that comes later
	// is unanswered.
	Timeout time.Duration
	// Batch is the most requests a paced flow sends per system call,
	// 1..MaxBatch; 0 means DefaultRRBatch. Closed loop sends one.
	Batch int
	// GSO sends paced requests as UDP GSO super-packets (Linux), the
	// cheapest way to offer a high rate; see SendConfig.GSO.
	GSO bool
}

// Validate reports every invalid field of c in one error, named by
// udpbench rr's flags.
func (c RRConfig) Validate() error {
	bad := validateTo(nil, c.To)
	if c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) {
		bad = append(bad, fmt.Sprintf("rate %v is not a finite number >= 0", c.Rate))
	}
	if c.Size != 0 && (c.Size < wire.HeaderSize || c.Size > MaxSize) {
		bad = append(bad, fmt.Sprintf("size %d is outside %d..%d (a request carries a %d-byte header)", c.Size, wire.HeaderSize, MaxSize, wire.HeaderSize))
	}
	if c.Flows < 0 || c.Flows > MaxFlows {
		bad = append(bad, fmt.Sprintf("flows %d is outside 1..%d", c.Flows, MaxFlows))
	}
	if c.Duration <= 0 {
		bad = append(bad, fmt.Sprintf("duration %v: want more than 0", c.Duration))
	}
	if c.Timeout < 0 {
		bad = append(bad, fmt.Sprintf("timeout %v is negative", c.Timeout))
	}
	if c.Batch < 0 || c.Batch > MaxBatch {
		bad = append(bad, fmt.Sprintf("batch %d is outside 1..%d", c.Batch, MaxBatch))
	}
	if c.GSO && c.Rate == 0 {
		bad = append(bad, "gso needs a rate: a closed loop sends one request at a time")
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("load: invalid rr config: %s", strings.Join(bad, "; "))
}

func (c RRConfig) withDefaults() RRConfig {
	if c.Size == 0 {
		c.Size = DefaultSize
	}
	if c.Flows == 0 {
		c.Flows = 1
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultRRTimeout
	}
	if c.Batch == 0 {
		c.Batch = DefaultRRBatch
	}
	if c.Rate == 0 {
		c.Batch = 1
	}
	return c
}

// RRStats is the result of a request/response run. Durations are in
// nanoseconds in JSON.
type RRStats struct {
	To    string  `json:"to"`
	Mode  string  `json:"mode"` // "closed-loop" or "paced"
	Rate  float64 `json:"rate"` // requested; 0 in closed loop
	Size  int     `json:"size"`
	Flows int     `json:"flows"`
	GSO   bool    `json:"gso"`
	// Sent counts requests the kernel accepted; Answered those whose
	// answer came back within the timeout (each counted once);
	// Unanswered the rest. LossPercent is Unanswered over Sent.
	Sent        uint64  `json:"sent"`
	Answered    uint64  `json:"answered"`
	Unanswered  uint64  `json:"unanswered"`
	LossPercent float64 `json:"loss_percent"`
	// Duplicates are answers to a request already answered; Foreign are
	// datagrams that were not an answer to this flow's requests.
	Duplicates uint64 `json:"duplicates"`
	Foreign    uint64 `json:"foreign"`
	// SendErrors counts failed send calls (the request was sent again);
	// FirstError is the first.
	SendErrors uint64 `json:"send_errors"`
	FirstError string `json:"first_error,omitempty"`
	// Seconds is the sending time; SentPPS and AnsweredPPS are taken over
	// it.
	Seconds     float64 `json:"seconds"`
	SentPPS     float64 `json:"sent_pps"`
	AnsweredPPS float64 `json:"answered_pps"`
	// Round-trip times of the answered requests, from just before the
	// send call to the return of the read that got the answer (from an
	// HDR histogram, three significant digits; Max exact).
	P50  time.Duration `json:"p50_ns"`
	P90  time.Duration `json:"p90_ns"`
	P99  time.Duration `json:"p99_ns"`
	P999 time.Duration `json:"p99_9_ns"`
	Max  time.Duration `json:"max_ns"`
	Mean time.Duration `json:"mean_ns"`
}

// rrFlow is one flow's socket and tallies.
type rrFlow struct {
	id   uint32
	w    flowWriter
	conn *net.UDPConn
	sent atomic.Uint64 // requests accepted: sequence numbers 0..sent-1
	// issued is sent plus the requests of the send call under way, whose
	// answers may come back before the call returns and sent is updated.
	issued atomic.Uint64
	errs   uint64
	first  error
	hist   *hdrhistogram.Histogram
	maxRTT int64
	// answered holds a bit per sequence number: set once answered.
	answered      []uint64
	nAnswered     atomic.Uint64
	dups, foreign uint64
}

// note records a datagram read at now: an answer (then it returns the
// request's sequence number and true), a duplicate, a late answer, or
// foreign.
func (f *rrFlow) note(p []byte, now int64, timeout time.Duration) (seq uint64, answered bool) {
	h, ok := wire.ParseHeader(p)
	if !ok || h.Flow != f.id || h.Seq >= f.issued.Load() {
		f.foreign++
		return 0, false
	}
	rtt := now - h.SentUnixNano
	if rtt < 0 || rtt > int64(timeout) {
		return 0, false // too late: stays unanswered
	}
	w := h.Seq / 64
	for uint64(len(f.answered)) <= w {
		f.answered = append(f.answered, 0)
	}
	bit := uint64(1) << (h.Seq % 64)
	if f.answered[w]&bit != 0 {
		f.dups++
		return 0, false
	}
	f.answered[w] |= bit
	f.nAnswered.Add(1)
	f.hist.RecordValue(min(rtt, int64(maxRTT)))
	f.maxRTT = max(f.maxRTT, rtt)
	return h.Seq, true
}

// readAnswers reads the flow's answers until its socket is closed.
func (f *rrFlow) readAnswers(cfg RRConfig) {
	r := newAnswerReader(f.conn, cfg.Size)
	note := func(p []byte, now int64) { f.note(p, now, cfg.Timeout) }
	for {
		if err := r.read(note); errors.Is(err, net.ErrClosed) {
			return
		}
	}
}

// answerReader reads datagrams from a flow's socket (answer_linux.go:
// recvmmsg; answer_other.go: one Read per datagram).
type answerReader interface {
	// read waits for at least one datagram and calls fn with each one it
	// read in one go, with the time the read returned.
	read(fn func(p []byte, now int64)) error
}

// connReader reads one datagram per call with net.UDPConn.Read.
type connReader struct {
	conn *net.UDPConn
	buf  []byte
}

func (r *connReader) read(fn func(p []byte, now int64)) error {
	n, err := r.conn.Read(r.buf)
	if err != nil {
		return err
	}
	fn(r.buf[:n], time.Now().UnixNano())
	return nil
}

// RR runs a request/response load against the echo server cfg.To, for
// cfg.Duration or until ctx is done, and reports what came back. Each
// flow is a socket connected to the server, so only the server's
// address can answer it (a reply from another source address is never
// seen: the kernel drops it).
//
// Paced (cfg.Rate > 0), each flow sends on one goroutine on its
// schedule and reads answers on another (recvmmsg on Linux), whatever
// came back; closed loop, each flow sends a request and waits for its
// answer or the timeout before the next.
func RR(ctx context.Context, cfg RRConfig) (RRStats, error) {
	if err := cfg.Validate(); err != nil {
		return RRStats{}, err
	}
	cfg = cfg.withDefaults()
	raddr, err := net.ResolveUDPAddr("udp", cfg.To)
	if err != nil {
		return RRStats{}, fmt.Errorf("load: rr to %q: %w", cfg.To, err)
	}
	scfg := SendConfig{To: cfg.To, Size: cfg.Size, Batch: cfg.Batch, GSO: cfg.GSO, Flows: 1}
	flows := make([]*rrFlow, cfg.Flows)
	defer func() {
		for _, f := range flows {
			if f != nil {
				f.w.close()
			}
		}
	}()
	for i := range flows {
		w, err := dialNative(raddr, scfg, uint32(i))
		if err != nil {
			return RRStats{}, fmt.Errorf("load: rr flow %d to %s: %w", i, cfg.To, err)
		}
		flows[i] = &rrFlow{id: uint32(i), w: w, conn: w.udpConn(),
			hist: hdrhistogram.New(1, int64(maxRTT), 3)}
		// Best effort, as the send buffer: answers to a paced burst must
		// not overflow the client's own socket.
		_ = flows[i].conn.SetReadBuffer(rrRecvBuffer)
	}

	start := time.Now()
	var sendWG, readWG sync.WaitGroup
	sendCtx, stopSending := context.WithDeadline(ctx, start.Add(cfg.Duration))
	defer stopSending()
	go func() { <-sendCtx.Done(); interruptAll(flows) }()
	for _, f := range flows {
		sendWG.Add(1)
		if cfg.Rate == 0 {
			go func() { defer sendWG.Done(); f.closedLoop(sendCtx, cfg.Timeout) }()
			continue
		}
		readWG.Add(1)
		go func() { defer readWG.Done(); f.readAnswers(cfg) }()
		go func() {
			defer sendWG.Done()
			f.paced(sendCtx, newPacer(start, cfg.Rate/float64(cfg.Flows), cfg.Batch))
		}()
	}
	sendWG.Wait()
	seconds := time.Since(start).Seconds()
	if cfg.Rate > 0 {
		// The last answers: until every request is answered or the
		// timeout has passed; then closing the sockets ends the readers.
		waitAnswers(ctx, flows, cfg.Timeout)
		for _, f := range flows {
			f.w.close()
		}
		readWG.Wait()
	}

	st := RRStats{To: cfg.To, Mode: "closed-loop", Rate: cfg.Rate, Size: cfg.Size, Flows: cfg.Flows, GSO: cfg.GSO, Seconds: seconds}
	if cfg.Rate > 0 {
		st.Mode = "paced"
	}
	all := hdrhistogram.New(1, int64(maxRTT), 3)
	for _, f := range flows {
		st.Sent += f.sent.Load()
		st.Answered += f.nAnswered.Load()
		st.Duplicates += f.dups
		st.Foreign += f.foreign
		st.SendErrors += f.errs
		if f.first != nil && st.FirstError == "" {
			st.FirstError = f.first.Error()
		}
		all.Merge(f.hist)
		st.Max = max(st.Max, time.Duration(f.maxRTT))
	}
	st.Unanswered = st.Sent - st.Answered
	if st.Sent > 0 {
		st.LossPercent = 100 * float64(st.Unanswered) / float64(st.Sent)
	}
	if seconds > 0 {
		st.SentPPS = float64(st.Sent) / seconds
		st.AnsweredPPS = float64(st.Answered) / seconds
	}
	if all.TotalCount() > 0 {
		// The histogram reports a bucket's upper end, which can pass
		// the exact maximum by its 0.1% resolution.
		q := func(p float64) time.Duration { return min(time.Duration(all.ValueAtQuantile(p)), st.Max) }
		st.P50, st.P90, st.P99, st.P999 = q(50), q(90), q(99), q(99.9)
		st.Mean = time.Duration(all.Mean())
	}
	if ctx.Err() != nil {
		return st, fmt.Errorf("load: rr interrupted: %w", ctx.Err())
	}
	return st, nil
}

// interruptAll wakes every flow's send waiting for buffer space. A
// closed loop's read of the last answer is not cut short: it has its own
// deadline.
func interruptAll(flows []*rrFlow) {
	for _, f := range flows {
		f.w.interrupt()
	}
}

// waitAnswers polls until every flow's requests are answered, timeout has
// passed, or ctx is done.
func waitAnswers(ctx context.Context, flows []*rrFlow, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		done := true
		for _, f := range flows {
			if f.nAnswered.Load() < f.sent.Load() {
				done = false
				break
			}
		}
		if done {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// noteSendError counts a failed send call and reports whether the flow
// should stop: when its context is done, or the error is not transient.
func (f *rrFlow) noteSendError(ctx context.Context, err error) (stop bool) {
	if ctx.Err() != nil {
		return true
	}
	f.errs++
	if f.first == nil {
		f.first = err
	}
	return !transientSendError(err) && !oneShotSendError(err)
}

// paced sends the flow's requests on schedule p until ctx is done.
func (f *rrFlow) paced(ctx context.Context, p pacer) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for ctx.Err() == nil {
		sent := f.sent.Load()
		n, wait := p.next(time.Now(), sent, math.MaxUint64)
		if n == 0 {
			t.Reset(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
			continue
		}
		f.issued.Store(sent + uint64(n))
		acc, _, err := f.w.write(sent, n)
		f.sent.Add(uint64(acc))
		f.issued.Store(sent + uint64(acc))
		if err != nil && f.noteSendError(ctx, err) {
			return
		}
	}
}

// closedLoop sends one request at a time and waits for its answer (or
// the timeout) before the next, until ctx is done.
func (f *rrFlow) closedLoop(ctx context.Context, timeout time.Duration) {
	buf := make([]byte, MaxSize)
	for ctx.Err() == nil {
		seq := f.sent.Load()
		f.issued.Store(seq + 1)
		acc, _, err := f.w.write(seq, 1)
		f.sent.Add(uint64(acc))
		f.issued.Store(seq + uint64(acc))
		if err != nil {
			if f.noteSendError(ctx, err) {
				return
			}
			continue
		}
		f.conn.SetReadDeadline(time.Now().Add(timeout))
		for {
			n, err := f.conn.Read(buf)
			now := time.Now().UnixNano()
			if err != nil {
				// A timeout: unanswered, on to the next. ECONNREFUSED
				// (nobody listening) reads as a timeout too, without
				// the wait.
				if errors.Is(err, net.ErrClosed) {
					return
				}
				if !isTimeout(err) {
					f.conn.SetReadDeadline(time.Now().Add(timeout))
					time.Sleep(min(timeout, 10*time.Millisecond))
				}
				break
			}
			if got, ok := f.note(buf[:n], now, timeout); ok && got == seq {
				break
			}
		}
	}
}

// isTimeout reports whether err is a read deadline passing.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
