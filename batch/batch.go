package batch

import (
	"fmt"
	"net/netip"
)

// Defaults and limits for New and NewSegmented.
const (
	// DefaultSlots is the number of datagrams one read can return.
	DefaultSlots = 64
	// DefaultSlotSize is the payload buffer size of one slot in bytes:
	// larger than any Ethernet-sized datagram, small enough that 64 slots
	// stay in a few pages of L2.
	DefaultSlotSize = 2048
	// MaxSlotSize is the largest payload a UDP datagram can carry over IPv4
	// (65535 minus the 8-byte UDP and 20-byte IPv4 headers is smaller still;
	// 65535 also covers UDP GRO super-datagrams). A reader with UDP GRO on
	// needs slots of this size: a coalesced read is up to 64 KiB.
	MaxSlotSize = 65535
	// MaxSlots bounds the slot count so a misconfiguration cannot ask for
	// gigabytes; recvmmsg itself caps one call at 1024 (UIO_MAXIOV).
	MaxSlots = 1024
	// GROSegments is the most datagrams a receiving NIC's GRO coalesces
	// into one: UDP_GRO_CNT_MAX, 64, in the kernel's
	// net/ipv4/udp_offload.c (udp_gro_receive_segment). It is the
	// maxSegments to give NewSegmented for a UDP GRO reader.
	GROSegments = 64
	// MaxSegments bounds NewSegmented's maxSegments. It is UDP_MAX_SEGMENTS
	// in include/linux/udp.h: the most segments a UDP GSO sender may put
	// in one send (1 << 6 in older kernels, 1 << 7 in newer ones: Linux
	// 6.18 here accepts 128 and refuses 129), which a GRO socket on the
	// same host (loopback, veth) receives still coalesced, so one read
	// can carry more than GROSegments datagrams. A reader handles that by
	// carrying the rest of the read over to its next read (see
	// AppendSegments), so a Batch sized with GROSegments stays correct.
	MaxSegments = 128
)

// Flags describe one datagram.
type Flags uint8

const (
	// Truncated means the datagram was longer than its slot: Payload holds
	// the first SlotSize bytes and the rest was discarded by the kernel
	// (MSG_TRUNC on the BSDs and Linux, WSAEMSGSIZE on Windows). For a
	// coalesced (GRO) read cut short by its slot, only the last segment
	// is marked: the ones before it are whole. A datagram longer than the
	// Batch's payload limit (SetPayloadLimit) is cut to it and marked
	// too, each segment of a coalesced read on its own.
	Truncated Flags = 1 << iota
	// ControlTruncated means the kernel had more metadata (control
	// messages) for the datagram than the reader had room for (MSG_CTRUNC):
	// Dst, IfIndex and Timestamp may be missing. A reader never splits a
	// coalesced read whose segment size may have been lost: it delivers
	// it as one datagram with this flag (see AppendSegments).
	ControlTruncated
)

// Meta is the per-datagram metadata a reader fills from control messages
// when asked to: the fields Datagram has beyond its payload, source and
// flags. It is small and passed by value.
type Meta struct {
	// Dst is the destination address of the datagram (IP_PKTINFO,
	// IPV6_PKTINFO): on a socket bound to a wildcard address, which of the
	// host's addresses the sender sent to. IPv4-mapped IPv6 addresses are
	// unmapped, as Src is. The zero Addr when not asked for.
	Dst netip.Addr
	// IfIndex is the index of the interface the datagram arrived on (from
	// the same control message as Dst); 0 when not asked for.
	IfIndex uint32
	// Timestamp is when the kernel received the datagram, in Unix
	// nanoseconds (SO_TIMESTAMPNS); 0 when not asked for. Datagrams
	// coalesced into one read (GRO) share one timestamp.
	Timestamp int64
}

// Datagram is one received datagram. Payload points into the Batch's slot
// memory and is valid only until the Batch is read into again.
//
// The metadata fields are plain fields rather than an embedded Meta so a
// handler reads d.Dst, not d.Meta.Dst, and the zero value of each says
// "not asked for".
type Datagram struct {
	// Payload is the datagram's data (at most the slot size).
	Payload []byte
	// Src is the sender's address. It is the zero AddrPort for senders
	// that have none (unbound unix datagram sockets).
	Src netip.AddrPort
	// Dst is the address the datagram was sent to; see Meta.Dst.
	Dst netip.Addr
	// Timestamp is the kernel's receive time; see Meta.Timestamp.
	Timestamp int64
	// IfIndex is the receiving interface; see Meta.IfIndex.
	IfIndex uint32
	// Flags says whether the datagram or its metadata was truncated.
	Flags Flags
	// SrcName is the sender's address on a unix datagram socket: the
	// path it is bound to, or an abstract name, which starts with a 0
	// byte. It is nil for UDP, for a sender that is not bound (it cannot
	// be answered), and where the reader does not report names (Linux
	// does). Like Payload it points into the reader's memory.
	SrcName []byte
}

// Truncated reports whether the kernel cut the datagram to fit its slot.
func (d *Datagram) Truncated() bool { return d.Flags&Truncated != 0 }

