package main

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// testZone has every record type the server must answer, a CNAME chain
// inside the zone, one leaving it, one to a missing name, an empty
// non-terminal (b.c), and TXT sets of about 800 and 1800 bytes: one fits
// an EDNS0 answer but not 512 bytes, the other fits only over TCP.
var testZone = `$ORIGIN example.com.
$TTL 3600
@	IN SOA ns1 hostmaster 2026120301 7200 3600 1209600 300
@	IN NS ns1
@	IN NS ns2.example.net.
@	IN MX 10 mail
@	IN MX 20 mail2.example.net.
@	IN A 192.0.2.1
ns1	IN A 192.0.2.53
ns1	IN AAAA 2001:db8::53
www	IN A 192.0.2.10
www	IN A 192.0.2.11
www	IN AAAA 2001:db8::10
mail	IN A 192.0.2.25
txt	IN TXT "v=spf1 -all"
txt	IN TXT "two" "strings"
alias	IN CNAME www
alias2	IN CNAME alias
ext	IN CNAME www.example.net.
dangling	IN CNAME nothere
a.b.c	IN A 192.0.2.99
srv	IN SRV 0 5 5060 www
` + bigTXT("big", 8, 90) + bigTXT("huge", 20, 90)

// bigTXT is n TXT records of size bytes each at name.
func bigTXT(name string, n, size int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s\tIN TXT \"%02d%s\"\n", name, i, strings.Repeat("x", size-2))
	}
	return b.String()
}

func loadTestZone(t testing.TB) *Zone {
	t.Helper()
	z, err := LoadZone(strings.NewReader(testZone), "", "test.zone")
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// zoneRRs is the test zone parsed by miekg/dns alone: the reference
// answers are built from this, not from Zone.
func zoneRRs(t testing.TB) []dns.RR {
	t.Helper()
	zp := dns.NewZoneParser(strings.NewReader(testZone), "", "test.zone")
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatal(err)
	}
	return rrs
}

// reference answers q as the zone's specification says, with miekg/dns
// messages and a linear scan of the records: the answer the server's
// must equal. ednsSize is the server's EDNSSize.
func reference(rrs []dns.RR, q *dns.Msg, udp bool, ednsSize int) *dns.Msg {
	origin := "example.com."
	var soa *dns.SOA
	for _, rr := range rrs {
		if s, ok := rr.(*dns.SOA); ok {
			soa = dns.Copy(s).(*dns.SOA)
		}
	}
	soa.Hdr.Ttl = min(soa.Hdr.Ttl, soa.Minttl)
	m := new(dns.Msg)
	m.SetReply(q)
	m.Authoritative = true
	qn := q.Question[0]
	lookup := func(name string, t uint16) (out []dns.RR) {
		for _, rr := range rrs {
			if strings.EqualFold(rr.Header().Name, name) && (rr.Header().Rrtype == t || t == dns.TypeANY) {
				out = append(out, rr)
			}
		}
		return out
	}
	exists := func(name string) bool {
		for _, rr := range rrs {
			if dns.IsSubDomain(strings.ToLower(name), strings.ToLower(rr.Header().Name)) {
				return true
			}
		}
		return false
	}
	switch {
	case qn.Qclass != dns.ClassINET || !dns.IsSubDomain(origin, strings.ToLower(qn.Name)):
		m.Authoritative = false
		m.Rcode = dns.RcodeRefused
	default:
		name := qn.Name
		for range maxChase {
			if c := lookup(name, dns.TypeCNAME); c != nil && qn.Qtype != dns.TypeCNAME {
				m.Answer = append(m.Answer, c...)
				name = c[0].(*dns.CNAME).Target
				if !dns.IsSubDomain(origin, strings.ToLower(name)) {
					break
				}
				continue
			}
			if a := lookup(name, qn.Qtype); a != nil {
				m.Answer = append(m.Answer, a...)
			} else {
				m.Ns = []dns.RR{soa}
				if !exists(name) {
					m.Rcode = dns.RcodeNameError
				}
			}
			break
		}
	}
	limit := maxTCP
	if udp {
		limit = minUDP
	}
	if o := q.IsEdns0(); o != nil {
		if udp {
			limit = min(max(int(o.UDPSize()), minUDP), ednsSize)
		}
		m.SetEdns0(uint16(ednsSize), false)
	}
	if m.Len() > limit {
		m.Truncated = true
		m.Answer, m.Ns = nil, nil
	}
	return m
}

