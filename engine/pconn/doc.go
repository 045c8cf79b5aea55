// Package pconn is a net.PacketConn on udprx's engine: code written for
// net.ListenPacket("udp", addr) (miekg/dns, quic-go, pion, kcp-go) reads
// from the engine's batches and writes through its send path without a
// rewrite around engine.Handler.
//
// It is the easiest of the three ways into the engine, and the slowest:
// a handler of its own (engine.Handler, with replies through the
// engine.Writer) reads each datagram where the loop put it; engine.Workers
// copies each once to hand it to worker goroutines; a Conn copies each
// twice (into its queue, then into the reader's buffer) and serves
// readers one datagram per call.
//
//	pc, err := pconn.ListenPacket("udp", ":5353")
//	if err != nil {
//		return err
//	}
//	defer pc.Close()
//	srv := &dns.Server{PacketConn: pc, Handler: zone}
//	return srv.ActivateAndServe()
package pconn
