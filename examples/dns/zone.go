package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/miekg/dns"
)

// maxChase bounds a CNAME chain followed inside the zone.
const maxChase = 8

// Zone is one authoritative zone, compiled for answering: every answer
// the zone can give for a name it holds is a finished DNS message in
// wire format, built once at load with miekg/dns, with the question in
// lower case and the ID zero. Answering a query is then one lookup in
// table, a scan of the few types its name has, and a copy (answer.go).
// Answers that depend on a name the zone does not hold (NXDOMAIN,
// REFUSED) or on a type no record has (NODATA) are built from the
// query's own question and one precompiled SOA record.
//
// Zone is read-only after load: every loop shares it without locks.
type Zone struct {
	// table holds the nodes' answers, laid out for answering (table.go).
	// It comes first, by value: a query's path through the Zone is a
	// cache line shorter.
	table table

	origin     string // canonical (lower-case, fully qualified) origin
	originWire []byte // origin in wire format, lower case
	soa        *dns.SOA
	negTTL     uint32 // RFC 2308 section 5: min(SOA TTL, SOA MINIMUM)

	// nodes holds every name that exists in the zone, owners and the
	// empty non-terminals between them and the origin (NODATA, not
	// NXDOMAIN), keyed by the name in lower-case wire format: what table
	// is built from, and what the load asks. One table for every kind of
	// answer, so that every query costs one lookup.
	nodes map[string]*node
	// soaTail is the SOA record for the authority section without its
	// owner name: type, class, TTL (negTTL), rdlength and rdata, the
	// rdata's names uncompressed. The owner is written as a pointer.
	soaTail []byte

	rrsets map[string]map[uint16][]dns.RR // canonical owner -> type -> RRset
}

// LoadZone reads a zone file. origin is the zone's name; empty means the
// file's $ORIGIN or, failing that, its SOA's owner. It refuses what this
// server would answer wrongly: no SOA or more than one, records outside
// the zone or of another class, wildcards, delegations below the apex,
// CNAMEs next to other data. The file name is used in error messages.
func LoadZone(r io.Reader, origin, file string) (*Zone, error) {
	if origin != "" {
		origin = dns.CanonicalName(origin)
	}
	zp := dns.NewZoneParser(r, origin, file)
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("zone %s: %w", file, err)
	}
	var soa *dns.SOA
	for _, rr := range rrs {
		if s, ok := rr.(*dns.SOA); ok {
			if soa != nil {
				return nil, fmt.Errorf("zone %s: a second SOA at %s", file, s.Hdr.Name)
			}
			soa = s
		}
	}
	if soa == nil {
		return nil, fmt.Errorf("zone %s: no SOA record", file)
	}
	apex := dns.CanonicalName(soa.Hdr.Name)
	if origin == "" {
		origin = apex
	}
	if apex != origin {
		return nil, fmt.Errorf("zone %s: SOA owner %s is not the origin %s", file, soa.Hdr.Name, origin)
	}
	z := &Zone{
		origin: origin,
		soa:    soa,
		negTTL: min(soa.Hdr.Ttl, soa.Minttl),
		nodes:  make(map[string]*node),
		rrsets: make(map[string]map[uint16][]dns.RR),
	}
	z.originWire = wireName(origin)
	for _, rr := range rrs {
		h := rr.Header()
		name := dns.CanonicalName(h.Name)
		switch {
		case h.Class != dns.ClassINET:
			return nil, fmt.Errorf("zone %s: %s: class %s: only IN is served", file, h.Name, dns.ClassToString[h.Class])
		case !dns.IsSubDomain(origin, name):
			return nil, fmt.Errorf("zone %s: %s is outside the zone %s", file, h.Name, origin)
		case strings.HasPrefix(name, "*."):
			return nil, fmt.Errorf("zone %s: %s: wildcards are not served by this example", file, h.Name)
		case h.Rrtype == dns.TypeNS && name != origin:
			return nil, fmt.Errorf("zone %s: %s: delegations below the apex are not served by this example", file, h.Name)
		}
		h.Name = name
		if z.rrsets[name] == nil {
			z.rrsets[name] = make(map[uint16][]dns.RR)
		}
		z.rrsets[name][h.Rrtype] = append(z.rrsets[name][h.Rrtype], rr)
	}
	for name, sets := range z.rrsets {
		if c := sets[dns.TypeCNAME]; c != nil && (len(sets) > 1 || len(c) > 1) {
			return nil, fmt.Errorf("zone %s: %s: a CNAME must be the only record at its name", file, name)
		}
		for n := name; ; {
			z.node(wireName(n))
			if n == origin {
				break
			}
			i, _ := dns.NextLabel(n, 0)
			n = n[i:]
		}
	}
	if err := z.compile(); err != nil {
		return nil, fmt.Errorf("zone %s: %w", file, err)
	}
	if err := z.table.build(z.nodes); err != nil {
		return nil, fmt.Errorf("zone %s: %w", file, err)
	}
	return z, nil
}

// Origin returns the zone's name, canonical.
func (z *Zone) Origin() string { return z.origin }

