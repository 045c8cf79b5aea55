package batch

import (
	"fmt"
	"net/netip"
)

// Defaults and limits for New.
const (
	// DefaultSlots is the number of datagrams one read can return.
	DefaultSlots = 64
	// DefaultSlotSize is the payload buffer size of one slot in bytes:
	// larger than any Ethernet-sized datagram, small enough that 64 slots
	// stay in a few pages of L2.
	DefaultSlotSize = 2048
	// MaxSlotSize is the largest payload a UDP datagram can carry over IPv4
	// (65535 minus the 8-byte UDP and 20-byte IPv4 headers is smaller still;
	// 65535 also covers UDP GRO super-datagrams).
	MaxSlotSize = 65535
	// MaxSlots bounds the slot count so a misconfiguration cannot ask for
	// gigabytes; recvmmsg itself caps one call at 1024 (UIO_MAXIOV).
	MaxSlots = 1024
)

// Flags describe one datagram.
type Flags uint8

const (
	// Truncated means the datagram was longer than its slot: Payload holds
	// the first SlotSize bytes and the rest was discarded by the kernel
	// (MSG_TRUNC on the BSDs and Linux, WSAEMSGSIZE on Windows).
	Truncated Flags = 1 << iota
)

// Datagram is one received datagram. Payload points into the Batch's slot
// memory and is valid only until the Batch is read into again.
type Datagram struct {
	// Payload is the datagram's data (at most the slot size).
	Payload []byte
	// Src is the sender's address. It is the zero AddrPort for senders
	// that have none (unbound unix datagram sockets).
	Src netip.AddrPort
	// Flags says whether the datagram was truncated.
	Flags Flags
}

// Truncated reports whether the kernel cut the datagram to fit its slot.
func (d *Datagram) Truncated() bool { return d.Flags&Truncated != 0 }

// Batch is a fixed set of payload slots and the datagrams read into them.
// It is not safe for concurrent use: one loop owns it.
type Batch struct {
	mem      []byte     // one allocation backing every slot
	slots    [][]byte   // slots[i] is mem[i*size:(i+1)*size] with cap clipped
	dgrams   []Datagram // len(dgrams) is the number of datagrams held
	slotSize int
}

// New returns a Batch of slots payload buffers of slotSize bytes each.
// It fails, naming the bad value, when slots is not in [1, MaxSlots] or
// slotSize is not in [1, MaxSlotSize].
func New(slots, slotSize int) (*Batch, error) {
	if slots < 1 || slots > MaxSlots {
		return nil, fmt.Errorf("batch: %d slots: want 1 to %d", slots, MaxSlots)
	}
	if slotSize < 1 || slotSize > MaxSlotSize {
		return nil, fmt.Errorf("batch: slot size %d: want 1 to %d bytes", slotSize, MaxSlotSize)
	}
	b := &Batch{
		mem:      make([]byte, slots*slotSize),
		slots:    make([][]byte, slots),
		dgrams:   make([]Datagram, 0, slots),
		slotSize: slotSize,
	}
	for i := range b.slots {
		lo, hi := i*slotSize, (i+1)*slotSize
		b.slots[i] = b.mem[lo:hi:hi]
	}
	return b, nil
}

// Slots returns the payload buffers, for a reader to point its I/O vectors
// at. The slice and its buffers stay the same for the Batch's life.
func (b *Batch) Slots() [][]byte { return b.slots }

// SlotSize returns the size of each payload buffer in bytes.
func (b *Batch) SlotSize() int { return b.slotSize }

// Cap returns the number of datagrams the Batch can hold.
func (b *Batch) Cap() int { return cap(b.dgrams) }

// Len returns the number of datagrams the Batch holds.
func (b *Batch) Len() int { return len(b.dgrams) }

// Datagrams returns the datagrams the Batch holds, in arrival order. The
// slice and every Payload in it are valid only until the next read into b.
func (b *Batch) Datagrams() []Datagram { return b.dgrams }

// Bytes returns the total payload length of the datagrams held.
func (b *Batch) Bytes() int {
	n := 0
	for i := range b.dgrams {
		n += len(b.dgrams[i].Payload)
	}
	return n
}

// Reset empties the Batch. The slots keep their memory.
func (b *Batch) Reset() { b.dgrams = b.dgrams[:0] }

// Append records that n bytes from src were read into slot i. It panics if
// i or n is out of range or the Batch is full: a reader that does that has
// a bug that must not pass silently.
func (b *Batch) Append(i, n int, src netip.AddrPort, f Flags) {
	k := len(b.dgrams)
	if k == cap(b.dgrams) {
		panic("batch: Append to a full Batch")
	}
	b.dgrams = b.dgrams[:k+1]
	b.dgrams[k] = Datagram{Payload: b.slots[i][:n], Src: src, Flags: f}
}
