package wire

import (
	"bytes"
	"math"
	"testing"
)

func TestHeaderRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    Header
		size int
	}{
		{"zero", Header{}, HeaderSize},
		{"typical", Header{Flow: 3, Seq: 12345, SentUnixNano: 1_700_000_000_123_456_789}, 64},
		{"max", Header{Flow: math.MaxUint32, Seq: math.MaxUint64, SentUnixNano: math.MaxInt64}, HeaderSize},
		{"negative time", Header{Flow: 1, Seq: 2, SentUnixNano: -5}, 1500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := make([]byte, tc.size)
			if !PutHeader(b, tc.h) {
				t.Fatalf("PutHeader(%d bytes) = false", tc.size)
			}
			got, ok := ParseHeader(b)
			if !ok || got != tc.h {
				t.Fatalf("ParseHeader = %+v, %v; want %+v, true", got, ok, tc.h)
			}
			if !bytes.Equal(b[HeaderSize:], make([]byte, tc.size-HeaderSize)) {
				t.Fatal("PutHeader wrote past HeaderSize")
			}
		})
	}
}

func TestHeaderLayout(t *testing.T) {
	b := make([]byte, HeaderSize)
	PutHeader(b, Header{Flow: 0x01020304, Seq: 0x05060708090a0b0c, SentUnixNano: 0x0d0e0f1011121314})
	want := []byte{
		'u', 'd', 'p', 'b',
		1, 2, 3, 4,
		5, 6, 7, 8, 9, 10, 11, 12,
		13, 14, 15, 16, 17, 18, 19, 20,
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("header bytes = %x, want %x", b, want)
	}
}

func TestHeaderTooShort(t *testing.T) {
	b := make([]byte, HeaderSize-1)
	if PutHeader(b, Header{Flow: 1}) {
		t.Error("PutHeader into 23 bytes = true")
	}
	if !bytes.Equal(b, make([]byte, len(b))) {
		t.Error("PutHeader wrote into a too short buffer")
	}
	full := make([]byte, HeaderSize)
	PutHeader(full, Header{Flow: 1})
	for n := range HeaderSize {
		if _, ok := ParseHeader(full[:n]); ok {
			t.Errorf("ParseHeader(%d bytes) = true", n)
		}
	}
}

func TestParseHeaderForeign(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"zeros", make([]byte, 64)},
		{"dns-like", append([]byte{0x12, 0x34, 0x01, 0x00}, make([]byte, 40)...)},
		{"magic little-endian", append([]byte{'b', 'p', 'd', 'u'}, make([]byte, 20)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if h, ok := ParseHeader(tc.b); ok {
				t.Fatalf("ParseHeader = %+v, true; want false", h)
			}
		})
	}
}

func TestPutSeqTime(t *testing.T) {
	b := make([]byte, 100)
	PutHeader(b, Header{Flow: 7})
	PutSeqTime(b, 42, 99)
	h, ok := ParseHeader(b)
	if want := (Header{Flow: 7, Seq: 42, SentUnixNano: 99}); !ok || h != want {
		t.Fatalf("after PutSeqTime: %+v, %v; want %+v", h, ok, want)
	}
}

func FuzzParseHeader(f *testing.F) {
	good := make([]byte, 64)
	PutHeader(good, Header{Flow: 2, Seq: 3, SentUnixNano: 4})
	f.Add(good)
	f.Add(good[:HeaderSize-1])
	f.Add([]byte{})
	f.Add([]byte("udpb"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, ok := ParseHeader(b)
		if !ok {
			if h != (Header{}) {
				t.Fatalf("ParseHeader failed but returned %+v", h)
			}
			return
		}
		// A parsed header written back gives the same bytes.
		again := make([]byte, HeaderSize)
		if !PutHeader(again, h) {
			t.Fatal("PutHeader of a parsed header failed")
		}
		if !bytes.Equal(again, b[:HeaderSize]) {
			t.Fatalf("round trip changed the header: %x -> %+v -> %x", b[:HeaderSize], h, again)
		}
	})
}