// sameAnswer reports how got differs from want, "" when it does not:
// header, question as sent (case kept), and each section as a set of
// records compared case-insensitively.
func sameAnswer(got, want *dns.Msg) string {
	if got.MsgHdr != want.MsgHdr {
		return fmt.Sprintf("header %+v, want %+v", got.MsgHdr, want.MsgHdr)
	}
	if !slices.Equal(got.Question, want.Question) {
		return fmt.Sprintf("question %v, want %v", got.Question, want.Question)
	}
	for _, s := range []struct {
		name      string
		got, want []dns.RR
	}{{"answer", got.Answer, want.Answer}, {"authority", got.Ns, want.Ns}, {"additional", got.Extra, want.Extra}} {
		if g, w := rrStrings(s.got), rrStrings(s.want); !slices.Equal(g, w) {
			return fmt.Sprintf("%s %q, want %q", s.name, g, w)
		}
	}
	return ""
}

func rrStrings(rrs []dns.RR) []string {
	var s []string
	for _, rr := range rrs {
		s = append(s, strings.ToLower(rr.String()))
	}
	slices.Sort(s)
	return s
}

// TestAnswersMatchMiekg answers a generated query set, every name of the
// zone and a few it lacks, in every case pattern, times every type, with
// and without EDNS0 at several sizes, over UDP and TCP, and compares each
// answer with reference's.
func TestAnswersMatchMiekg(t *testing.T) {
	z := loadTestZone(t)
	rrs := zoneRRs(t)
	a := &Answerer{Zone: z, EDNSSize: 1232}
	names := []string{
		"example.com.", "www.example.com.", "WwW.ExAmPlE.CoM.", "ns1.example.com.", "mail.example.com.",
		"txt.example.com.", "alias.example.com.", "ALIAS2.example.com.", "ext.example.com.",
		"dangling.example.com.", "a.b.c.example.com.", "b.c.example.com.", "c.example.com.",
		"srv.example.com.", "big.example.com.", "huge.example.com.", "nope.example.com.",
		"deep.nope.example.com.", "example.net.", "com.", ".", "xexample.com.",
	}
	types := []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeNS, dns.TypeSOA, dns.TypeTXT, dns.TypeCNAME,
		dns.TypeMX, dns.TypeSRV, dns.TypePTR, dns.TypeCAA}
	type variant struct {
		edns bool
		size uint16
		udp  bool
	}
	variants := []variant{{false, 0, true}, {true, 512, true}, {true, 1232, true}, {true, 4096, true}, {true, 100, true}, {false, 0, false}, {true, 1232, false}}
	buf := make([]byte, 0, replySize)
	n := 0
	for _, name := range names {
		for _, qt := range types {
			for _, v := range variants {
				q := new(dns.Msg)
				q.SetQuestion(name, qt)
				q.Id = uint16(n * 7919)
				q.RecursionDesired = n%2 == 0
				if v.edns {
					q.SetEdns0(v.size, false)
				}
				n++
				wire, err := q.Pack()
				if err != nil {
					t.Fatal(err)
				}
				out := buf
				if !v.udp {
					out = make([]byte, 0, maxTCP)
				}
				ans := a.Answer(out, wire, v.udp)
				label := fmt.Sprintf("%s %s %+v", name, dns.TypeToString[qt], v)
				if ans == nil {
					t.Errorf("%s: no answer", label)
					continue
				}
				got := new(dns.Msg)
				if err := got.Unpack(ans); err != nil {
					t.Errorf("%s: answer does not unpack: %v", label, err)
					continue
				}
				if diff := sameAnswer(got, reference(rrs, q, v.udp, a.EDNSSize)); diff != "" {
					t.Errorf("%s: %s", label, diff)
				}
			}
		}
	}
	t.Logf("%d queries compared", n)
}