// compile builds every message of answers and chases, and the SOA tail.
func (z *Zone) compile() error {
	soa := dns.Copy(z.soa).(*dns.SOA)
	soa.Hdr.Ttl = z.negTTL
	buf := make([]byte, 1024)
	off, err := dns.PackRR(soa, buf, 0, nil, false)
	if err != nil {
		return fmt.Errorf("packing the SOA: %w", err)
	}
	z.soaTail = append([]byte(nil), buf[len(z.originWire):off]...)

	types := map[uint16]bool{} // every type in the zone, for the chases
	for _, sets := range z.rrsets {
		for t := range sets {
			types[t] = true
		}
	}
	for name, sets := range z.rrsets {
		key := wireName(name)
		if sets[dns.TypeCNAME] == nil {
			var all []dns.RR
			for t, rrs := range sets {
				all = append(all, rrs...)
				if err := z.add(key, name, t, rrs, nil, dns.RcodeSuccess); err != nil {
					return err
				}
			}
			if err := z.add(key, name, dns.TypeANY, all, nil, dns.RcodeSuccess); err != nil {
				return err
			}
			continue
		}
		if err := z.add(key, name, dns.TypeCNAME, sets[dns.TypeCNAME], nil, dns.RcodeSuccess); err != nil {
			return err
		}
		for t := range types {
			if t == dns.TypeCNAME {
				continue
			}
			ans, ns, rcode := z.Chase(name, t)
			if err := z.add(key, name, t, ans, ns, rcode); err != nil {
				return err
			}
		}
		// Any other type: the chain ends without data of that type (no
		// record in the zone has it). TypeNone marks the placeholder.
		ans, ns, rcode := z.Chase(name, dns.TypeNone)
		msg, err := z.pack(name, dns.TypeNone, ans, ns, rcode)
		if err != nil {
			return err
		}
		z.node(key).chase = msg
	}
	return nil
}

// node is what the zone holds at one name: the answer for each type the
// name has one for and, at a name that owns a CNAME, the answer for every
// other type (the chain followed, its qtype to be overwritten). An empty
// non-terminal has neither: every type is NODATA there.
type node struct {
	answers []typedAnswer
	chase   []byte
}

// typedAnswer is the precompiled answer for one qtype.
type typedAnswer struct {
	qtype uint16
	msg   []byte
}

// node returns the node of the name key (wire format, lower case),
// making it if the zone has none yet.
func (z *Zone) node(key []byte) *node {
	n := z.nodes[string(key)]
	if n == nil {
		n = &node{}
		z.nodes[string(key)] = n
	}
	return n
}

// add packs the answer for (name, t) into name's node.
func (z *Zone) add(key []byte, name string, t uint16, ans, ns []dns.RR, rcode int) error {
	msg, err := z.pack(name, t, ans, ns, rcode)
	if err != nil {
		return err
	}
	n := z.node(key)
	n.answers = append(n.answers, typedAnswer{qtype: t, msg: msg})
	return nil
}

// pack builds one precompiled answer: ID 0, QR and AA set, RD clear (the
// query's is copied in), names compressed against the question's.
func (z *Zone) pack(name string, t uint16, ans, ns []dns.RR, rcode int) ([]byte, error) {
	m := new(dns.Msg)
	m.Response = true
	m.Authoritative = true
	m.Rcode = rcode
	m.Question = []dns.Question{{Name: name, Qtype: t, Qclass: dns.ClassINET}}
	m.Answer = ans
	m.Ns = ns
	m.Compress = true
	b, err := m.Pack()
	if err != nil {
		return nil, fmt.Errorf("packing the answer for %s %s: %w", name, dns.TypeToString[t], err)
	}
	return b, nil
}

// Chase answers qtype t at name, which owns a CNAME, as an authoritative
// server does: the chain followed within the zone, then the target's
// records of type t; the SOA in authority when the chain ends in the
// zone without them, and NXDOMAIN when its last name does not exist
// (RFC 6604: the rcode is the last name's). A chain leaving the zone
// ends with its CNAME.
func (z *Zone) Chase(name string, t uint16) (ans, ns []dns.RR, rcode int) {
	seen := map[string]bool{}
	for range maxChase {
		seen[name] = true
		sets := z.rrsets[name]
		if c := sets[dns.TypeCNAME]; c != nil {
			ans = append(ans, c...)
			name = dns.CanonicalName(c[0].(*dns.CNAME).Target)
			if seen[name] {
				return ans, nil, dns.RcodeSuccess // a loop: stop where it closes
			}
			if !dns.IsSubDomain(z.origin, name) {
				return ans, nil, dns.RcodeSuccess
			}
			continue
		}
		if rrs := sets[t]; rrs != nil {
			return append(ans, rrs...), nil, dns.RcodeSuccess
		}
		if z.Exists(name) {
			return ans, z.negSOA(), dns.RcodeSuccess
		}
		return ans, z.negSOA(), dns.RcodeNameError
	}
	return ans, nil, dns.RcodeSuccess
}

// negSOA is the authority section of a negative answer.
func (z *Zone) negSOA() []dns.RR {
	s := dns.Copy(z.soa).(*dns.SOA)
	s.Hdr.Ttl = z.negTTL
	return []dns.RR{s}
}

// RRset returns the records of type t at name (canonical), or nil.
func (z *Zone) RRset(name string, t uint16) []dns.RR { return z.rrsets[name][t] }

// Exists reports whether name (canonical) exists in the zone, as an
// owner or an empty non-terminal.
func (z *Zone) Exists(name string) bool { return z.nodes[string(wireName(name))] != nil }

// NegativeSOA is the SOA record of a negative answer: the zone's SOA
// with the TTL of RFC 2308 section 5.
func (z *Zone) NegativeSOA() dns.RR { return z.negSOA()[0] }

// wireName is name (canonical, fully qualified) in wire format.
func wireName(name string) []byte {
	b := make([]byte, 256)
	n, err := dns.PackDomainName(name, b, 0, nil, false)
	if err != nil {
		panic(errors.Join(fmt.Errorf("name %q from the zone parser", name), err))
	}
	return b[:n]
}
