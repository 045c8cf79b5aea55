package wire

import "encoding/binary"

// HeaderSize is the length in bytes of the header udpbench writes at the
// start of every payload of at least that size.
//
// The layout, all big-endian (network order, so a capture reads it as is):
//
//	offset  size  field
//	0       4     magic 0x75647062 ("udpb" in ASCII)
//	4       4     Flow
//	8       8     Seq
//	16      8     SentUnixNano
//
// The rest of a payload is zero bytes. A payload shorter than HeaderSize
// carries no header at all (zero bytes only), so a receiver cannot count loss
// or latency for it.
const HeaderSize = 24

// MaxFlows is the number of flows a sender may run and a Tracker keeps
// sequence state for (flow ids 0..MaxFlows-1): each flow is a socket and a
// goroutine, and far fewer flows than this already saturate a host.
const MaxFlows = 4096

// headerMagic marks a payload as written by udpbench: "udpb" in ASCII. A
// receiver uses it to tell udpbench traffic from a foreign payload.
const headerMagic uint32 = 0x75647062

// Header is what a udpbench payload tells its receiver: which flow (source
// socket) sent it, its place in that flow, and when it was sent, so that a
// receiver can count loss, duplicates and reordering per flow, and one-way
// latency when sender and receiver share a clock (the same host).
type Header struct {
	// Flow numbers the sender's source sockets from 0. Two udpbench
	// processes both have a flow 0: key flows by source address and Flow.
	Flow uint32
	// Seq is the datagram's number within its flow, from 0, counting only
	// datagrams the sender's kernel accepted: a gap at the receiver is a
	// datagram lost after it left the sender.
	Seq uint64
	// SentUnixNano is the sender's wall clock (time.Now().UnixNano()) just
	// before the system call that sent the datagram.
	SentUnixNano int64
}

// PutHeader writes h at the start of b in the layout documented at
// HeaderSize. It reports false and writes nothing if b is shorter than
// HeaderSize.
func PutHeader(b []byte, h Header) bool {
	if len(b) < HeaderSize {
		return false
	}
	binary.BigEndian.PutUint32(b[0:4], headerMagic)
	binary.BigEndian.PutUint32(b[4:8], h.Flow)
	binary.BigEndian.PutUint64(b[8:16], h.Seq)
	binary.BigEndian.PutUint64(b[16:24], uint64(h.SentUnixNano))
	return true
}

// ParseHeader reads the header at the start of b. It reports false if b is
// shorter than HeaderSize or does not start with udpbench's magic number (a
// foreign payload); bytes after the header are ignored.
func ParseHeader(b []byte) (Header, bool) {
	if len(b) < HeaderSize || binary.BigEndian.Uint32(b[0:4]) != headerMagic {
		return Header{}, false
	}
	return Header{
		Flow:         binary.BigEndian.Uint32(b[4:8]),
		Seq:          binary.BigEndian.Uint64(b[8:16]),
		SentUnixNano: int64(binary.BigEndian.Uint64(b[16:24])),
	}, true
}

// PutSeqTime rewrites only the Seq and SentUnixNano fields of a header that
// PutHeader wrote before, for the send loop's hot path. b must be at least
// HeaderSize long.
func PutSeqTime(b []byte, seq uint64, unixNano int64) {
	binary.BigEndian.PutUint64(b[8:16], seq)
	binary.BigEndian.PutUint64(b[16:24], uint64(unixNano))
}
