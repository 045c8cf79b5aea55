package batch

import (
	"net/netip"
	"strings"
	"testing"
)

func TestNewLimits(t *testing.T) {
	for _, tc := range []struct {
		name        string
		slots, size int
		want        string // "" = ok
	}{
		{"defaults", DefaultSlots, DefaultSlotSize, ""},
		{"smallest", 1, 1, ""},
		{"largest", MaxSlots, 16, ""},
		{"largest slot", 2, MaxSlotSize, ""},
		{"no slots", 0, 16, "0 slots"},
		{"too many slots", MaxSlots + 1, 16, "1025 slots"},
		{"empty slot", 4, 0, "slot size 0"},
		{"slot too big", 4, MaxSlotSize + 1, "slot size 65536"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := New(tc.slots, tc.size)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if b.Cap() != tc.slots || b.SlotSize() != tc.size || len(b.Slots()) != tc.slots {
					t.Errorf("Cap %d SlotSize %d Slots %d, want %d %d %d", b.Cap(), b.SlotSize(), len(b.Slots()), tc.slots, tc.size, tc.slots)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New(%d, %d) = %v, want an error naming %q", tc.slots, tc.size, err, tc.want)
			}
		})
	}
}

// TestSlotsDisjoint writes a full slot and checks its neighbours are
// untouched and a slot cannot be grown into the next one.
func TestSlotsDisjoint(t *testing.T) {
	b, _ := New(3, 8)
	s := b.Slots()
	for i := range s[1] {
		s[1][i] = 0xff
	}
	if s[0][7] != 0 || s[2][0] != 0 {
		t.Error("writing slot 1 changed its neighbours")
	}
	if cap(s[1]) != 8 {
		t.Errorf("slot cap %d, want 8: appending would overwrite slot 2", cap(s[1]))
	}
}

func TestAppendAndReset(t *testing.T) {
	b, _ := New(4, 16)
	src := netip.MustParseAddrPort("192.0.2.7:5353")
	copy(b.Slots()[0], "hello")
	copy(b.Slots()[2], "0123456789abcdef")
	b.Append(0, 5, src, 0)
	b.Append(2, 16, netip.AddrPort{}, Truncated)
	if b.Len() != 2 || b.Bytes() != 21 || b.NumTruncated() != 1 {
		t.Fatalf("Len %d Bytes %d NumTruncated %d, want 2, 21 and 1", b.Len(), b.Bytes(), b.NumTruncated())
	}
	d := b.Datagrams()
	if string(d[0].Payload) != "hello" || d[0].Src != src || d[0].Truncated() {
		t.Errorf("datagram 0 = %q from %v truncated %v", d[0].Payload, d[0].Src, d[0].Truncated())
	}
	if !d[1].Truncated() || d[1].Src.IsValid() {
		t.Errorf("datagram 1: truncated %v, src %v; want truncated, no source", d[1].Truncated(), d[1].Src)
	}
	b.Reset()
	if b.Len() != 0 || b.Bytes() != 0 || b.NumTruncated() != 0 {
		t.Errorf("after Reset: Len %d Bytes %d NumTruncated %d", b.Len(), b.Bytes(), b.NumTruncated())
	}
}

func TestAppendFullPanics(t *testing.T) {
	b, _ := New(1, 4)
	b.Append(0, 1, netip.AddrPort{}, 0)
	defer func() {
		if recover() == nil {
			t.Error("Append to a full batch did not panic")
		}
	}()
	b.Append(0, 1, netip.AddrPort{}, 0)
}

func TestNoAllocs(t *testing.T) {
	b, _ := New(DefaultSlots, DefaultSlotSize)
	src := netip.MustParseAddrPort("[2001:db8::1]:53")
	n := 0
	allocs := testing.AllocsPerRun(100, func() {
		b.Reset()
		for i := range b.Cap() {
			b.Append(i, 64, src, 0)
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
