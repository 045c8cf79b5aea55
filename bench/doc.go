// Package bench is udprx's benchmark kit, the library behind the udpbench
// command: a UDP load generator, the receivers under comparison behind one
// interface, and the payload header that lets a receiver count loss,
// duplicates, reordering and one-way latency.
//
// The load generator, Send, sends from one or more connected UDP sockets
// (flows), paced to a rate or as fast as possible, for a duration, a count
// or until its context is done. On Linux it sends with sendmmsg and
// optionally UDP GSO, which makes it cheap enough to saturate a receiver on
// the same host; elsewhere it writes one datagram per call. Every payload of
// at least HeaderSize bytes starts with a Header.
//
// Example: send 100 000 datagrams per second for 5 s over 4 flows, printing
// progress once a second:
//
//	st, err := bench.Send(ctx, bench.SendConfig{
//		To:       "127.0.0.1:9000",
//		Rate:     100_000,
//		Duration: 5 * time.Second,
//		Flows:    4,
//	}, func(s bench.SendStats) { log.Printf("%d sent", s.Datagrams) })
//	if err != nil { ... }
//	fmt.Printf("%.0f datagrams/s\n", st.Rate())
//
// On the receiving side, ParseHeader reads what Send wrote:
//
//	if h, ok := bench.ParseHeader(payload); ok {
//		// h.Flow, h.Seq, h.SentUnixNano
//	}
//
// The reply side: NewEchoServer builds an echo server on each loop under
// comparison (udprx through engine.Writer, stdlib, x/net, gnet, a plain
// recvmmsg+sendmmsg loop), RR drives one with requests, paced or in closed
// loop, and reports answered/unanswered and round-trip percentiles, and
// EchoCompare sets the servers side by side under one RR load:
//
//	st, err := bench.RR(ctx, bench.RRConfig{
//		To: "127.0.0.1:9000", Rate: 100_000, Flows: 4, Duration: 5 * time.Second,
//	})
//	fmt.Printf("%d of %d answered, p99 %v\n", st.Answered, st.Sent, st.P99)
//
// Files of the reply side: echo.go (the servers by name), rr.go (the
// client), answer_linux.go / answer_other.go (how it reads answers),
// echocompare.go (the comparison), sockperf.go (answering sockperf).
//
// Files of the send side: send.go (configuration, statistics, the flow
// loops), pace.go (the schedule), send_linux.go (sendmmsg and GSO),
// send_portable.go (net.UDPConn, built everywhere), send_other.go (the
// portable writer as the native one), payload.go (the header).
package bench
