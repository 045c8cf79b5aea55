// Command miekgdns is the miekg/dns server used to compare a pconn.Conn
// with a *net.UDPConn under dnsperf (docs/performance.md):
//
//	go run ./examples/miekgdns -conn pconn &   # or -conn udpconn
//	dnsperf -s 127.0.0.1 -p 5399 -d queries.txt -l 4 -c 8 -Q 200000 -q 500
//	kill -INT %1                              # prints the engine's drop counters
package main
