package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// hostsZone loads a zone whose origin line is head (the origin, then any
// records), with an SOA and n hosts h0, h1, ...: each an A record, then
// what extra(i) returns for it, if anything.
func hostsZone(tb testing.TB, head string, n int, extra func(i int) string) *Zone {
	tb.Helper()
	var zf strings.Builder
	fmt.Fprintf(&zf, "$ORIGIN %s\n@ IN SOA ns hm 1 2 3 4 5\n", head)
	for i := range n {
		fmt.Fprintf(&zf, "h%d IN A 10.0.%d.%d\n%s\n", i, i/256, i%256, extra(i))
	}
	z, err := LoadZone(strings.NewReader(zf.String()), "", "hosts.zone")
	if err != nil {
		tb.Fatal(err)
	}
	return z
}

// TestTable: in a zone of 2000 names, enough for probe chains, every name
// is found in any case with each of its answers and its default, and no
// name outside it is found, however close.
func TestTable(t *testing.T) {
	z := hostsZone(t, "t.example.\nalias IN CNAME h7", 2000, func(i int) string {
		if i%3 == 0 {
			return fmt.Sprintf("h%d IN TXT \"%d\"", i, i)
		}
		return ""
	})
	tb := &z.table
	chained := 0
	for name, nd := range z.nodes {
		for _, key := range [][]byte{[]byte(name), bytes.ToUpper([]byte(name))} {
			h := tb.hash(key)
			off := tb.find(key, h)
			if off < 0 {
				t.Fatalf("%q not found", key)
			}
			if tb.slots[tb.probe(h)]&(1<<32-1) != uint64(off+1) {
				chained++
			}
			for _, ta := range nd.answers {
				if got := tb.answer(off, ta.qtype); !bytes.Equal(got, ta.msg) {
					t.Errorf("%q type %d: answer %x, want %x", key, ta.qtype, got, ta.msg)
				}
			}
			// A type no record has: the chase at a CNAME, NODATA elsewhere.
			if got := tb.answer(off, dns.TypeSRV); !bytes.Equal(got, nd.chase) {
				t.Errorf("%q type SRV: answer %x, want %x", key, got, nd.chase)
			}
		}
	}
	if chained == 0 {
		t.Error("no name sits past its first probe: collisions go untested")
	}
	for _, name := range []string{"h2000.t.example.", "h1.t.exampl.", "t.example.com.", "h1.h1.t.example.", "x.", "."} {
		key := wireName(name)
		if off := tb.find(key, tb.hash(key)); off >= 0 {
			t.Errorf("%s found at %d", name, off)
		}
	}
}

// BenchmarkAnswer answers queries for a zone of 1000 hosts, in an order
// that visits every name. warm is the benchmark's usual cache; cold
// reads 8 MiB (more than L2 on the machines measured) before each query,
// outside the timer, as the kernel's network stack and an idle spell do
// between the queries of a server at a few tens of thousands a second.
func BenchmarkAnswer(b *testing.B) {
	z := hostsZone(b, "bench.example.", 1000, func(i int) string {
		if i%4 == 0 {
			return fmt.Sprintf("h%d IN AAAA 2001:db8::%d", i, i)
		}
		return ""
	})
	a := &Answerer{Zone: z, EDNSSize: 1232}
	var queries [][]byte
	for i := range 1000 {
		m := new(dns.Msg)
		m.SetQuestion(fmt.Sprintf("h%d.bench.example.", i*7%1000), dns.TypeA)
		q, _ := m.Pack()
		queries = append(queries, q)
	}
	buf := make([]byte, 0, replySize)
	evict := make([]byte, 8<<20)
	for _, cold := range []bool{false, true} {
		b.Run(map[bool]string{false: "warm", true: "cold"}[cold], func(b *testing.B) {
			var sink byte
			for i := 0; b.Loop(); i++ {
				if cold {
					b.StopTimer()
					for j := 0; j < len(evict); j += 64 {
						evict[j]++
					}
					b.StartTimer()
				}
				sink += a.Answer(buf, queries[i%len(queries)], true)[0]
			}
			_ = sink
		})
	}
}
