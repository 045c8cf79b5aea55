package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// record is one message as the output formats it. It refers to the
// datagram it was parsed from, so it lives only as long as the HandleBatch
// call that made it: the output turns it into bytes before that returns.
type record struct {
	Message
	src      netip.AddrPort // zero for an unbound unix datagram sender
	received time.Time
	err      error // why Message is FormatUnknown
}

// output formats messages on the loops and writes them from one
// goroutine. Each loop appends its lines to its own chunk (a loopOut);
// a chunk of chunkSize bytes or more goes to the writer through a bounded
// queue, and the writer gives its buffer back through a free list once
// written. So a loop hands over one chunk per 64 KiB of lines, not one
// slice per batch: at loggen's 58k messages/s that is about 230 hand-overs
// a second instead of one per read (about 1,000 a second at 22.8k/s,
// each a wake-up of the writer goroutine), and, since a line is made
// while the datagram is still there, nothing is copied or allocated per
// message.
//
// Why a queue and not a write from the loop: a loop that waits reads
// nothing. One slow write to stdout (a pipe read slowly or not at all, a
// paused terminal) would hold up every loop while the socket buffers fill
// and the kernel drops datagrams where nobody counts them. With the queue
// a loop never waits on I/O: when the queue is full the chunk is dropped
// and its lines counted in syslog_output_dropped_total and the summary,
// so the loss is visible. A loop's lock (loopOut.mu) is held only while
// it appends a batch and by the writer while it takes a chunk, never
// during a write.
//
// A quiet stream's lines are written flushDelay after a loop's chunk
// went from empty to not empty: the loop then sends a kick, the writer
// arms its timer, and when it fires takes every loop's partial chunk
// through the same queue, so each loop's lines stay in order. The stop
// hook (close) writes what is left.
type output struct {
	loops   []loopOut
	queue   chan chunk    // chunks for the writer, in order
	free    chan []byte   // written chunk buffers, emptied, for the loops to reuse
	kick    chan struct{} // a loop's chunk is no longer empty: arm the flush timer
	stop    chan struct{} // closed by close: the loops are done
	dropped atomic.Uint64
	done    chan struct{} // closed when run has written everything
	err     error         // the first write error; read after done

	w      io.Writer
	asJSON bool
}

// chunk is a run of whole lines from one loop and how many there are,
// the count that drops when the queue will not take it.
type chunk struct {
	b     []byte
	lines int
}

// loopOut is one loop's side of the output: the chunk it is filling and
// what it reuses to fill it, and the loop's parse cache. Only its loop
// and, under mu, the writer touch it.
type loopOut struct {
	mu    sync.Mutex
	cur   []byte
	lines int
	enc   *json.Encoder // --json: writes into cur (loopOut.Write)
	err   error         // the first encoding error
	stamp stampCache
	times timeCache // for parse, used only by the loop
	_     [64]byte  // keeps the next loop's state off these cache lines
}

// Write appends p to the chunk: the JSON encoder's destination.
func (lo *loopOut) Write(p []byte) (int, error) {
	lo.cur = append(lo.cur, p...)
	return len(p), nil
}

// chunkSize is the size at which a loop hands its chunk to the writer,
// and the size of each write(2) on a busy stream: what the 64 KiB
// bufio.Writer of the previous design wrote at a time.
const chunkSize = 64 << 10

// queueChunks is the output queue's capacity in chunks, 16 MiB of lines.
// It must hold at least what the loops read in one burst after the
// process was off the CPU: everything their receive buffers held (6553
// of loggen's 256-byte datagrams in 4 MiB on Linux 6.18, times the
// loops). At loggen's 263-byte lines 16 MiB is about 63,000 messages,
// what the previous queue of 1024 batches of up to 64 records held;
// a queue of 4096 records dropped a few hundred records per second at
// loggen's full rate on a loaded 2-CPU machine, with no kernel drop at
// all. Chunks take memory only while queued.
const queueChunks = 256

// newOutput returns an output for one loop; setLoops makes room for more.
func newOutput(w io.Writer, asJSON bool) *output {
	o := &output{
		queue:  make(chan chunk, queueChunks),
		free:   make(chan []byte, queueChunks),
		kick:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		w:      w,
		asJSON: asJSON,
	}
	o.setLoops(1)
	return o
}

// setLoops gives the output one loopOut per engine loop. It must be
// called before the engine runs (the loops index o.loops unlocked).
func (o *output) setLoops(n int) {
	o.loops = make([]loopOut, max(n, 1))
	for i := range o.loops {
		lo := &o.loops[i]
		if o.asJSON {
			lo.enc = json.NewEncoder(lo)
			lo.enc.SetEscapeHTML(false) // log text, not HTML: keep < > & as they are
		}
	}
}

// begin locks loop i's chunk for one batch (i is engine.Writer.Loop, 0
// without a Writer); end unlocks it.
func (o *output) begin(i int) *loopOut {
	lo := &o.loops[i%len(o.loops)]
	lo.mu.Lock()
	return lo
}

