package bench

import (
	"context"
	"net"

	"github.com/udprx/udprx/batch"
	"github.com/udprx/udprx/engine"
)

// udprxReceiver is the engine with a handler that only counts.
type udprxReceiver struct {
	e *engine.Engine
	a arrivals
}

func newUdprxReceiver(cfg RecvConfig) (Receiver, error) {
	r := &udprxReceiver{}
	e, err := engine.New(engine.Config{
		Addr:         cfg.Listen,
		Loops:        cfg.Loops,
		BatchSize:    cfg.BatchSize,
		DatagramSize: cfg.BufSize,
		RecvBuffer:   cfg.RecvBuffer,
		Portable:     cfg.Portable,
		Logger:       cfg.Logger,
		Handler:      engine.HandlerFunc(func(*batch.Batch) { r.a.mark() }),
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
		Datagrams: s.Datagrams,
		Bytes:     s.Bytes,
		Batches:   s.Batches,
		Errors:    s.Errors,
		Restarts:  s.Restarts,
		Loops:     len(s.Loops),
	}
	if len(s.Loops) > 0 {
		c.Backend = "udprx/" + s.Loops[0].Socket.Backend
	}
	r.a.fill(&c)
	return c
}
