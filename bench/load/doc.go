// Package load is udpbench's traffic generator: Send, which sends datagrams
// carrying a bench/wire header from one or more connected UDP sockets
// (flows), paced to a rate or as fast as possible; and RR, the
// request-response client that sends to an echo server and times each
// answer.
//
// On Linux Send uses sendmmsg and optionally UDP GSO, which makes it cheap
// enough to saturate a receiver on the same host; elsewhere it writes one
// datagram per call.
//
//	st, err := load.Send(ctx, load.SendConfig{
//		To:       "127.0.0.1:9000",
//		Rate:     100_000,
//		Duration: 5 * time.Second,
//		Flows:    4,
//	}, func(s load.SendStats) { log.Printf("%d sent", s.Datagrams) })
//	if err != nil { ... }
//	fmt.Printf("%.0f datagrams/s\n", st.Rate())
//
//	rr, err := load.RR(ctx, load.RRConfig{
//		To: "127.0.0.1:9000", Rate: 100_000, Flows: 4, Duration: 5 * time.Second,
//	})
//	fmt.Printf("%d of %d answered, p99 %v\n", rr.Answered, rr.Sent, rr.P99)
//
// Files of the send side: send.go (configuration, statistics, the flow
// loops), pace.go (the schedule), send_linux.go (sendmmsg and GSO),
// send_portable.go (net.UDPConn, built everywhere), send_other.go (the
// portable writer as the native one). Of the request-response client:
// rr.go, and answer_linux.go / answer_other.go (how it reads answers).
// command.go: both as child processes, their command lines and summaries.
package load