// add formats r onto lo's chunk, and hands the chunk to the writer once
// it holds chunkSize bytes.
func (o *output) add(lo *loopOut, r record) {
	if lo.lines == 0 && len(lo.cur) == 0 {
		if lo.cur == nil {
			lo.cur = o.buffer()
		}
		o.nudge()
	}
	if lo.enc != nil {
		if err := lo.enc.Encode(jsonRecord{
			Message:      r.Message,
			FacilityName: facilityName(r.Facility),
			SeverityName: severityName(r.Severity),
			Src:          r.src,
			Received:     r.received,
			Error:        errText(r.err),
		}); err != nil {
			if lo.err == nil {
				lo.err = err
			}
			return
		}
	} else {
		lo.cur = appendLine(lo.cur, r, &lo.stamp)
	}
	lo.lines++
	if len(lo.cur) >= chunkSize {
		o.handOver(lo)
	}
}

// end unlocks what begin locked.
func (o *output) end(lo *loopOut) { lo.mu.Unlock() }

// handOver queues lo's chunk without waiting, or drops it and counts its
// lines when the queue is full, and starts lo on an empty chunk. lo.mu
// is held.
func (o *output) handOver(lo *loopOut) {
	if lo.lines == 0 {
		return
	}
	select {
	case o.queue <- chunk{b: lo.cur, lines: lo.lines}:
		lo.cur = o.buffer()
	default:
		o.dropped.Add(uint64(lo.lines))
		lo.cur = lo.cur[:0]
	}
	lo.lines = 0
}

// buffer returns an empty chunk buffer: a written one from the free
// list, or a new one.
func (o *output) buffer() []byte {
	select {
	case b := <-o.free:
		return b
	default:
		return make([]byte, 0, chunkSize+chunkSize/4)
	}
}

// nudge tells the writer that a chunk is no longer empty, without waiting:
// a kick already pending says the same.
func (o *output) nudge() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// flushDelay bounds how long a line may wait in a loop's chunk.
// Writing each batch as it came cost one write(2) per batch: at loggen's
// 50k messages/s, 12% of the program's CPU time (perf, Linux 6.18), about
// the same as its recvmmsg calls.
const flushDelay = 10 * time.Millisecond

// run writes chunks until close, then what is left. It is the only
// goroutine that writes to w.
func (o *output) run() {
	defer close(o.done)
	timer := time.NewTimer(flushDelay)
	timer.Stop()
	armed := false
	for {
		select {
		case c := <-o.queue:
			o.write(c.b)
		case <-o.kick:
			if !armed {
				timer.Reset(flushDelay)
				armed = true
			}
		case <-timer.C:
			armed = false
			if !o.seal() { // the queue is full: try again later
				timer.Reset(flushDelay)
				armed = true
			}
		case <-o.stop:
			timer.Stop()
			o.drain()
			return
		}
	}
}

// seal queues every loop's partial chunk, behind the full ones its loop
// queued before, so that each loop's lines are written in order. It
// reports false if the queue had no room for one of them.
func (o *output) seal() bool {
	ok := true
	for i := range o.loops {
		lo := &o.loops[i]
		lo.mu.Lock()
		if lo.lines > 0 {
			select {
			case o.queue <- chunk{b: lo.cur, lines: lo.lines}:
				lo.cur, lo.lines = nil, 0 // the loop takes a buffer when it next adds
			default:
				ok = false
			}
		}
		lo.mu.Unlock()
	}
	return ok
}

// drain writes what is queued, then every loop's partial chunk: the stop,
// after the loops have returned.
func (o *output) drain() {
	for {
		select {
		case c := <-o.queue:
			o.write(c.b)
			continue
		default:
		}
		break
	}
	for i := range o.loops {
		lo := &o.loops[i]
		lo.mu.Lock()
		if lo.lines > 0 {
			o.write(lo.cur)
			lo.cur, lo.lines = lo.cur[:0], 0
		}
		if lo.err != nil && o.err == nil {
			o.err = lo.err
		}
		lo.mu.Unlock()
	}
}

// write writes b, unless an earlier write failed (the output is gone:
// what is queued is thrown away, so that no loop waits), and gives b
// back to the free list unless that is full.
func (o *output) write(b []byte) {
	if o.err == nil {
		if _, err := o.w.Write(b); err != nil {
			o.err = err
		}
	}
	select {
	case o.free <- b[:0]:
	default:
	}
}

