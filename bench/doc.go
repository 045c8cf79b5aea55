// Package bench is udprx's benchmark kit, the library behind the udpbench
// command: it runs the trials that set udprx beside the receive loops it
// is compared with. Compare measures receivers under one load (a sender in
// a child process, udpbench send) or draining a queue filled before they
// start; EchoCompare measures echo servers under one request-response
// load; ZeroLoss searches for the highest rate a receiver takes without
// loss.
//
//	rep, err := bench.Compare(ctx, bench.CompareConfig{
//		TrialSetup: bench.TrialSetup{SenderCommand: []string{"/usr/local/bin/udpbench", "send"}},
//		Receivers:  []string{"udprx", "stdlib"},
//	}, nil)
//	if err != nil { ... }
//	rep.WriteText(os.Stdout)
//
// The parts of a trial are subpackages, each with one job; bench imports
// them all and none of them imports bench:
//
//	bench/wire      the payload header and the Tracker that reads it back (loss, latency)
//	bench/load      the sender (Send, sendmmsg and GSO, pacing), the RR client, and
//	                "udpbench send"'s command line and JSON summary
//	bench/peers     the receivers and echo servers compared: udprx, stdlib, x/net,
//	                gnet, rawmmsg (the only importer of gnet and x/net)
//	bench/hoststat  CPU time, /proc UDP counters, the loss split
//	bench/report    a comparison's results as text, JSON and a chart (the only
//	                importer of gonum)
//
// Files of this package: compare.go (Compare and the trial runner),
// compare_linux.go / compare_other.go (pinning the sender and the receiver
// to CPUs), echocompare.go (EchoCompare and its report), zeroloss.go
// (ZeroLoss and its report). The drain benchmarks (drain_linux_test.go,
// BenchmarkDrain) and the reply benchmark (stream_linux_test.go) are here
// too, since they compare receivers fed by the sender.
package bench
