package batch

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
)

func TestNewSegmentedLimits(t *testing.T) {
	for _, tc := range []struct {
		name              string
		slots, size, segs int
		want              string // "" = ok
	}{
		{"gro", DefaultSlots, MaxSlotSize, GROSegments, ""},
		{"one segment", 4, 64, 1, ""},
		{"largest", 2, MaxSlotSize, MaxSegments, ""},
		{"no segments", 4, 64, 0, "0 segments"},
		{"too many segments", 4, 64, MaxSegments + 1, "129 segments"},
		{"no slots", 0, 64, 4, "0 slots"},
		{"slot too big", 4, MaxSlotSize + 1, 4, "slot size 65536"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := NewSegmented(tc.slots, tc.size, tc.segs)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if b.Cap() != tc.slots*tc.segs || len(b.Slots()) != tc.slots || b.MaxSegments() != tc.segs || b.Room() != b.Cap() {
					t.Errorf("Cap %d Slots %d MaxSegments %d Room %d, want %d %d %d %d",
						b.Cap(), len(b.Slots()), b.MaxSegments(), b.Room(), tc.slots*tc.segs, tc.slots, tc.segs, tc.slots*tc.segs)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewSegmented(%d, %d, %d) = %v, want an error naming %q", tc.slots, tc.size, tc.segs, err, tc.want)
			}
		})
	}
}

// fill writes a recognisable pattern into slot i: byte j is j%251, so a
// payload's bytes tell where in the slot it came from.
func fill(b *Batch, i int) {
	s := b.Slots()[i]
	for j := range s {
		s[j] = byte(j % 251)
	}
}

func TestAppendSegmentsSplit(t *testing.T) {
	src := netip.MustParseAddrPort("192.0.2.1:9")
	meta := Meta{Dst: netip.MustParseAddr("198.51.100.7"), IfIndex: 3, Timestamp: 1700000000123456789}
	for _, tc := range []struct {
		name         string
		off, n, size int
		flags        Flags
		want         []int // segment lengths
	}{
		{"exact boundaries", 0, 64 * 64, 64, 0, repeat(64, 64)},
		{"short last segment", 0, 10*1000 + 300, 1000, 0, append(repeat(1000, 10), 300)},
		{"one byte short", 0, 199, 100, 0, []int{100, 99}},
		{"single segment", 0, 100, 100, 0, []int{100}},
		{"segSize above n", 0, 100, 1400, 0, []int{100}},
		{"segSize 0: not coalesced", 0, 1500, 0, 0, []int{1500}},
		{"negative segSize", 0, 1500, -1, 0, []int{1500}},
		{"empty", 0, 0, 64, 0, []int{0}},
		{"one-byte segments", 0, 5, 1, 0, []int{1, 1, 1, 1, 1}},
		{"from an offset", 300, 250, 100, 0, []int{100, 100, 50}},
		{"truncated: last only", 0, 250, 100, Truncated, []int{100, 100, 50}},
		{"control truncated: all", 0, 250, 100, ControlTruncated, []int{100, 100, 50}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := NewSegmented(2, 16384, MaxSegments)
			fill(b, 1)
			got := b.AppendSegments(1, tc.off, tc.n, tc.size, src, tc.flags, meta)
			if got != len(tc.want) || b.Len() != len(tc.want) || got != Segments(tc.n, tc.size) {
				t.Fatalf("appended %d (Len %d, Segments %d), want %d", got, b.Len(), Segments(tc.n, tc.size), len(tc.want))
			}
			pos := tc.off
			for j, d := range b.Datagrams() {
				if len(d.Payload) != tc.want[j] {
					t.Errorf("segment %d: %d bytes, want %d", j, len(d.Payload), tc.want[j])
				}
				if want := b.Slots()[1][pos : pos+tc.want[j]]; !bytes.Equal(d.Payload, want) || (len(want) > 0 && &d.Payload[0] != &want[0]) {
					t.Errorf("segment %d does not point at slot bytes [%d, %d)", j, pos, pos+tc.want[j])
				}
				if cap(d.Payload) != len(d.Payload) && j < len(tc.want)-1 {
					t.Errorf("segment %d: cap %d > len %d: appending to it would overwrite the next", j, cap(d.Payload), len(d.Payload))
				}
				pos += tc.want[j]
				if d.Src != src || d.Dst != meta.Dst || d.IfIndex != meta.IfIndex || d.Timestamp != meta.Timestamp {
					t.Errorf("segment %d: metadata %v %v %d %d, want %v %v %d %d", j, d.Src, d.Dst, d.IfIndex, d.Timestamp, src, meta.Dst, meta.IfIndex, meta.Timestamp)
				}
				wantFlags := tc.flags
				if j < len(tc.want)-1 {
					wantFlags &^= Truncated
				}
				if d.Flags != wantFlags {
					t.Errorf("segment %d: flags %b, want %b", j, d.Flags, wantFlags)
				}
			}
			if pos != tc.off+tc.n {
				t.Errorf("segments cover [%d, %d), want [%d, %d)", tc.off, pos, tc.off, tc.off+tc.n)
			}
		})
	}
}

