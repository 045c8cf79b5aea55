package pconn

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/udprx/udprx/engine"
)

const testZone = `$ORIGIN example.test.
$TTL 300
@	IN SOA ns1 admin 1 3600 600 86400 300
@	IN NS  ns1
ns1	IN A   192.0.2.1
www	IN A   192.0.2.80
www	IN A   192.0.2.81
mail	IN AAAA 2001:db8::25
`

// zoneHandler answers from a parsed zone, authoritatively: the records of
// the name and type asked, NXDOMAIN for a name it does not have.
type zoneHandler map[string][]dns.RR // "name type" -> records

func parseZone(t *testing.T) zoneHandler {
	t.Helper()
	z := zoneHandler{}
	zp := dns.NewZoneParser(strings.NewReader(testZone), "", "")
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		h := rr.Header()
		k := h.Name + " " + dns.TypeToString[h.Rrtype]
		z[k] = append(z[k], rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatal(err)
	}
	return z
}

func (z zoneHandler) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	q := r.Question[0]
	m.Answer = z[strings.ToLower(q.Name)+" "+dns.TypeToString[q.Qtype]]
	if len(m.Answer) == 0 {
		known := false
		for k := range z {
			if strings.HasPrefix(k, strings.ToLower(q.Name)+" ") {
				known = true
			}
		}
		if !known {
			m.Rcode = dns.RcodeNameError
		}
	}
	w.WriteMsg(m)
}

// TestMiekgDNS serves a zone with miekg/dns's server on a Conn and asks
// it with miekg's client (and dig, where installed); the server's
// Shutdown, which unblocks its reader with a past read deadline, returns
// promptly.
func TestMiekgDNS(t *testing.T) {
	pc, err := New(Config{Engine: engine.Config{Addr: "udp4://127.0.0.1:0", Loops: 2, ReplySize: 4096}})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: parseZone(t), NotifyStartedFunc: func() { close(started) }}
	served := make(chan error, 1)
	go func() { served <- srv.ActivateAndServe() }()
	select {
	case <-started:
	case err := <-served:
		t.Fatalf("ActivateAndServe: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not start within 5s")
	}
	addr := pc.LocalAddr().String()

	cl := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	for _, tc := range []struct {
		name  string
		qtype uint16
		rcode int
		want  []string
	}{
		{"www.example.test.", dns.TypeA, dns.RcodeSuccess, []string{"192.0.2.80", "192.0.2.81"}},
		{"mail.example.test.", dns.TypeAAAA, dns.RcodeSuccess, []string{"2001:db8::25"}},
		{"ns1.example.test.", dns.TypeAAAA, dns.RcodeSuccess, nil},
		{"nope.example.test.", dns.TypeA, dns.RcodeNameError, nil},
	} {
		for i := range 20 { // several queries each, over both loops' sockets
			q := new(dns.Msg)
			q.SetQuestion(tc.name, tc.qtype)
			r, _, err := cl.Exchange(q, addr)
			if err != nil {
				t.Fatalf("%s %s #%d: %v", tc.name, dns.TypeToString[tc.qtype], i, err)
			}
			var got []string
			for _, rr := range r.Answer {
				switch a := rr.(type) {
				case *dns.A:
					got = append(got, a.A.String())
				case *dns.AAAA:
					got = append(got, a.AAAA.String())
				}
			}
			if r.Rcode != tc.rcode || !r.Authoritative || fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("%s %s: rcode %s aa %v answers %v, want %s aa answers %v", tc.name, dns.TypeToString[tc.qtype],
					dns.RcodeToString[r.Rcode], r.Authoritative, got, dns.RcodeToString[tc.rcode], tc.want)
			}
		}
	}

	if dig, err := exec.LookPath("dig"); err != nil {
		t.Logf("dig not installed: skipping the dig query (%v)", err)
	} else {
		_, port, _ := net.SplitHostPort(addr)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, err := exec.CommandContext(ctx, dig, "@127.0.0.1", "-p", port, "+short", "+tries=1", "+time=2", "www.example.test", "A").Output()
		cancel()
		if err != nil {
			t.Fatalf("dig: %v: %s", err, out)
		}
		if got := strings.Fields(string(out)); fmt.Sprint(got) != "[192.0.2.80 192.0.2.81]" {
			t.Errorf("dig +short: %q, want 192.0.2.80 and 192.0.2.81", out)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.ShutdownContext(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("ActivateAndServe: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the server took %v to shut down, want under 1s", d)
	}
	if s := pc.Engine().Stats(); s.AppDrops != 0 || s.SendDrops != 0 || s.Sent < 80 {
		t.Errorf("stats: %d sent, %d send drops, %d app drops: want every query answered", s.Sent, s.SendDrops, s.AppDrops)
	}
}
