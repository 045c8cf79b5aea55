package batch

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestNewOutLimits(t *testing.T) {
	for _, tc := range []struct {
		name        string
		slots, size int
		want        string // "" = ok
	}{
		{"smallest", 1, 1, ""},
		{"largest", MaxSlots, 16, ""},
		{"largest slot", 2, MaxSlotSize, ""},
		{"no slots", 0, 16, "0 send slots"},
		{"too many slots", MaxSlots + 1, 16, "1025 send slots"},
		{"empty slot", 4, 0, "slot size 0"},
		{"slot too big", 4, MaxSlotSize + 1, "slot size 65536"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := NewOut(tc.slots, tc.size)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if o.Cap() != tc.slots || o.SlotSize() != tc.size || o.Len() != 0 || o.Room() != tc.slots {
					t.Errorf("Cap %d SlotSize %d Len %d Room %d, want %d %d 0 %d",
						o.Cap(), o.SlotSize(), o.Len(), o.Room(), tc.slots, tc.size, tc.slots)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewOut(%d, %d) = %v, want an error naming %q", tc.slots, tc.size, err, tc.want)
			}
		})
	}
}

var (
	dstA  = netip.MustParseAddrPort("192.0.2.1:53")
	dstB  = netip.MustParseAddrPort("[2001:db8::1]:53")
	srcA  = netip.MustParseAddr("127.0.0.2")
	srcA6 = netip.MustParseAddr("::1")
)

// TestOutBookkeeping: Append fills slots in order, Len/Room/Messages
// follow, ErrOutFull leaves everything as it was, Reset empties and the
// slots are reused.
func TestOutBookkeeping(t *testing.T) {
	o, err := NewOut(3, 8)
	if err != nil {
		t.Fatal(err)
	}
	in := []struct {
		p    string
		to   netip.AddrPort
		from netip.Addr
		ifi  uint32
	}{
		{"one", dstA, srcA, 0},
		{"", dstB, srcA6, 7}, // an empty datagram is a message too
		{"three333", dstA, netip.Addr{}, 0},
	}
	for i, m := range in {
		if err := o.Append([]byte(m.p), m.to, m.from, m.ifi); err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		if o.Len() != i+1 || o.Room() != 2-i {
			t.Fatalf("after %d appends: Len %d Room %d", i+1, o.Len(), o.Room())
		}
	}
	if err := o.Append([]byte("x"), dstA, srcA, 0); !errors.Is(err, ErrOutFull) {
		t.Fatalf("Append to a full Out = %v, want ErrOutFull", err)
	}
	if o.Next() != nil {
		t.Error("Next on a full Out returned a buffer, want nil")
	}
	msgs := o.Messages()
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want 3", len(msgs))
	}
	for i, m := range in {
		got := msgs[i]
		if string(got.Payload) != m.p || got.To != m.to || got.From != m.from || got.IfIndex != m.ifi {
			t.Errorf("message %d = %q to %v from %v if %d; want %q to %v from %v if %d",
				i, got.Payload, got.To, got.From, got.IfIndex, m.p, m.to, m.from, m.ifi)
		}
		// A payload is capped at its length: appending to it cannot
		// scribble over the next slot.
		if cap(got.Payload) != len(got.Payload) {
			t.Errorf("message %d: cap %d, len %d: want them equal", i, cap(got.Payload), len(got.Payload))
		}
	}
	first := &msgs[0].Payload[0]
	o.Reset()
	if o.Len() != 0 || o.Room() != 3 || len(o.Messages()) != 0 {
		t.Fatalf("after Reset: Len %d Room %d Messages %d", o.Len(), o.Room(), len(o.Messages()))
	}
	if err := o.Append([]byte("again"), dstB, netip.Addr{}, 0); err != nil {
		t.Fatal(err)
	}
	if got := o.Messages()[0]; &got.Payload[0] != first || string(got.Payload) != "again" {
		t.Errorf("after Reset the first message is %q in other memory, want %q in slot 0", got.Payload, "again")
	}
}

