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
// a supervisor empties the socket, closes it and re-opens it with backoff;
// only an error that means the socket is broken ends a loop, and a handler
// panic is recovered and the loop reads on. No loop spins on a dead
// socket, and repeated errors are logged once and then summarised.
//
// A minimal server:
//
//	e, err := engine.New(engine.Config{
//		Addr: "udp://:5353",
//		Handler: engine.HandlerFunc(func(b *batch.Batch) {
//			for _, d := range b.Datagrams() {
//				handle(d.Src, d.Payload) // d.Payload is reused after return
//			}
//		}),
//	})
//	if err != nil {
//		return err
//	}
//	return e.Run(ctx) // until ctx is done
package engine