// TestTruncation checks the sizes directly: big's TXT set fits in 1232
// but not in 512, huge's fits only over TCP.
func TestTruncation(t *testing.T) {
	a := &Answerer{Zone: loadTestZone(t), EDNSSize: 1232}
	for _, tt := range []struct {
		name   string
		edns   uint16 // 0: no OPT
		udp    bool
		wantTC bool
	}{
		{"big.example.com.", 0, true, true},
		{"big.example.com.", 512, true, true},
		{"big.example.com.", 1232, true, false},
		{"huge.example.com.", 4096, true, true},
		{"huge.example.com.", 4096, false, false},
		{"huge.example.com.", 0, false, false},
	} {
		q := new(dns.Msg)
		q.SetQuestion(tt.name, dns.TypeTXT)
		if tt.edns > 0 {
			q.SetEdns0(tt.edns, false)
		}
		wire, _ := q.Pack()
		ans := a.Answer(make([]byte, 0, maxTCP), wire, tt.udp)
		m := new(dns.Msg)
		if err := m.Unpack(ans); err != nil {
			t.Fatalf("%+v: %v", tt, err)
		}
		limit := maxTCP
		if tt.udp {
			limit = max(minUDP, min(int(tt.edns), a.EDNSSize))
		}
		if m.Truncated != tt.wantTC || len(ans) > limit || (m.Truncated && len(m.Answer) > 0) || (!m.Truncated && len(m.Answer) == 0) {
			t.Errorf("%+v: TC %v, %d bytes (limit %d), %d answers; want TC %v", tt, m.Truncated, len(ans), limit, len(m.Answer), tt.wantTC)
		}
		if (tt.edns > 0) != (m.IsEdns0() != nil) {
			t.Errorf("%+v: OPT in answer %v, want %v", tt, m.IsEdns0() != nil, tt.edns > 0)
		}
	}
}

// TestMalformed: what does not parse gets FORMERR with the query's ID
// and no records; other opcodes NOTIMP; EDNS versions above 0 BADVERS;
// responses and runts no answer at all.
func TestMalformed(t *testing.T) {
	a := &Answerer{Zone: loadTestZone(t), EDNSSize: 1232}
	good := func() []byte {
		q := new(dns.Msg)
		q.SetQuestion("www.example.com.", dns.TypeA)
		q.Id = 0xbeef
		b, _ := q.Pack()
		return b
	}
	withOPT := func(version uint8) []byte {
		q := new(dns.Msg)
		q.SetQuestion("www.example.com.", dns.TypeA)
		q.Id = 0xbeef
		q.SetEdns0(1232, false)
		q.IsEdns0().SetVersion(version)
		b, _ := q.Pack()
		return b
	}
	set16 := func(b []byte, off int, v uint16) []byte { binary.BigEndian.PutUint16(b[off:], v); return b }
	for _, tt := range []struct {
		name  string
		q     []byte
		rcode int // -1: no answer
	}{
		{"empty", nil, -1},
		{"11 bytes", good()[:11], -1},
		{"a response", func() []byte { b := good(); b[2] |= flagQR; return b }(), -1},
		{"header only", good()[:12], dns.RcodeFormatError},
		{"no question", set16(good(), 4, 0), dns.RcodeFormatError},
		{"two questions", set16(good(), 4, 2), dns.RcodeFormatError},
		{"an answer record", set16(good(), 6, 1), dns.RcodeFormatError},
		{"an authority record", set16(good(), 8, 1), dns.RcodeFormatError},
		{"two additional records", set16(withOPT(0), 10, 2), dns.RcodeFormatError},
		{"additional count without one", set16(good(), 10, 1), dns.RcodeFormatError},
		{"question cut", good()[:20], dns.RcodeFormatError},
		{"qtype cut", good()[:len(good())-3], dns.RcodeFormatError},
		{"trailing byte", append(good(), 0), dns.RcodeFormatError},
		{"label over 63", func() []byte { b := good(); b[12] = 64; return b }(), dns.RcodeFormatError},
		{"compression pointer", func() []byte { b := good(); b[12] = 0xc0; return b }(), dns.RcodeFormatError},
		{"name over 255", append(append(set16(make([]byte, 12), 4, 1), slices.Repeat([]byte{63}, 300)...), 0, 0, 1, 0, 1), dns.RcodeFormatError},
		{"OPT of another type", func() []byte { b := withOPT(0); b[len(b)-10] = 42; return b }(), dns.RcodeFormatError},
		{"OPT rdata cut", func() []byte { b := withOPT(0); b[len(b)-1] = 4; return b }(), dns.RcodeFormatError},
		{"opcode STATUS", func() []byte { b := good(); b[2] |= 2 << 3; return b }(), dns.RcodeNotImplemented},
		{"EDNS version 1", withOPT(1), dns.RcodeBadVers},
		{"class CH", set16(good(), len(good())-2, dns.ClassCHAOS), dns.RcodeRefused},
	} {
		ans := a.Answer(make([]byte, 0, replySize), tt.q, true)
		if tt.rcode < 0 {
			if ans != nil {
				t.Errorf("%s: answered %x, want nothing", tt.name, ans)
			}
			continue
		}
		m := new(dns.Msg)
		if err := m.Unpack(ans); err != nil {
			t.Errorf("%s: answer %x does not unpack: %v", tt.name, ans, err)
			continue
		}
		if m.Rcode != tt.rcode || !m.Response || m.Id != binary.BigEndian.Uint16(tt.q) || len(m.Answer)+len(m.Ns) > 0 {
			t.Errorf("%s: %v\nwant rcode %s, ID %#x, no records", tt.name, m, dns.RcodeToString[tt.rcode], binary.BigEndian.Uint16(tt.q))
		}
	}
}

