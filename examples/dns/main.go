// Command dns is an authoritative DNS server for one zone file, built on
// the udprx engine and its reply path. It answers A, AAAA, NS, SOA, TXT,
// CNAME, MX and any other type the zone holds, NXDOMAIN and NODATA with
// the SOA in authority, REFUSED outside the zone, FORMERR for what does
// not parse; EDNS0 with the client's UDP size, TC when an answer does not
// fit, and TCP on the same port for the retry.
//
//	go run ./examples/dns -listen udp://127.0.0.1:5353 -zone example.zone
//	dig @127.0.0.1 -p 5353 www.example.com A
//
// It shows how to reply from a handler: every answer the zone can give is
// compiled to wire format at load (zone.go, with github.com/miekg/dns);
// a query is parsed by hand and answered by copying its answer into the
// loop's next send slot (Writer.Buffer), with the query's ID, RD flag and
// question case (answer.go, no allocation), then Writer.Reply. Answers
// leave from the address the query was sent to, also on a wildcard
// address (the engine's default for a socket bound to one). See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/miekg/dns"

	"github.com/udprx/udprx/engine"
	"github.com/udprx/udprx/engine/pconn"
)

const (
	// replySize is the engine's send slot: the largest UDP answer. 4096
	// is the largest EDNS0 size clients commonly ask for.
	replySize = 4096
	// querySize is the engine's receive slot. A query is a question and
	// an OPT record, well under 512 bytes; a longer datagram is cut,
	// flagged, and not answered.
	querySize = 1024
)

func main() {
	sigs := make(chan os.Signal, 2) // room for the second: Notify never blocks
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	os.Exit(run(os.Args[1:], os.Stderr, sigs))
}

