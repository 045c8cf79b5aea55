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
// Handlers answer through the Writer they are passed: replies leave from
// the loop's own socket, from the address each request was sent to, in
// one batch when the handler returns (Linux: one sendmmsg, with UDP GSO
// for runs to one destination), and nothing is allocated per reply.
// Send errors are classified by errpolicy's send tables and counted.
// Other goroutines send with Engine.WriteTo and Engine.Reply.
//
// A minimal server that answers every datagram:
//
//	e, err := engine.New(engine.Config{
//		Addr: "udp://:5353",
//		Handler: engine.HandlerFunc(func(w *engine.Writer, b engine.Batch) {
//			for _, d := range b.All() {
//				// d.Payload is reused after return; build the
//				// answer in a send slot, copying nothing.
//				w.Reply(d, append(w.Buffer(), answer(d.Payload)...))
//			}
//		}),
//	})
//	if err != nil {
//		return err
//	}
//	return e.Run(ctx) // until ctx is done
package engine