// TestAnswerAllocatesNothing guards the hot path: a hit, a chase, a
// NODATA, an NXDOMAIN, a REFUSED and a truncation allocate nothing.
func TestAnswerAllocatesNothing(t *testing.T) {
	a := &Answerer{Zone: loadTestZone(t), EDNSSize: 1232}
	var queries [][]byte
	for _, q := range []struct {
		name string
		t    uint16
	}{{"www.example.com.", dns.TypeA}, {"ALIAS2.example.com.", dns.TypeAAAA}, {"b.c.example.com.", dns.TypeA},
		{"nope.example.com.", dns.TypeMX}, {"example.org.", dns.TypeA}, {"big.example.com.", dns.TypeTXT}} {
		m := new(dns.Msg)
		m.SetQuestion(q.name, q.t)
		m.SetEdns0(4096, false)
		b, _ := m.Pack()
		queries = append(queries, b)
	}
	buf := make([]byte, 0, replySize)
	allocs := testing.AllocsPerRun(100, func() {
		for _, q := range queries {
			if a.Answer(buf, q, true) == nil {
				panic("no answer")
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per round of %d queries, want 0", allocs, len(queries))
	}
}

// FuzzAnswer: whatever arrives, Answer neither panics nor answers with
// anything but nil or a well-formed response to the query's ID within
// the size limit.
func FuzzAnswer(f *testing.F) {
	for _, name := range []string{"www.example.com.", "AlIaS.example.com.", "nope.example.com.", "example.org.", "big.example.com."} {
		for _, edns := range []uint16{0, 512, 4096} {
			m := new(dns.Msg)
			m.SetQuestion(name, dns.TypeTXT)
			if edns > 0 {
				m.SetEdns0(edns, false)
			}
			b, _ := m.Pack()
			f.Add(b, true)
		}
	}
	f.Add([]byte{0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0xc0, 0x0c, 0, 1, 0, 1}, false)
	a := &Answerer{Zone: loadTestZone(f), EDNSSize: 1232}
	f.Fuzz(func(t *testing.T, q []byte, udp bool) {
		ans := a.Answer(make([]byte, 0, replySize), q, udp)
		if ans == nil {
			return
		}
		if len(q) < headerLen || ans[0] != q[0] || ans[1] != q[1] || ans[2]&flagQR == 0 {
			t.Fatalf("answer %x to %x: not a response with its ID", ans, q)
		}
		limit := replySize
		if udp {
			limit = a.EDNSSize
		}
		if len(ans) > limit {
			t.Fatalf("answer of %d bytes, over %d", len(ans), limit)
		}
		if err := new(dns.Msg).Unpack(ans); err != nil {
			t.Fatalf("answer %x to %x does not unpack: %v", ans, q, err)
		}
	})
}
