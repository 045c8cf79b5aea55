package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"
)

// record is one message on its way to the output. It owns everything it
// refers to (see receiver.HandleBatch), so it may outlive the batch.
type record struct {
	Message
	src      netip.AddrPort // zero for an unbound unix datagram sender
	received time.Time
	err      error // why Message is FormatUnknown
}

// output writes records from one goroutine, which owns the bufio.Writer,
// fed by a bounded queue of batches: each HandleBatch call hands over
// its records in one slice, which the writer gives back through a free
// list once written, so the hand-off costs one channel send per batch
// and no allocation in the steady state.
//
// Why a queue and not a mutex around the writer: the handler runs on the
// engine's loops, and a loop that waits reads nothing. With a mutex, one
// slow write to stdout (a pipe read slowly or not at all, a paused
// terminal) holds the lock, and every loop waits behind it while the
// socket buffers fill and the kernel drops datagrams where nobody counts
// them. With the queue a loop never waits: when it is full the batch is
// dropped and its records counted in syslog_output_dropped_total and the
// summary, so the loss is visible. The writer flushes flushDelay after
// the queue ran empty, or when its 64 KiB buffer fills: a quiet stream
// shows each line within flushDelay and a busy one is written in large
// blocks; the stop hook (close) writes what is left and flushes.
type output struct {
	queue   chan []record
	free    chan []record // written batches, emptied, for the loops to reuse
	dropped atomic.Uint64
	done    chan struct{} // closed when run has written everything
	err     error         // the first write error; read after done

	w    *bufio.Writer
	enc  *json.Encoder // nil: readable lines
	line []byte        // reused for readable lines
}

// queueBatches is the output queue's capacity in batches. It must hold
// at least what a loop reads in one burst after the process was off the
// CPU: everything its receive buffer held (6553 of loggen's 256-byte
// datagrams in 4 MiB on Linux 6.18, times the loops). Per-record
// queues of 4096 dropped a few hundred records per second at loggen's
// full rate on a loaded 2-CPU machine, with no kernel drop at all.
// Batches are full in such a burst, so 1024 batches of up to 64 records
// hold 65536 messages; they take memory only while queued.
const queueBatches = 1024

func newOutput(w io.Writer, asJSON bool) *output {
	o := &output{
		queue: make(chan []record, queueBatches),
		free:  make(chan []record, queueBatches),
		done:  make(chan struct{}),
		w:     bufio.NewWriterSize(w, 64<<10),
	}
	if asJSON {
		o.enc = json.NewEncoder(o.w)
		o.enc.SetEscapeHTML(false) // log text, not HTML: keep < > & as they are
	}
	return o
}

// batch returns an empty slice for at least n records: a written one
// from the free list, or a new one with room for a full default batch
// (64), so that slices made when the rate was low serve a burst later.
func (o *output) batch(n int) []record {
	select {
	case rs := <-o.free:
		if cap(rs) >= n {
			return rs
		}
	default:
	}
	return make([]record, 0, max(n, 64))
}

// send queues rs for writing without waiting: a full queue drops it and
// counts its records. It is called by the loops, concurrently; rs
// belongs to the output afterwards.
func (o *output) send(rs []record) {
	if len(rs) == 0 {
		return
	}
	select {
	case o.queue <- rs:
	default:
		o.dropped.Add(uint64(len(rs)))
	}
}

// recycle empties a written batch (so that it keeps no message alive)
// and puts it on the free list, unless that is full.
func (o *output) recycle(rs []record) {
	clear(rs)
	select {
	case o.free <- rs[:0]:
	default:
	}
}

// flushDelay bounds how long a written line may wait in the buffer.
// Flushing each time the queue ran empty cost one write(2) per batch:
// at loggen's 50k messages/s, 12% of the program's CPU time (perf, Linux
// 6.18), about the same as its recvmmsg calls.
const flushDelay = 10 * time.Millisecond

// run writes records until the queue is closed, then flushes. It is the
// only goroutine that touches w.
func (o *output) run() {
	defer close(o.done)
	timer := time.NewTimer(flushDelay)
	timer.Stop()
	armed := false
	for {
		select {
		case rs, ok := <-o.queue:
			if !ok {
				timer.Stop()
				o.flush()
				return
			}
			if o.err == nil { // else the output is gone: drain, so no sender waits
				for _, r := range rs {
					o.write(r)
				}
			}
			o.recycle(rs)
			if !armed && len(o.queue) == 0 && o.w.Buffered() > 0 {
				timer.Reset(flushDelay)
				armed = true
			}
		case <-timer.C:
			armed = false
			o.flush()
		}
	}
}

func (o *output) write(r record) {
	if o.enc != nil {
		if err := o.enc.Encode(jsonRecord{
			Message:      r.Message,
			FacilityName: facilityName(r.Facility),
			SeverityName: severityName(r.Severity),
			Src:          r.src,
			Received:     r.received,
			Error:        errText(r.err),
		}); err != nil && o.err == nil {
			o.err = err
		}
		return
	}
	o.line = appendLine(o.line[:0], r)
	if _, err := o.w.Write(o.line); err != nil && o.err == nil {
		o.err = err
	}
}

func (o *output) flush() {
	if err := o.w.Flush(); err != nil && o.err == nil {
		o.err = err
	}
}

// close is the engine's stop hook (Config.OnStop). The engine runs it
// after every loop has drained its socket and returned, so no loop sends
// any more and closing the queue is safe; the writer then writes what is
// left and flushes. close waits for that, or for ctx (Shutdown's
// deadline), and returns the first write error.
func (o *output) close(ctx context.Context) error {
	close(o.queue)
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

// appendLine appends the readable form of r and a newline:
//
//	2026-11-22T05:32:17.114795Z local0.warning vm myapp[42]: hello
//
// with "-" for a missing timestamp or host. Control bytes in the text are
// escaped, so a message cannot drive the terminal. An unparsed datagram is
// shown quoted, after the time it was received, with its sender and why:
//
//	2026-11-22T05:36:40.390548804Z unknown 127.0.0.1:40000: "hello" (syslog: byte 0: want <PRI>)
func appendLine(b []byte, r record) []byte {
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
		b = r.Timestamp.AppendFormat(b, time.RFC3339Nano)
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
func appendSafe(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 0x20 && c != '\t') || c == 0x7f {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
			start = i + 1
		}
	}
	return append(b, s[start:]...)
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