// Batch is a fixed set of payload slots and the datagrams read into them.
// It is not safe for concurrent use: one loop owns it.
//
// A Batch from New holds one datagram per slot. One from NewSegmented
// holds up to maxSegments per slot, for readers whose one read into a slot
// can carry several datagrams (UDP GRO): Cap counts datagrams, Slots
// counts reads.
type Batch struct {
	mem      []byte     // one allocation backing every slot
	slots    [][]byte   // slots[i] is mem[i*size:(i+1)*size] with cap clipped
	dgrams   []Datagram // len(dgrams) is the number of datagrams held
	slotSize int
	maxSegs  int // datagrams per slot the capacity was sized for
	limit    int // longest Payload delivered; longer ones are cut and flagged
	used     int // Append and AppendSegments calls since Reset: slots read into
	nbytes   int // payload bytes held, kept as datagrams are appended
	ntrunc   int // datagrams held that are flagged Truncated
}

// New returns a Batch of slots payload buffers of slotSize bytes each,
// holding one datagram per slot.
// It fails, naming the bad value, when slots is not in [1, MaxSlots] or
// slotSize is not in [1, MaxSlotSize].
func New(slots, slotSize int) (*Batch, error) {
	return NewSegmented(slots, slotSize, 1)
}

// NewSegmented returns a Batch of slots payload buffers of slotSize bytes
// each with room for slots*maxSegments datagrams: a reader with UDP GRO on
// splits each coalesced read into its datagrams with AppendSegments. For
// GRO, slotSize should be MaxSlotSize and maxSegments GROSegments.
// It fails, naming the bad value, when slots is not in [1, MaxSlots],
// slotSize is not in [1, MaxSlotSize] or maxSegments is not in
// [1, MaxSegments].
func NewSegmented(slots, slotSize, maxSegments int) (*Batch, error) {
	if slots < 1 || slots > MaxSlots {
		return nil, fmt.Errorf("batch: %d slots: want 1 to %d", slots, MaxSlots)
	}
	if slotSize < 1 || slotSize > MaxSlotSize {
		return nil, fmt.Errorf("batch: slot size %d: want 1 to %d bytes", slotSize, MaxSlotSize)
	}
	if maxSegments < 1 || maxSegments > MaxSegments {
		return nil, fmt.Errorf("batch: %d segments per slot: want 1 to %d", maxSegments, MaxSegments)
	}
	b := &Batch{
		mem:      make([]byte, slots*slotSize),
		slots:    make([][]byte, slots),
		dgrams:   make([]Datagram, 0, slots*maxSegments),
		slotSize: slotSize,
		maxSegs:  maxSegments,
		limit:    slotSize,
	}
	for i := range b.slots {
		lo, hi := i*slotSize, (i+1)*slotSize
		b.slots[i] = b.mem[lo:hi:hi]
	}
	return b, nil
}

// SetPayloadLimit makes the Batch deliver at most n bytes of any datagram:
// one longer than n is cut to its first n bytes and flagged Truncated, as
// if its slot had been n bytes. It is how a reader whose slots must be
// larger than a datagram (UDP GRO needs MaxSlotSize slots for coalesced
// reads) keeps the datagram size its caller asked for: every segment of
// a coalesced read is cut on its own. The default is SlotSize. It fails,
// naming the value, unless 1 <= n <= SlotSize.
func (b *Batch) SetPayloadLimit(n int) error {
	if n < 1 || n > b.slotSize {
		return fmt.Errorf("batch: payload limit %d: want 1 to the slot size %d", n, b.slotSize)
	}
	b.limit = n
	return nil
}

// PayloadLimit returns the longest payload the Batch delivers whole (see
// SetPayloadLimit).
func (b *Batch) PayloadLimit() int { return b.limit }

// Slots returns the payload buffers, for a reader to point its I/O vectors
// at. The slice and its buffers stay the same for the Batch's life.
func (b *Batch) Slots() [][]byte { return b.slots }

// SlotSize returns the size of each payload buffer in bytes.
func (b *Batch) SlotSize() int { return b.slotSize }

// MaxSegments returns the datagrams per slot the Batch was sized for: 1
// for a Batch from New.
func (b *Batch) MaxSegments() int { return b.maxSegs }

// Cap returns the number of datagrams the Batch can hold: the slot count
// times MaxSegments.
func (b *Batch) Cap() int { return cap(b.dgrams) }

// Len returns the number of datagrams the Batch holds.
func (b *Batch) Len() int { return len(b.dgrams) }

// Room returns how many more datagrams the Batch can hold.
func (b *Batch) Room() int { return cap(b.dgrams) - len(b.dgrams) }

// Full reports whether the last read filled the Batch: every datagram
// entry is used, or datagrams were appended from as many slots as there
// are (each Append or AppendSegments call counts one). After a full read
// more may be queued, so a loop reads again before it waits; after one
// that is not full, the queue was empty. For a Batch from New it is
// Len() == Cap().
func (b *Batch) Full() bool { return len(b.dgrams) == cap(b.dgrams) || b.used >= len(b.slots) }

