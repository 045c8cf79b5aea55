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
// Files of the send side: send.go (configuration, statistics, the flow
// loops), pace.go (the schedule), send_linux.go (sendmmsg and GSO),
// send_portable.go (net.UDPConn, built everywhere), send_other.go (the
// portable writer as the native one), payload.go (the header).
package bench