func repeat(v, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// TestMixedSlots fills a segmented Batch the way a GRO read does: slots
// with coalesced reads of different segment sizes, plain datagrams and
// metadata, in order.
func TestMixedSlots(t *testing.T) {
	b, _ := NewSegmented(4, 8192, 16)
	a1 := netip.MustParseAddrPort("192.0.2.1:1")
	a2 := netip.MustParseAddrPort("[2001:db8::2]:2")
	for i := range 4 {
		fill(b, i)
	}
	b.AppendSegments(0, 0, 10*100+7, 100, a1, 0, Meta{IfIndex: 1})  // 11
	b.Append(1, 1400, a2, 0)                                        // 1
	b.AppendSegments(2, 0, 3*1200, 1200, a2, 0, Meta{Timestamp: 5}) // 3
	b.AppendSegments(3, 0, 64, 0, a1, Truncated, Meta{})            // 1
	wantLens := append(append(append(repeat(100, 10), 7), 1400), 1200, 1200, 1200, 64)
	wantSlot := append(append(repeat(0, 11), 1), 2, 2, 2, 3)
	if b.Len() != len(wantLens) || !b.Full() {
		t.Fatalf("Len %d Full %v, want %d and full (every slot read into)", b.Len(), b.Full(), len(wantLens))
	}
	total := 0
	for j, d := range b.Datagrams() {
		total += wantLens[j]
		if len(d.Payload) != wantLens[j] {
			t.Errorf("datagram %d: %d bytes, want %d", j, len(d.Payload), wantLens[j])
		}
		s := b.Slots()[wantSlot[j]]
		if len(d.Payload) > 0 && (&d.Payload[0] == nil || !within(d.Payload, s)) {
			t.Errorf("datagram %d is not in slot %d", j, wantSlot[j])
		}
	}
	if b.Bytes() != total {
		t.Errorf("Bytes %d, want %d", b.Bytes(), total)
	}
	d := b.Datagrams()
	if d[0].IfIndex != 1 || d[10].IfIndex != 1 || d[11].IfIndex != 0 || d[12].Timestamp != 5 || !d[15].Truncated() || d[14].Truncated() {
		t.Error("metadata or flags not kept per slot")
	}
	b.Reset()
	if b.Len() != 0 || b.Full() || b.Room() != b.Cap() {
		t.Errorf("after Reset: Len %d Full %v Room %d", b.Len(), b.Full(), b.Room())
	}
}

// within reports whether p lies inside s's memory.
func within(p, s []byte) bool {
	s = s[:cap(s)]
	for i := range s {
		if &s[i] == &p[0] {
			return i+len(p) <= len(s)
		}
	}
	return false
}

func TestFull(t *testing.T) {
	b, _ := NewSegmented(2, 1000, 4)
	b.Append(0, 10, netip.AddrPort{}, 0)
	if b.Full() {
		t.Error("one of two slots read: Full")
	}
	b.Append(1, 10, netip.AddrPort{}, 0)
	if !b.Full() {
		t.Error("both slots read: not Full")
	}
	b.Reset()
	b.AppendSegments(0, 0, 400, 100, netip.AddrPort{}, 0, Meta{}) // 4
	b.AppendSegments(0, 400, 400, 100, netip.AddrPort{}, 0, Meta{})
	if !b.Full() || b.Room() != 0 {
		t.Errorf("every entry used: Full %v Room %d", b.Full(), b.Room())
	}
}

func TestAppendSegmentsPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(b *Batch)
	}{
		{"more segments than room", func(b *Batch) { b.AppendSegments(0, 0, 500, 100, netip.AddrPort{}, 0, Meta{}) }},
		{"exhausted after a first read", func(b *Batch) {
			b.AppendSegments(0, 0, 300, 100, netip.AddrPort{}, 0, Meta{})
			b.AppendSegments(1, 0, 200, 100, netip.AddrPort{}, 0, Meta{})
		}},
		{"one datagram into a full Batch", func(b *Batch) {
			b.AppendSegments(0, 0, 400, 100, netip.AddrPort{}, 0, Meta{})
			b.AppendSegments(1, 0, 10, 0, netip.AddrPort{}, 0, Meta{})
		}},
		{"Append into a full Batch", func(b *Batch) {
			b.AppendSegments(0, 0, 400, 100, netip.AddrPort{}, 0, Meta{})
			b.Append(1, 10, netip.AddrPort{}, 0)
		}},
		{"beyond the slot", func(b *Batch) { b.AppendSegments(0, 900, 200, 100, netip.AddrPort{}, 0, Meta{}) }},
		{"no such slot", func(b *Batch) { b.AppendSegments(2, 0, 10, 0, netip.AddrPort{}, 0, Meta{}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := NewSegmented(2, 1000, 2) // room for 4
			defer func() {
				if recover() == nil {
					t.Error("did not panic")
				}
			}()
			tc.do(b)
		})
	}
}

