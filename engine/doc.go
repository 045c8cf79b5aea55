// Package engine is udprx's public API: it receives UDP datagrams with one
// event loop per socket and hands them to a Handler in batches, with no
// allocation per datagram.
//
// Each loop owns one socket (several loops bind one address with
// SO_REUSEPORT), one poller and one batch of preallocated buffers, and runs
// on its own goroutine (locked to an OS thread only with Config.PinCPU). On
// Linux a loop waits on a level-triggered epoll instance, itself watched by
// the Go runtime's poller so that the goroutine parks between bursts, and
// reads up to BatchSize datagrams per recvmmsg call; on darwin
// and FreeBSD it waits in kqueue and drains with recvmsg; elsewhere it
// reads through package net.
//
// Every receive error and every hang-up the poller reports is classified
// by package errpolicy: read on, back off, or end the loop, in which case
// a supervisor re-opens its socket with backoff. No loop spins on a dead
// socket, and repeated errors are logged once and then summarised.
//
// A minimal server:
//
//	e, err := engine.New(engine.Config{
//		Addr: "udp://:5353",
//		Handler: engine.HandlerFunc(func(_ *Writer, b Batch) {
//			for _, d := range b.All() {
//				handle(d.Src, d.Payload) // d.Payload is reused after return
//			}
//		}),
//	})
//	if err != nil {
//		return err
//	}
//	return e.Run(ctx) // until ctx is done
package engine
