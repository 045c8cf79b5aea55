package main

import (
	"errors"
	"net"
	"sync/atomic"

	"github.com/miekg/dns"

	"github.com/udprx/udprx/engine"
)

// counters counts answers by rcode (0 to 15) and what got none, per loop,
// each loop's on its own cache lines, summed only when read.
type counters struct {
	loops []loopCounters
}

type loopCounters struct {
	byRcode   [16]atomic.Uint64
	truncated atomic.Uint64
	dropped   atomic.Uint64
	_         [64]byte // keeps the next loop's counters off these cache lines
}

func newCounters(loops int) *counters { return &counters{loops: make([]loopCounters, max(loops, 1))} }

// count records the answer msg (nil: none) on loop i's counters.
func (c *counters) count(i int, msg []byte) {
	lc := &c.loops[i%len(c.loops)]
	if msg == nil {
		lc.dropped.Add(1)
		return
	}
	lc.byRcode[msg[3]&0x0f].Add(1)
	if msg[2]&flagTC != 0 {
		lc.truncated.Add(1)
	}
}

// sum returns the totals over every loop.
func (c *counters) sum() (byRcode [16]uint64, truncated, dropped uint64) {
	for i := range c.loops {
		lc := &c.loops[i]
		for r := range lc.byRcode {
			byRcode[r] += lc.byRcode[r].Load()
		}
		truncated += lc.truncated.Load()
		dropped += lc.dropped.Load()
	}
	return byRcode, truncated, dropped
}

// handler is the engine.Handler: each query is answered in the loop's
// next send slot (Writer.Buffer), so the answer is built where it is
// sent from, and the whole batch's answers leave in one send call when
// HandleBatch returns. Nothing here allocates or locks.
type handler struct {
	a *Answerer
	c *counters
}

// HandleBatch implements engine.Handler.
func (h *handler) HandleBatch(w *engine.Writer, b engine.Batch) {
	for _, d := range b.All() {
		var msg []byte
		if !d.Truncated() { // a query longer than the slot: not one to answer
			msg = h.a.Answer(w.Buffer(), d.Payload, true)
		}
		h.c.count(w.Loop(), msg)
		if msg != nil {
			// Only ErrNoAddress or ErrTooLarge, both counted by the
			// engine: Answer keeps within the slot.
			_ = w.Reply(d, msg)
		}
	}
}

// serveStdlib answers on conn with one blocking read and one write per
// query, through package net: the same answers as the engine's handler,
// for the benchmark's comparison. It returns when conn is closed.
func serveStdlib(conn *net.UDPConn, a *Answerer, c *counters, replySize int) error {
	in := make([]byte, 4096)
	out := make([]byte, 0, replySize)
	for {
		n, from, err := conn.ReadFromUDPAddrPort(in)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		msg := a.Answer(out, in[:n], true)
		c.count(0, msg)
		if msg != nil {
			conn.WriteToUDPAddrPort(msg, from) // a lost answer is a lost datagram
		}
	}
}

// miekgHandler answers through miekg/dns's dns.Server: over TCP next to
// the engine (the fallback after TC), and over UDP too for the
// benchmark's comparison. The server has already parsed the query into a
// dns.Msg; it is packed again to reach the same Answer, so the answers are
// the engine's, byte for byte, apart from name compression in the query.
type miekgHandler struct {
	a *Answerer
	c *counters
}

// ServeDNS implements dns.Handler.
func (h *miekgHandler) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	q, err := r.Pack()
	if err != nil {
		h.c.count(0, nil)
		return
	}
	_, udp := w.RemoteAddr().(*net.UDPAddr)
	size := maxTCP
	if udp {
		size = h.a.EDNSSize
	}
	msg := h.a.Answer(make([]byte, 0, max(size, minUDP)), q, udp)
	h.c.count(0, msg)
	if msg != nil {
		w.Write(msg) // the client's loss, as over UDP
	}
}

// acceptAll lets every query reach miekgHandler, which answers the
// malformed ones itself (the server's default refuses some silently).
func acceptAll(dns.Header) dns.MsgAcceptAction { return dns.MsgAccept }
