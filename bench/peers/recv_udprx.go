package peers

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/udprx/udprx/bench/wire"
	"github.com/udprx/udprx/engine"
)

// udprxReceiver is the engine with a handler that only counts (and, with
// RecvConfig.Track, reads the udpbench headers).
type udprxReceiver struct {
	e    *engine.Engine
	a    arrivals
	seen atomic.Uint64 // datagrams handed to the handler, for a

	mu      sync.Mutex // one wire.Tracker for every loop: locked once a batch
	tracker *wire.Tracker
}

func newUdprxReceiver(cfg RecvConfig) (Receiver, error) { return newUdprx(cfg, false) }

// newUdprxGROReceiver is the engine with UDP GRO: coalesced reads split
// back into datagrams. Where the kernel refuses GRO it runs without, and
// Counts().Backend says so.
func newUdprxGROReceiver(cfg RecvConfig) (Receiver, error) { return newUdprx(cfg, true) }

// newUdprxEcho is the engine as an echo server: its handler answers every
// datagram with its own payload through Writer.Reply, which copies it into
// a send slot; the loop sends the batch's replies with one sendmmsg (with
// UDP GSO for runs of equal-size replies to one client) when the handler
// returns, each from the address its request was sent to.
func newUdprxEcho(cfg RecvConfig) (Receiver, error) {
	cfg.Track = false
	return newUdprxWith(cfg, false, func(r *udprxReceiver) engine.HandlerFunc { return r.echo })
}

func newUdprx(cfg RecvConfig, gro bool) (Receiver, error) { return newUdprxWith(cfg, gro, nil) }

// newUdprxWith builds the engine on cfg with the handler handlerOf picks
// (nil: counting, and tracking with cfg.Track).
func newUdprxWith(cfg RecvConfig, gro bool, handlerOf func(*udprxReceiver) engine.HandlerFunc) (Receiver, error) {
	r := &udprxReceiver{}
	handler := engine.HandlerFunc(r.mark)
	switch {
	case handlerOf != nil:
		handler = handlerOf(r)
	case cfg.Track:
		r.tracker = wire.NewTracker()
		handler = r.track
	}
	e, err := engine.New(engine.Config{
		Addr:         cfg.Listen,
		Loops:        cfg.Loops,
		BatchSize:    cfg.BatchSize,
		DatagramSize: cfg.BufSize,
		ReplySize:    cfg.BufSize, // an echo's reply is as long as its request
		RecvBuffer:   cfg.RecvBuffer,
		Portable:     cfg.Portable,
		PinCPU:       cfg.PinCPU,
		IncomingCPU:  cfg.IncomingCPU,
		ReadBudget:   cfg.ReadBudget,
		Gather:       cfg.Gather,
		Logger:       cfg.Logger,
		GRO:          gro,
		ReceiveOnly:  true, // a receiver under test: no replies, no IP_PKTINFO
		Handler:      handler,
	})
	if err != nil {
		return nil, err
	}
	r.e = e
	return r, nil
}

func (r *udprxReceiver) Addr() net.Addr                 { return r.e.Addr() }
func (r *udprxReceiver) Run(ctx context.Context) error  { return r.e.Run(ctx) }
func (r *udprxReceiver) Stop(ctx context.Context) error { return r.e.Shutdown(ctx) }

func (r *udprxReceiver) Counts() RecvCounts {
	s := r.e.Stats()
	c := RecvCounts{
		Datagrams:   s.Datagrams,
		Bytes:       s.Bytes,
		Batches:     s.Batches,
		Errors:      s.Errors,
		Restarts:    s.Restarts,
		KernelDrops: s.KernelDrops,
		Replies:     s.Sent,
		SendDrops:   s.SendDrops,
		Loops:       len(s.Loops),
	}
	for _, l := range s.Loops {
		c.IncomingCPUs = append(c.IncomingCPUs, l.IncomingCPU)
	}
	if len(s.Loops) > 0 {
		c.Backend = "udprx/" + s.Loops[0].Socket.Backend
		if s.Loops[0].Socket.GRO {
			c.Backend += "+gro"
		}
	}
	r.a.fill(&c)
	if r.tracker != nil {
		r.mu.Lock()
		l := r.tracker.Summary()
		r.mu.Unlock()
		c.Latency = &l
	}
	return c
}

// mark is the handler without RecvConfig.Track: it only notes the batch's
// arrival (the engine counts).
func (r *udprxReceiver) mark(_ *engine.Writer, b engine.Batch) {
	n := uint64(b.Len())
	r.a.mark(r.seen.Add(n), n)
}

// track is the handler with RecvConfig.Track: every datagram of the batch
// goes through the Tracker, stamped with one clock reading per batch.
func (r *udprxReceiver) track(w *engine.Writer, b engine.Batch) {
	r.mark(w, b)
	now := time.Now().UnixNano()
	r.mu.Lock()
	for _, d := range b.All() {
		r.tracker.Observe(d.Payload, now)
	}
	r.mu.Unlock()
}

// echo is the echo server's handler: every datagram answered with its own
// payload. Reply fails only for a datagram with no source (none on UDP)
// or a payload over Config.ReplySize (none: it is DatagramSize); the
// engine counts both as send drops.
func (r *udprxReceiver) echo(w *engine.Writer, b engine.Batch) {
	r.mark(w, b)
	for _, d := range b.All() {
		w.Reply(d, d.Payload)
	}
}