// run is the whole program: it returns the exit status, 0 after a
// graceful stop, 1 after a failure or a stop that overran -stop-timeout,
// 2 for bad flags. The first signal on sigs starts the stop; a second
// one cuts it short.
func run(args []string, stderr io.Writer, sigs <-chan os.Signal) int {
	fs := flag.NewFlagSet("dns", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "udp://127.0.0.1:5353", "where to answer: udp://host:port (udp4://, udp6://); TCP listens on the same address and port")
	zoneFile := fs.String("zone", "", "the zone file to serve (required)")
	origin := fs.String("origin", "", "the zone's name; empty: the file's $ORIGIN or its SOA's owner")
	loops := fs.Int("loops", 0, "event loops, each with its own SO_REUSEPORT socket; 0: one per CPU")
	rcvbuf := fs.Int("rcvbuf", 4<<20, "socket receive buffer per loop, bytes; 0 keeps the system default")
	ednsSize := fs.Int("edns-size", 1232, "largest UDP answer to an EDNS0 client, advertised in the OPT record (512 to 4096)")
	tcp := fs.Bool("tcp", true, "answer over TCP on the same port too (the retry after TC)")
	metricsAddr := fs.String("metrics", "", `host:port to serve Prometheus metrics on, at /metrics; "" for none`)
	impl := fs.String("impl", "udprx", "what answers over UDP: udprx (the engine), stdlib (one net.UDPConn read loop), miekg (dns.Server), miekg-pconn (dns.Server on the engine's net.PacketConn, engine/pconn); the last three are for comparison")
	stopTimeout := fs.Duration("stop-timeout", 5*time.Second, "how long the graceful stop may take before dns gives up on it and exits 1")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "dns: unexpected arguments %q\n", fs.Args())
		return 2
	case *zoneFile == "":
		fmt.Fprintf(stderr, "dns: -zone: a zone file is required\n")
		return 2
	case *ednsSize < minUDP || *ednsSize > replySize:
		fmt.Fprintf(stderr, "dns: -edns-size %d: want %d to %d\n", *ednsSize, minUDP, replySize)
		return 2
	case *impl != "udprx" && *impl != "stdlib" && *impl != "miekg" && *impl != "miekg-pconn":
		fmt.Fprintf(stderr, "dns: -impl %q: want udprx, stdlib, miekg or miekg-pconn\n", *impl)
		return 2
	case *stopTimeout <= 0:
		fmt.Fprintf(stderr, "dns: -stop-timeout %v: want more than 0\n", *stopTimeout)
		return 2
	}

	f, err := os.Open(*zoneFile)
	if err != nil {
		fmt.Fprintf(stderr, "dns: -zone: %v\n", err)
		return 1
	}
	z, err := LoadZone(f, *origin, *zoneFile)
	f.Close()
	if err != nil {
		fmt.Fprintf(stderr, "dns: %v\n", err)
		return 1
	}
	a := &Answerer{Zone: z, EDNSSize: *ednsSize}

	var ln net.Listener
	if *metricsAddr != "" {
		if ln, err = net.Listen("tcp", *metricsAddr); err != nil {
			fmt.Fprintf(stderr, "dns: -metrics: %v\n", err)
			return 1
		}
		defer ln.Close()
	}

	set := metrics.NewSet()
	var udp server
	switch *impl {
	case "udprx":
		udp, err = newEngineServer(*listen, *loops, *rcvbuf, a, set, stderr)
	case "stdlib":
		udp, err = newStdlibServer(*listen, *rcvbuf, a)
	case "miekg":
		udp, err = newMiekgServer(*listen, a, nil)
	case "miekg-pconn":
		udp, err = newMiekgServer(*listen, a, &engine.Config{Loops: *loops, RecvBuffer: *rcvbuf,
			DatagramSize: querySize, ReplySize: replySize, Metrics: set,
			Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	}
	if err != nil {
		fmt.Fprintf(stderr, "dns: %v\n", err)
		return 1
	}
	set.RegisterMetricsWriter(func(w io.Writer) { writeMetrics(w, udp.counters()) })
	addr := udp.addr()

	var tcpSrv *dns.Server
	tcpCounters := newCounters(1)
	if *tcp {
		tl, err := net.Listen("tcp", addr.String())
		if err != nil {
			udp.shutdown(context.Background())
			fmt.Fprintf(stderr, "dns: TCP on %s: %v\n", addr, err)
			return 1
		}
		tcpSrv = &dns.Server{Listener: tl, Handler: &miekgHandler{a: a, c: tcpCounters}, MsgAcceptFunc: acceptAll}
		go tcpSrv.ActivateAndServe()
	}
	// First line on stderr, in -listen's own form, so that a script (or
	// the test) started with port 0 learns the port.
	fmt.Fprintf(stderr, "dns: serving %s on udp://%s (%s)\n", z.Origin(), addr, *impl)

	if ln != nil {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
			set.WritePrometheus(w)
			metrics.WriteProcessMetrics(w)
		})
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		fmt.Fprintf(stderr, "dns: metrics on http://%s/metrics\n", ln.Addr())
	}

	done := make(chan error, 1)
	go func() { done <- udp.run() }()

	var sig os.Signal
	select {
	case err := <-done:
		if err == nil {
			err = errors.New("the server stopped by itself")
		}
		if tcpSrv != nil {
			tcpSrv.Shutdown()
		}
		fmt.Fprintf(stderr, "dns: %s\n", summary(udp.counters()))
		fmt.Fprintf(stderr, "dns: %s\n", oneLine(err))
		return 1
	case sig = <-sigs:
	}

	fmt.Fprintf(stderr, "dns: %s: stopping, up to %v\n", signalName(sig), *stopTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), *stopTimeout)
	defer cancel()
	go func() {
		select {
		case s := <-sigs:
			fmt.Fprintf(stderr, "dns: second %s: cutting the stop short\n", signalName(s))
			cancel()
		case <-ctx.Done():
		}
	}()
	var tcpErr error
	if tcpSrv != nil {
		tcpErr = tcpSrv.ShutdownContext(ctx)
	}
	// The engine answers every query already queued on its sockets
	// before Shutdown returns.
	stopErr := udp.shutdown(ctx)
	runErr := <-done
	fmt.Fprintf(stderr, "dns: %s\n", summary(udp.counters()))
	switch {
	case stopErr != nil:
		fmt.Fprintf(stderr, "dns: %s\n", oneLine(stopErr))
		return 1
	case tcpErr != nil:
		fmt.Fprintf(stderr, "dns: TCP: %s\n", oneLine(tcpErr))
		return 1
	case runErr != nil && !errors.Is(runErr, net.ErrClosed):
		fmt.Fprintf(stderr, "dns: %s\n", oneLine(runErr))
		return 1
	}
	return 0
}

// server is what answers over UDP: the engine, or one of the two kept
// for comparison.
type server interface {
	addr() netip.AddrPort
	run() error
	shutdown(ctx context.Context) error
	counters() *counters
}

type engineServer struct {
	e *engine.Engine
	c *counters
}