// TestOutCopies: Append copies a payload from outside: the caller may
// reuse its buffer at once.
func TestOutCopies(t *testing.T) {
	o, _ := NewOut(2, 16)
	p := []byte("request")
	if err := o.Append(p, dstA, netip.Addr{}, 0); err != nil {
		t.Fatal(err)
	}
	copy(p, "XXXXXXX")
	if got := o.Messages()[0].Payload; string(got) != "request" {
		t.Errorf("payload %q after the caller reused its buffer, want %q", got, "request")
	}
}

// TestOutNextInPlace: a payload built in Next's buffer is queued where it
// is, with no copy and no allocation; Next then offers the following slot.
func TestOutNextInPlace(t *testing.T) {
	o, _ := NewOut(4, 32)
	for i := range 4 {
		buf := o.Next()
		if len(buf) != 0 || cap(buf) != 32 {
			t.Fatalf("Next %d: len %d cap %d, want 0 and 32", i, len(buf), cap(buf))
		}
		buf = append(buf, "reply "...)
		buf = append(buf, byte('0'+i))
		if err := o.Append(buf, dstA, netip.Addr{}, 0); err != nil {
			t.Fatal(err)
		}
		got := o.Messages()[i].Payload
		if &got[0] != &buf[0] {
			t.Errorf("message %d is not where it was built: copied", i)
		}
		if string(got) != "reply "+string(rune('0'+i)) {
			t.Errorf("message %d = %q", i, got)
		}
		if i > 0 && &o.Messages()[i-1].Payload[0] == &got[0] {
			t.Errorf("message %d shares message %d's slot", i, i-1)
		}
	}
	o.Reset()
	allocs := testing.AllocsPerRun(100, func() {
		buf := append(o.Next(), "in place"...)
		if err := o.Append(buf, dstA, srcA, 0); err != nil {
			t.Fatal(err)
		}
		if o.Room() == 0 {
			o.Reset()
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per Next+Append, want 0", allocs)
	}
}

// TestOutNextOverflow: a payload built past the slot's capacity was moved
// by append out of the slot, and is refused as too large, naming sizes;
// nothing is queued.
func TestOutNextOverflow(t *testing.T) {
	o, _ := NewOut(2, 8)
	buf := append(o.Next(), "123456789"...)
	err := o.Append(buf, dstA, netip.Addr{}, 0)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "9 bytes") || !strings.Contains(err.Error(), "8") {
		t.Errorf("Append of 9 bytes into 8-byte slots = %v, want ErrTooLarge naming both sizes", err)
	}
	if o.Len() != 0 {
		t.Errorf("Len %d after a refused Append, want 0", o.Len())
	}
	// Exactly a slot fits.
	if err := o.Append(bytes.Repeat([]byte{1}, 8), dstA, netip.Addr{}, 0); err != nil {
		t.Errorf("a payload of exactly the slot size: %v", err)
	}
}

func TestSegmentable(t *testing.T) {
	p := func(n int) []byte { return make([]byte, n) }
	base := Message{Payload: p(100), To: dstA, From: srcA, IfIndex: 2}
	for _, tc := range []struct {
		name string
		b    Message
		want bool
	}{
		{"same everything", Message{Payload: p(100), To: dstA, From: srcA, IfIndex: 2}, true},
		{"shorter", Message{Payload: p(40), To: dstA, From: srcA, IfIndex: 2}, true},
		{"empty", Message{Payload: p(0), To: dstA, From: srcA, IfIndex: 2}, true},
		{"longer", Message{Payload: p(101), To: dstA, From: srcA, IfIndex: 2}, false},
		{"other destination", Message{Payload: p(100), To: dstB, From: srcA, IfIndex: 2}, false},
		{"other port", Message{Payload: p(100), To: netip.AddrPortFrom(dstA.Addr(), 54), From: srcA, IfIndex: 2}, false},
		{"other source", Message{Payload: p(100), To: dstA, From: srcA6, IfIndex: 2}, false},
		{"no source", Message{Payload: p(100), To: dstA, IfIndex: 2}, false},
		{"other interface", Message{Payload: p(100), To: dstA, From: srcA, IfIndex: 3}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Segmentable(&base, &tc.b); got != tc.want {
				t.Errorf("Segmentable = %v, want %v", got, tc.want)
			}
		})
	}
}