// Datagrams returns the datagrams the Batch holds, in arrival order. The
// slice and every Payload in it are valid only until the next read into b.
func (b *Batch) Datagrams() []Datagram { return b.dgrams }

// Bytes returns the total payload length of the datagrams held.
func (b *Batch) Bytes() int { return b.nbytes }

// NumTruncated returns how many of the datagrams held are flagged
// Truncated. Like Bytes it is counted as datagrams are appended, so a
// loop's bookkeeping does not walk the batch a second time.
func (b *Batch) NumTruncated() int { return b.ntrunc }

// SetSrcName records the sender's unix socket name of datagram k.
func (b *Batch) SetSrcName(k int, name []byte) { b.dgrams[k].SrcName = name }

// Reset empties the Batch. The slots keep their memory.
func (b *Batch) Reset() {
	b.dgrams = b.dgrams[:0]
	b.used, b.nbytes, b.ntrunc = 0, 0, 0
}

// Append records that n bytes from src were read into slot i, with no
// metadata. It panics if i or n is out of range or the Batch is full: a
// reader that does that has a bug that must not pass silently.
func (b *Batch) Append(i, n int, src netip.AddrPort, f Flags) {
	k := len(b.dgrams)
	if k == cap(b.dgrams) {
		panic("batch: Append to a full Batch")
	}
	b.dgrams = b.dgrams[:k+1]
	b.dgrams[k] = Datagram{Payload: b.slots[i][:n], Src: src, Flags: f}
	b.count(n, f)
	if n > b.limit {
		b.cut(k, k+1)
	}
}

// cut applies the payload limit to datagrams [from, to), which count has
// already counted whole.
func (b *Batch) cut(from, to int) {
	for j := from; j < to; j++ {
		d := &b.dgrams[j]
		if len(d.Payload) <= b.limit {
			continue
		}
		b.nbytes -= len(d.Payload) - b.limit
		d.Payload = d.Payload[:b.limit:b.limit]
		if d.Flags&Truncated == 0 {
			d.Flags |= Truncated
			b.ntrunc++
		}
	}
}

// count records one read of n payload bytes into a slot, whose last
// datagram carries flags f.
func (b *Batch) count(n int, f Flags) {
	b.used++
	b.nbytes += n
	if f&Truncated != 0 {
		b.ntrunc++
	}
}

// Segments returns how many datagrams AppendSegments makes of n bytes
// coalesced with segment size segSize: n/segSize rounded up, the last one
// shorter if segSize does not divide n. It is 1 when segSize is 0 or less
// (not coalesced: one datagram), when segSize >= n, and when n is 0 (one
// empty datagram).
func Segments(n, segSize int) int {
	if segSize <= 0 || n <= segSize {
		return 1
	}
	return (n + segSize - 1) / segSize
}

// AppendSegments records that bytes [off, off+n) of slot i are datagrams
// from src coalesced into one read (UDP GRO): consecutive segments of
// segSize bytes, the last one shorter if segSize does not divide n. Each
// becomes a Datagram whose Payload points into the slot (nothing is
// copied) with the same src and m. segSize 0 means "not coalesced": the n
// bytes are one datagram (as with segSize >= n), which makes this also the
// way to append one datagram with metadata. It returns the number of
// datagrams appended: Segments(n, segSize).
//
// Of the flags, Truncated is set on the last segment only: a coalesced
// read cut short by its slot lost its tail, not its head. The rest of f is
// set on every segment.
//
// off is where a reader resumes a read it could not deliver whole: when a
// read holds more segments than the Batch has Room for, the reader appends
// the first Room()*segSize bytes, and on its next read (after Reset) the
// rest, from off. off must then be a multiple of segSize.
//
// It panics if the datagrams do not fit (Room() < Segments(n, segSize))
// or [off, off+n) is not within the slot.
func (b *Batch) AppendSegments(i, off, n, segSize int, src netip.AddrPort, f Flags, m Meta) int {
	slot := b.slots[i][off : off+n]
	k := len(b.dgrams)
	segs := Segments(n, segSize)
	if segs > cap(b.dgrams)-k {
		panic(fmt.Sprintf("batch: AppendSegments of %d datagrams to a Batch with room for %d", segs, cap(b.dgrams)-k))
	}
	b.dgrams = b.dgrams[:k+segs]
	d := b.dgrams[k : k+segs]
	if segs == 1 {
		d[0] = Datagram{Payload: slot, Src: src, Dst: m.Dst, Timestamp: m.Timestamp, IfIndex: m.IfIndex, Flags: f}
		b.count(n, f)
		if n > b.limit {
			b.cut(k, k+1)
		}
		return 1
	}
	whole := f &^ Truncated
	for j := range d {
		lo := j * segSize
		hi := min(lo+segSize, n)
		d[j] = Datagram{Payload: slot[lo:hi:hi], Src: src, Dst: m.Dst, Timestamp: m.Timestamp, IfIndex: m.IfIndex, Flags: whole}
	}
	d[segs-1].Flags = f
	b.count(n, f)
	if segSize > b.limit {
		b.cut(k, k+segs)
	}
	return segs
}