func newEngineServer(listen string, loops, rcvbuf int, a *Answerer, set *metrics.Set, stderr io.Writer) (*engineServer, error) {
	cfg := engine.Config{
		Addr:         listen,
		Loops:        loops,
		RecvBuffer:   rcvbuf,
		DatagramSize: querySize,
		ReplySize:    replySize,
		Metrics:      set,
		Logger:       slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	h := &handler{a: a}
	cfg.Handler = h
	e, err := engine.New(cfg)
	if err != nil {
		return nil, err
	}
	h.c = newCounters(len(e.Stats().Loops))
	return &engineServer{e: e, c: h.c}, nil
}

func (s *engineServer) addr() netip.AddrPort               { return addrPort(s.e.Addr()) }
func (s *engineServer) run() error                         { return s.e.Run(context.Background()) }
func (s *engineServer) shutdown(ctx context.Context) error { return s.e.Shutdown(ctx) }
func (s *engineServer) counters() *counters                { return s.c }

type stdlibServer struct {
	conn *net.UDPConn
	a    *Answerer
	c    *counters
}

func newStdlibServer(listen string, rcvbuf int, a *Answerer) (*stdlibServer, error) {
	network, hostport, err := splitListen(listen)
	if err != nil {
		return nil, err
	}
	conn, err := net.ListenPacket(network, hostport)
	if err != nil {
		return nil, err
	}
	uc := conn.(*net.UDPConn)
	if rcvbuf > 0 {
		uc.SetReadBuffer(rcvbuf)
	}
	return &stdlibServer{conn: uc, a: a, c: newCounters(1)}, nil
}

func (s *stdlibServer) addr() netip.AddrPort { return addrPort(s.conn.LocalAddr()) }
func (s *stdlibServer) run() error           { return serveStdlib(s.conn, s.a, s.c, replySize) }
func (s *stdlibServer) shutdown(context.Context) error {
	return s.conn.Close()
}
func (s *stdlibServer) counters() *counters { return s.c }

type miekgServer struct {
	srv  *dns.Server
	conn net.PacketConn
	c    *counters
}

// newMiekgServer serves through dns.Server on a net.PacketConn: the
// standard library's, or with onEngine, a pconn.Conn on an engine
// configured by it (its Addr and Handler are set here).
func newMiekgServer(listen string, a *Answerer, onEngine *engine.Config) (*miekgServer, error) {
	network, hostport, err := splitListen(listen)
	if err != nil {
		return nil, err
	}
	var conn net.PacketConn
	if onEngine != nil {
		cfg := *onEngine
		cfg.Addr = listen
		conn, err = pconn.New(pconn.Config{Engine: cfg})
	} else {
		conn, err = net.ListenPacket(network, hostport)
	}
	if err != nil {
		return nil, err
	}
	c := newCounters(1)
	srv := &dns.Server{PacketConn: conn, Handler: &miekgHandler{a: a, c: c}, MsgAcceptFunc: acceptAll, UDPSize: replySize}
	return &miekgServer{srv: srv, conn: conn, c: c}, nil
}

func (s *miekgServer) addr() netip.AddrPort               { return addrPort(s.conn.LocalAddr()) }
func (s *miekgServer) run() error                         { return s.srv.ActivateAndServe() }
func (s *miekgServer) shutdown(ctx context.Context) error { return s.srv.ShutdownContext(ctx) }
func (s *miekgServer) counters() *counters                { return s.c }

// splitListen turns udp://host:port into net's network and address.
func splitListen(listen string) (network, hostport string, err error) {
	network, hostport, ok := strings.Cut(listen, "://")
	if !ok || (network != "udp" && network != "udp4" && network != "udp6") {
		return "", "", fmt.Errorf("-listen %q: want udp://host:port", listen)
	}
	return network, hostport, nil
}

func addrPort(a net.Addr) netip.AddrPort {
	if ua, ok := a.(*net.UDPAddr); ok {
		return ua.AddrPort()
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}

// rcodeNames names the rcodes of the summary and the metrics.
var rcodeNames = [16]string{0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}

func rcodeName(r int) string {
	if rcodeNames[r] != "" {
		return rcodeNames[r]
	}
	return fmt.Sprintf("RCODE%d", r)
}

// summary is the exit line:
//
//	answers: NOERROR=10 FORMERR=0 NXDOMAIN=2 NOTIMP=0 REFUSED=1 truncated=0 unanswered=0
func summary(c *counters) string {
	by, trunc, dropped := c.sum()
	var b strings.Builder
	b.WriteString("answers:")
	for _, r := range []int{0, 1, 3, 4, 5} {
		fmt.Fprintf(&b, " %s=%d", rcodeName(r), by[r])
	}
	fmt.Fprintf(&b, " truncated=%d unanswered=%d", trunc, dropped)
	return b.String()
}

// writeMetrics writes dns_answers_total{rcode=...}, dns_truncated_total
// and dns_unanswered_total for the UDP answers.
func writeMetrics(w io.Writer, c *counters) {
	by, trunc, dropped := c.sum()
	for r, n := range by {
		if n > 0 || rcodeNames[r] != "" {
			fmt.Fprintf(w, "dns_answers_total{rcode=%q} %d\n", rcodeName(r), n)
		}
	}
	fmt.Fprintf(w, "dns_truncated_total %d\n", trunc)
	fmt.Fprintf(w, "dns_unanswered_total %d\n", dropped)
}

// oneLine puts an error on one line: errors.Join separates with newlines.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

// signalName names the signals dns stops on as a shell does.
func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}
