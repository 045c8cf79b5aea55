package batch

import (
	"errors"
	"fmt"
	"net/netip"
)

// Message is one datagram queued to be sent.
type Message struct {
	// Payload is the datagram's data, in the Out's slot memory.
	Payload []byte
	// To is the destination.
	To netip.AddrPort
	// ToName is the destination on a unix datagram socket (a path, or an
	// abstract name starting with a 0 byte), in the Out's memory; nil
	// for UDP.
	ToName []byte
	// From is the source address to send from: a reply's copy of the
	// request's Datagram.Dst, so that a host with several addresses
	// answers from the one the client used. The zero Addr lets the
	// kernel choose.
	From netip.Addr
	// IfIndex is the interface to send on, with From (IP_PKTINFO's
	// ipi_ifindex); 0 lets the routing table choose.
	IfIndex uint32
}

// Out is a fixed set of send slots and the messages queued in them: the
// send-side counterpart of Batch. One loop owns it; it is not safe for
// concurrent use. After construction it allocates nothing.
//
// Messages are sent, or dropped, in order from the front: a sender that
// stopped short (the socket's send buffer was full) leaves the rest
// queued, and the owner calls Reset once every message is resolved.
type Out struct {
	mem      []byte
	slots    [][]byte
	msgs     []Message
	slotSize int
	names    [][MaxNameLen]byte // one per slot, for AppendNamed; allocated at its first call
}

// MaxNameLen is the longest unix socket name a Message can carry: the
// size of struct sockaddr_un's sun_path on Linux (108 bytes).
const MaxNameLen = 108

// ErrOutFull is returned by Out.Append when every slot holds a message.
var ErrOutFull = errors.New("batch: every send slot is in use")

// ErrTooLarge is wrapped by the error Out.Append returns for a payload
// longer than a slot.
var ErrTooLarge = errors.New("batch: payload longer than a send slot")

// NewOut returns an Out of slots send buffers of slotSize bytes each. It
// fails, naming the bad value, when slots is not in [1, MaxSlots] or
// slotSize is not in [1, MaxSlotSize].
func NewOut(slots, slotSize int) (*Out, error) {
	if slots < 1 || slots > MaxSlots {
		return nil, fmt.Errorf("batch: %d send slots: want 1 to %d", slots, MaxSlots)
	}
	if slotSize < 1 || slotSize > MaxSlotSize {
		return nil, fmt.Errorf("batch: send slot size %d: want 1 to %d bytes", slotSize, MaxSlotSize)
	}
	o := &Out{
		mem:      make([]byte, slots*slotSize),
		slots:    make([][]byte, slots),
		msgs:     make([]Message, 0, slots),
		slotSize: slotSize,
	}
	for i := range o.slots {
		lo, hi := i*slotSize, (i+1)*slotSize
		o.slots[i] = o.mem[lo:hi:hi]
	}
	return o, nil
}

// Len returns the number of messages queued.
func (o *Out) Len() int { return len(o.msgs) }

// Cap returns the number of slots.
func (o *Out) Cap() int { return len(o.slots) }

// Room returns how many more messages fit.
func (o *Out) Room() int { return len(o.slots) - len(o.msgs) }

// SlotSize returns the size of each send slot in bytes: the longest
// payload a message can have.
func (o *Out) SlotSize() int { return o.slotSize }

// Messages returns the queued messages, in the order they were appended.
// They are valid until Reset.
func (o *Out) Messages() []Message { return o.msgs }

// Reset empties the Out. The slots keep their memory.
func (o *Out) Reset() { o.msgs = o.msgs[:0] }

// Next returns the next free slot as an empty buffer with the slot's
// capacity, for a payload built in place: append to it, then pass the
// result to Append, which then copies nothing. nil when the Out is full.
// The buffer is the next slot until Append or Reset.
func (o *Out) Next() []byte {
	if len(o.msgs) == len(o.slots) {
		return nil
	}
	return o.slots[len(o.msgs)][:0]
}

// Append queues p for to, sent from from on interface ifIndex (zero
// values let the kernel choose). p is copied into the next slot, unless
// it is already there (built in the buffer Next returned). It fails with
// ErrOutFull when no slot is free and with an error wrapping ErrTooLarge
// when p is longer than a slot; nothing is queued then.
func (o *Out) Append(p []byte, to netip.AddrPort, from netip.Addr, ifIndex uint32) error {
	k := len(o.msgs)
	if k == len(o.slots) {
		return ErrOutFull
	}
	if len(p) > o.slotSize {
		return fmt.Errorf("%w: %d bytes, slots hold %d", ErrTooLarge, len(p), o.slotSize)
	}
	slot := o.slots[k]
	if cap(p) == 0 || &p[:1][0] != &slot[0] {
		copy(slot, p)
	}
	o.msgs = o.msgs[:k+1]
	o.msgs[k] = Message{Payload: slot[:len(p):len(p)], To: to, From: from, IfIndex: ifIndex}
	return nil
}

// AppendNamed queues p for the unix datagram socket named name (a path,
// or an abstract name starting with a 0 byte), as Append does for UDP.
// The name is copied. It fails as Append does, and with an error
// wrapping ErrTooLarge for a name longer than MaxNameLen.
func (o *Out) AppendNamed(p, name []byte) error {
	if len(name) > MaxNameLen {
		return fmt.Errorf("%w: unix socket name of %d bytes, at most %d", ErrTooLarge, len(name), MaxNameLen)
	}
	k := len(o.msgs)
	if err := o.Append(p, netip.AddrPort{}, netip.Addr{}, 0); err != nil {
		return err
	}
	if o.names == nil {
		o.names = make([][MaxNameLen]byte, len(o.slots))
	}
	n := copy(o.names[k][:], name)
	o.msgs[k].ToName = o.names[k][:n:n]
	return nil
}

// Segmentable reports whether b can follow a in one segmented send (UDP
// GSO): the same destination, source and interface, and a payload no
// longer than a's. A run of such messages, all as long as the first but
// the last, which may be shorter, is one datagram per segment on the
// wire.
func Segmentable(a, b *Message) bool {
	return a.ToName == nil && b.ToName == nil && a.To == b.To && a.From == b.From && a.IfIndex == b.IfIndex &&
		len(b.Payload) <= len(a.Payload)
}