func TestAppendSegmentsNoAllocs(t *testing.T) {
	b, _ := NewSegmented(DefaultSlots, MaxSlotSize, GROSegments)
	src := netip.MustParseAddrPort("[2001:db8::1]:53")
	m := Meta{Dst: netip.MustParseAddr("2001:db8::2"), IfIndex: 1, Timestamp: 1}
	n := 0
	allocs := testing.AllocsPerRun(100, func() {
		b.Reset()
		for i := range len(b.Slots()) {
			b.AppendSegments(i, 0, 64*64, 64, src, 0, m)
		}
		for _, d := range b.Datagrams() {
			n += len(d.Payload)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per fill and iteration, want 0", allocs)
	}
	if n == 0 {
		t.Error("iterated nothing")
	}
}

// FuzzAppendSegments checks, for any read length, segment size and
// offset, that the segments tile the read exactly in order, that none is
// longer than segSize, that every one but the last is exactly segSize,
// and that a split that does not fit panics rather than writes.
func FuzzAppendSegments(f *testing.F) {
	f.Add(uint16(0), uint16(4096), int32(64), uint8(0))
	f.Add(uint16(0), uint16(10300), int32(1000), uint8(1))
	f.Add(uint16(100), uint16(0), int32(0), uint8(0))
	f.Add(uint16(0), uint16(65535), int32(1), uint8(0))
	f.Add(uint16(65000), uint16(600), int32(-5), uint8(3))
	f.Fuzz(func(t *testing.T, off, n uint16, segSize int32, flags uint8) {
		b, _ := NewSegmented(1, MaxSlotSize, MaxSegments)
		o, l, s := int(off), int(n), int(segSize)
		want := Segments(l, s)
		bad := o+l > MaxSlotSize || want > b.Room()
		defer func() {
			p := recover()
			if (p != nil) != bad {
				t.Fatalf("AppendSegments(off %d, n %d, seg %d): panic %v, want panic %v", o, l, s, p, bad)
			}
			if p != nil && b.Len() != 0 {
				t.Fatalf("a panicking AppendSegments left %d datagrams", b.Len())
			}
		}()
		got := b.AppendSegments(0, o, l, s, netip.AddrPort{}, Flags(flags), Meta{})
		if got != want || b.Len() != want {
			t.Fatalf("appended %d (Len %d), want %d", got, b.Len(), want)
		}
		slot := b.Slots()[0]
		pos := o
		for j, d := range b.Datagrams() {
			if len(d.Payload) > 0 && &d.Payload[0] != &slot[pos] {
				t.Fatalf("segment %d does not start at slot offset %d", j, pos)
			}
			if j < want-1 && len(d.Payload) != s {
				t.Fatalf("segment %d of %d: %d bytes, want %d", j, want, len(d.Payload), s)
			}
			if s > 0 && len(d.Payload) > s {
				t.Fatalf("segment %d: %d bytes, longer than %d", j, len(d.Payload), s)
			}
			pos += len(d.Payload)
		}
		if pos != o+l {
			t.Fatalf("segments end at %d, want %d", pos, o+l)
		}
	})
}

// TestPayloadLimit: with a limit below the slot size (a GRO reader keeping
// the caller's datagram size), every datagram longer than the limit is cut
// to it and flagged, each segment of a coalesced read on its own, and
// Bytes and NumTruncated count what is delivered.
func TestPayloadLimit(t *testing.T) {
	src := netip.MustParseAddrPort("192.0.2.1:53")
	for _, tc := range []struct {
		name          string
		n, segSize    int
		flags         Flags
		wantLens      []int
		wantTruncated []bool
	}{
		{"one long datagram", 65507, 0, 0, []int{100}, []bool{true}},
		{"one short datagram", 60, 0, 0, []int{60}, []bool{false}},
		{"exactly the limit", 100, 0, 0, []int{100}, []bool{false}},
		{"segments longer than the limit", 3*300 + 50, 300, 0, []int{100, 100, 100, 50}, []bool{true, true, true, false}},
		{"segments within the limit", 3 * 80, 80, 0, []int{80, 80, 80}, []bool{false, false, false}},
		{"cut by its slot and by the limit", 2 * 300, 300, Truncated, []int{100, 100}, []bool{true, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := NewSegmented(2, MaxSlotSize, GROSegments)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.SetPayloadLimit(100); err != nil {
				t.Fatal(err)
			}
			b.AppendSegments(0, 0, tc.n, tc.segSize, src, tc.flags, Meta{})
			ds := b.Datagrams()
			if len(ds) != len(tc.wantLens) {
				t.Fatalf("%d datagrams, want %d", len(ds), len(tc.wantLens))
			}
			nbytes, trunc := 0, 0
			for i, d := range ds {
				if len(d.Payload) != tc.wantLens[i] || d.Truncated() != tc.wantTruncated[i] {
					t.Errorf("datagram %d: %d bytes, truncated %v; want %d, %v", i, len(d.Payload), d.Truncated(), tc.wantLens[i], tc.wantTruncated[i])
				}
				if cap(d.Payload) > len(d.Payload) && d.Truncated() {
					t.Errorf("datagram %d: cut payload has capacity %d past its length %d", i, cap(d.Payload), len(d.Payload))
				}
				nbytes += tc.wantLens[i]
				if tc.wantTruncated[i] {
					trunc++
				}
			}
			if b.Bytes() != nbytes || b.NumTruncated() != trunc {
				t.Errorf("Bytes %d, NumTruncated %d; want %d, %d", b.Bytes(), b.NumTruncated(), nbytes, trunc)
			}
		})
	}
	t.Run("Append", func(t *testing.T) {
		b, err := New(2, 2048)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.SetPayloadLimit(10); err != nil {
			t.Fatal(err)
		}
		b.Append(0, 2048, src, 0)
		b.Append(1, 5, src, 0)
		ds := b.Datagrams()
		if len(ds[0].Payload) != 10 || !ds[0].Truncated() || len(ds[1].Payload) != 5 || ds[1].Truncated() {
			t.Errorf("got %d bytes (truncated %v) and %d (%v); want 10 (true) and 5 (false)",
				len(ds[0].Payload), ds[0].Truncated(), len(ds[1].Payload), ds[1].Truncated())
		}
		if b.Bytes() != 15 || b.NumTruncated() != 1 {
			t.Errorf("Bytes %d, NumTruncated %d; want 15, 1", b.Bytes(), b.NumTruncated())
		}
	})
	t.Run("bad limits", func(t *testing.T) {
		b, err := New(1, 512)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, -1, 513} {
			if err := b.SetPayloadLimit(n); err == nil {
				t.Errorf("SetPayloadLimit(%d) succeeded on 512-byte slots", n)
			}
		}
		if b.PayloadLimit() != 512 {
			t.Errorf("PayloadLimit %d after refused changes, want the slot size 512", b.PayloadLimit())
		}
	})
}
