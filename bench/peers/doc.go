// Package peers holds the receive loops udpbench compares, behind one
// interface, Receiver: udprx's engine ("udprx", "udprx-gro"), the standard
// library ("stdlib"), golang.org/x/net's ReadBatch ("xnet"), gnet/v2
// ("gnet") and the plainest recvmmsg loop ("rawmmsg"); and the same loops
// as echo servers (NewEchoServer), which answer every datagram to its
// sender. It is the only package of udprx that imports gnet and x/net's
// ipv4 and ipv6 (engine/pconn aside, for x/net's message type).
//
// All of them count alike (RecvCounts), and the udprx receiver tracks the
// bench/wire headers it receives, so their figures can be set side by side:
//
//	r, err := peers.NewReceiver("udprx", peers.RecvConfig{Listen: "udp4://127.0.0.1:0"})
//	if err != nil { ... }
//	go r.Run(ctx)
//	// ... send to r.Addr() ...
//	r.Stop(ctx)
//	fmt.Println(r.Counts().Datagrams)
//
// Files: receiver.go (the interface, the registry of names), echo.go (the
// echo servers by name), conngroup.go (SO_REUSEPORT sockets shared by the
// stdlib and x/net loops), recv_udprx.go, recv_stdlib.go, recv_xnet.go,
// recv_gnet.go, recv_rawmmsg_linux.go (one loop each, with their _other.go
// stand-ins where the system lacks them), sockperf.go (answering sockperf's
// header), reuseport_unix.go / reuseport_other.go.
package peers
