package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"

	"github.com/miekg/dns"

	"github.com/udprx/udprx/engine"
	"github.com/udprx/udprx/engine/pconn"
)

func main() {
	mode := flag.String("conn", "pconn", "the server's conn: pconn (a pconn.Conn) or udpconn (a *net.UDPConn)")
	addr := flag.String("addr", "127.0.0.1:5399", "address to serve on")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	var pc net.PacketConn
	var err error
	switch *mode {
	case "pconn":
		pc, err = pconn.New(pconn.Config{Engine: engine.Config{Addr: "udp4://" + *addr, Loops: 1, RecvBuffer: 8 << 20}})
	case "udpconn":
		var uc *net.UDPConn
		uc, err = net.ListenUDP("udp4", udpAddr(*addr))
		if err == nil {
			uc.SetReadBuffer(8 << 20)
			pc = uc
		}
	default:
		err = fmt.Errorf("-conn %q: want pconn or udpconn", *mode)
	}
	if err != nil {
		log.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(answer)}
	go func() {
		if err := srv.ActivateAndServe(); err != nil {
			log.Fatal(err)
		}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
	srv.Shutdown()
	if c, ok := pc.(*pconn.Conn); ok {
		s := c.Engine().Stats()
		fmt.Printf("read %d, sent %d, app drops %d, kernel drops %d, send drops %d\n",
			s.Datagrams, s.Sent, s.AppDrops, s.KernelDrops, s.SendDrops)
	}
	pc.Close()
}

func udpAddr(s string) *net.UDPAddr {
	a, err := net.ResolveUDPAddr("udp4", s)
	if err != nil {
		log.Fatal(err)
	}
	return a
}

// answer gives every A question one address.
func answer(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	if len(r.Question) == 1 {
		m.Answer = []dns.RR{&dns.A{
			Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300},
			A:   net.IPv4(192, 0, 2, 80),
		}}
	}
	w.WriteMsg(m)
}
