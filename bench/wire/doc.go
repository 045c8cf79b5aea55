// Package wire is what a udpbench datagram carries and what a receiver
// learns from it: the 24-byte payload header (flow, sequence number, send
// time) that the load generator writes, and the Tracker that reads it back
// on the receiving side and counts loss, duplicates, reordering, jitter and
// one-way latency per flow.
//
// It is the bottom of bench: the sender (bench/load) writes headers, the
// receivers under comparison (bench/peers) track them, and neither needs
// the other.
//
//	p := make([]byte, 64)
//	wire.PutHeader(p, wire.Header{Flow: 0, Seq: 7, SentUnixNano: time.Now().UnixNano()})
//	tr := wire.NewTracker()
//	tr.Observe(p, time.Now().UnixNano())
//	fmt.Println(tr.Summary().Datagrams) // 1
//
// Files: header.go (the header's layout), tracker.go (the Tracker).
package wire