// close is the engine's stop hook (Config.OnStop). The engine runs it
// after every loop has drained its socket and returned, so no loop adds
// any more; the writer then writes what is left. close waits for that,
// or for ctx (Shutdown's deadline), and returns the first write error.
func (o *output) close(ctx context.Context) error {
	close(o.stop)
	select {
	case <-o.done:
		if o.err != nil {
			return fmt.Errorf("writing messages: %w", o.err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("flushing messages: %w", ctx.Err())
	}
}

// jsonRecord is one line of --json output: the Message's fields, then
// the names of facility and severity, the sender and the time of receipt.
type jsonRecord struct {
	Message
	FacilityName string         `json:"facility_name,omitempty"`
	SeverityName string         `json:"severity_name,omitempty"`
	Src          netip.AddrPort `json:"src,omitzero"`
	Received     time.Time      `json:"received"`
	Error        string         `json:"error,omitempty"`
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// stampCache keeps the last timestamp appendLine formatted and its text.
// A sender's messages mostly share their second (RFC 3164 timestamps have
// no fraction), so most lines copy the text instead of formatting it.
type stampCache struct {
	t    time.Time
	text []byte
}

// appendStamp appends t in RFC 3339 with nanoseconds, from c when c
// (which may be nil) last formatted the same time. == on time.Time
// compares its representation, location included, so equal values format
// alike.
func appendStamp(b []byte, t time.Time, c *stampCache) []byte {
	if c == nil {
		return t.AppendFormat(b, time.RFC3339Nano)
	}
	if t != c.t || len(c.text) == 0 {
		c.t = t
		c.text = t.AppendFormat(c.text[:0], time.RFC3339Nano)
	}
	return append(b, c.text...)
}

// appendLine appends the readable form of r and a newline:
//
//	2026-11-22T05:32:17.114795Z local0.warning vm myapp[42]: hello
//
// with "-" for a missing timestamp or host. Control bytes in the text are
// escaped, so a message cannot drive the terminal. An unparsed datagram is
// shown quoted, after the time it was received, with its sender and why:
//
//	2026-11-22T05:36:40.390548804Z unknown 127.0.0.1:40000: "hello" (syslog: byte 0: want <PRI>)
//
// c, if not nil, caches the sender's timestamp between lines.
func appendLine(b []byte, r record, c *stampCache) []byte {
	if r.Format == FormatUnknown {
		b = r.received.AppendFormat(b, time.RFC3339Nano)
		b = append(b, " unknown "...)
		if r.src.IsValid() {
			b = r.src.AppendTo(b)
		} else {
			b = append(b, "local"...)
		}
		b = append(b, ": "...)
		b = strconv.AppendQuote(b, r.Text)
		if r.err != nil {
			b = append(b, " ("...)
			b = append(b, r.err.Error()...)
			b = append(b, ')')
		}
		return append(b, '\n')
	}
	if r.Timestamp.IsZero() {
		b = append(b, '-')
	} else {
		b = appendStamp(b, r.Timestamp, c)
	}
	b = append(b, ' ')
	b = append(b, facilityName(r.Facility)...)
	b = append(b, '.')
	b = append(b, severityName(r.Severity)...)
	b = append(b, ' ')
	b = appendOr(b, r.Host, "-")
	b = append(b, ' ')
	b = appendOr(b, r.App, "-")
	if r.ProcID != "" {
		b = append(b, '[')
		b = append(b, r.ProcID...)
		b = append(b, ']')
	}
	b = append(b, ": "...)
	b = appendSafe(b, r.Text)
	return append(b, '\n')
}

func appendOr(b []byte, s, empty string) []byte {
	if s == "" {
		s = empty
	}
	return appendSafe(b, s)
}

// appendSafe appends s with its control bytes (but tab) written as \xNN.
// The runs between them are appended whole: the text is most of a line.
// It looks at eight bytes at a time (hasControl) and at single bytes
// only where a word has one: byte by byte, this loop was a third of the
// example's own time per loggen message.
func appendSafe(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) && !hasControl(s[i:i+8]) {
			i += 8
			continue
		}
		c := s[i]
		if (c < 0x20 && c != '\t') || c == 0x7f {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
			start = i + 1
		}
		i++
	}
	return append(b, s[start:]...)
}

// hasControl reports whether w, eight bytes, may hold a byte appendSafe
// escapes: one below 0x20 (tab too, which it keeps) or 0x7f. It uses the
// usual word tricks: for a byte x under 0x80, x-0x20 borrows into bit 7
// exactly when x < 0x20; and x^0x7f is zero exactly when x is 0x7f. A
// borrow from one byte can only flag the next when that byte is itself
// flagged or the word has a byte that is, so "none" is exact.
func hasControl(w string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	_ = w[7] // one bounds check for the eight loads, which become one
	x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
	low := (x - 0x20*ones) &^ x & highs
	y := x ^ 0x7f*ones
	del := (y - ones) &^ y & highs
	return low|del != 0
}

var severityNames = [...]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// severityName is the syslog(3) name of a severity, "" for none (-1).
func severityName(s int) string {
	if s < 0 || s >= len(severityNames) {
		return ""
	}
	return severityNames[s]
}

var facilityNames = [...]string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

// facilityName is the usual name of a facility (RFC 5424 table 1), ""
// for none (-1).
func facilityName(f int) string {
	if f < 0 || f >= len(facilityNames) {
		return ""
	}
	return facilityNames[f]
}
