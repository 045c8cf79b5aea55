package main

import "encoding/binary"

// The header layout (RFC 1035 section 4.1.1): ID, two flag bytes, then
// QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT, each 16 bits big endian.
const (
	headerLen = 12

	flagQR = 0x80 // byte 2
	flagAA = 0x04 // byte 2
	flagTC = 0x02 // byte 2
	flagRD = 0x01 // byte 2

	rcodeFormErr  = 1
	rcodeNXDomain = 3
	rcodeNotImp   = 4
	rcodeRefused  = 5

	typeOPT = 41
	typeSOA = 6
	classIN = 1

	// minUDP is the size every DNS client takes over UDP (RFC 1035
	// section 2.3.4), and the floor of an EDNS0 client's size (RFC 6891
	// section 6.2.5).
	minUDP = 512
	// optLen is an OPT record with no options: root owner, type, class
	// (the UDP size), TTL (extended rcode, version, flags), rdlength.
	optLen = 11
	// maxTCP is the longest message over TCP: a 16-bit length prefix.
	maxTCP = 65535
)

// query is what answer needs from a query, parsed in place.
type query struct {
	qEnd    int    // offset just past the question
	nameLen int    // length of the question name in wire format
	qtype   uint16 // the question's type
	qclass  uint16
	edns    bool   // an OPT record came with it
	udpSize uint16 // the OPT's class: the client's UDP payload size
	version uint8  // the OPT's EDNS version
}

// Answerer answers queries for one Zone from its precompiled messages.
// It holds no state of its own beyond the zone and the size it
// advertises, so one Answerer serves every loop and the TCP server at
// once; Answer allocates nothing.
type Answerer struct {
	Zone *Zone
	// EDNSSize is the largest UDP answer given to an EDNS0 client, and
	// the size advertised in the answer's OPT record. A client asking
	// for less gets at most what it asked for (at least 512).
	EDNSSize int
}

// Answer appends to dst the answer to the query q and returns it, or nil
// when q gets no answer at all: shorter than a header, or itself a
// response (answering those would let two servers loop). Everything else
// gets a well-formed answer: FORMERR for what does not parse, NOTIMP for
// opcodes other than QUERY, REFUSED for names outside the zone and
// classes other than IN, BADVERS for EDNS versions other than 0.
//
// udp says the answer goes over UDP: it is then cut to 512 bytes, or to
// the client's EDNS0 size (at most EDNSSize), with TC set and only the
// question kept when it does not fit. Over TCP the limit is 65535. When
// cap(dst) is less than the limit the limit is cap(dst).
func (a *Answerer) Answer(dst, q []byte, udp bool) []byte {
	if len(q) < headerLen || q[2]&flagQR != 0 {
		return nil
	}
	dst = dst[:0]
	limit := maxTCP
	qr, ok := parseQuery(q)
	if udp {
		limit = minUDP
		if ok && qr.edns {
			limit = min(max(int(qr.udpSize), minUDP), a.EDNSSize)
		}
	}
	limit = min(limit, cap(dst))
	if limit < headerLen {
		return nil
	}
	if opcode := q[2] >> 3 & 0x0f; opcode != 0 {
		return header(dst, q, opcode, rcodeNotImp)
	}
	if !ok {
		return header(dst, q, 0, rcodeFormErr)
	}
	if qr.edns && qr.version != 0 {
		// RFC 6891 section 6.1.3: BADVERS (16) is extended rcode 1 with
		// rcode 0, in an OPT of version 0.
		return a.opt(question(dst, q, qr, 0, 0), 1)
	}
	name := q[headerLen : headerLen+qr.nameLen]
	z := a.Zone
	t := &z.table
	e := -1 // the name's entry in the table
	if qr.qclass == classIN {
		e = t.find(name, t.hash(name))
	}
	if e < 0 && (qr.qclass != classIN || !inZone(name, z.originWire)) {
		return a.fit(question(dst, q, qr, 0, rcodeRefused), q, qr, limit)
	}
	var pre []byte
	if e >= 0 {
		pre = t.answer(e, qr.qtype)
	}
	if pre == nil {
		rcode := byte(0)
		if e < 0 {
			rcode = rcodeNXDomain
		}
		dst = question(dst, q, qr, flagAA, rcode)
		binary.BigEndian.PutUint16(dst[8:], 1) // NSCOUNT
		// The owner, the origin, is the question name's tail: point at it.
		ptr := headerLen + qr.nameLen - len(z.originWire)
		dst = append(dst, 0xc0|byte(ptr>>8), byte(ptr))
		dst = append(dst, z.soaTail...)
		return a.fit(dst, q, qr, limit)
	}
	if len(pre) > cap(dst) {
		return a.fit(question(dst, q, qr, flagAA, pre[3]&0x0f), q, qr, 0)
	}
	dst = append(dst, pre...)
	dst[0], dst[1] = q[0], q[1]
	dst[2] |= q[2] & flagRD
	copy(dst[headerLen:], name) // the client's case (RFC 4343; 0x20 clients check it)
	binary.BigEndian.PutUint16(dst[headerLen+qr.nameLen:], qr.qtype)
	return a.fit(dst, q, qr, limit)
}

// fit adds the OPT record when the query had one, and cuts msg to the
// question with TC set when it does not fit in limit.
func (a *Answerer) fit(msg, q []byte, qr query, limit int) []byte {
	need := len(msg)
	if qr.edns {
		need += optLen
	}
	if need > limit {
		msg = msg[:qr.qEnd]
		msg[2] |= flagTC
		clear(msg[6:12]) // ANCOUNT, NSCOUNT, ARCOUNT
	}
	if qr.edns {
		return a.opt(msg, 0)
	}
	return msg
}

// opt appends an OPT record (no options, DO clear: no DNSSEC here) with
// the extended rcode ext and counts it.
func (a *Answerer) opt(msg []byte, ext byte) []byte {
	size := uint16(a.EDNSSize)
	msg = append(msg, 0, 0, typeOPT, byte(size>>8), byte(size), ext, 0, 0, 0, 0, 0)
	binary.BigEndian.PutUint16(msg[10:], binary.BigEndian.Uint16(msg[10:])+1)
	return msg
}

// header appends a header-only answer to q: its ID, opcode and RD, rcode,
// no records.
func header(dst, q []byte, opcode, rcode byte) []byte {
	return append(dst, q[0], q[1], flagQR|opcode<<3|q[2]&flagRD, rcode, 0, 0, 0, 0, 0, 0, 0, 0)
}

// question appends the header and q's question, with flags (AA) and
// rcode, one question and no records.
func question(dst, q []byte, qr query, flags, rcode byte) []byte {
	dst = append(dst, q[0], q[1], flagQR|flags|q[2]&flagRD, rcode, 0, 1, 0, 0, 0, 0, 0, 0)
	return append(dst, q[headerLen:qr.qEnd]...)
}

// parseQuery reads the header's counts, the question and the OPT record
// of q (len(q) >= headerLen) without allocating. It fails on anything
// but one question, no answer or authority records, and at most one
// additional record that is an OPT, with nothing after it; on a name
// with a compression pointer (a question's name has nothing before it to
// point at), a label over 63 bytes or a name over 255 (RFC 1035 section
// 3.1).
func parseQuery(q []byte) (query, bool) {
	var qr query
	if binary.BigEndian.Uint16(q[4:]) != 1 || binary.BigEndian.Uint16(q[6:]) != 0 || binary.BigEndian.Uint16(q[8:]) != 0 {
		return qr, false
	}
	arcount := binary.BigEndian.Uint16(q[10:])
	if arcount > 1 {
		return qr, false
	}
	off := headerLen
	for {
		if off >= len(q) {
			return qr, false
		}
		l := int(q[off])
		if l > 63 {
			return qr, false
		}
		off += 1 + l
		if off-headerLen > 255 {
			return qr, false
		}
		if l == 0 {
			break
		}
	}
	qr.nameLen = off - headerLen
	if off+4 > len(q) {
		return qr, false
	}
	qr.qtype = binary.BigEndian.Uint16(q[off:])
	qr.qclass = binary.BigEndian.Uint16(q[off+2:])
	off += 4
	qr.qEnd = off
	if arcount == 0 {
		return qr, off == len(q)
	}
	// The OPT record (RFC 6891 section 6.1.2): root name, type 41, class
	// the UDP size, TTL extended rcode/version/flags, rdata options.
	if off+optLen > len(q) || q[off] != 0 || binary.BigEndian.Uint16(q[off+1:]) != typeOPT {
		return qr, false
	}
	qr.edns = true
	qr.udpSize = binary.BigEndian.Uint16(q[off+3:])
	qr.version = q[off+6]
	rdlen := int(binary.BigEndian.Uint16(q[off+9:]))
	return qr, off+optLen+rdlen == len(q)
}

// inZone reports whether name (wire format, any case) is origin (lower
// case) or below it: origin is name's tail and starts at a label boundary.
func inZone(name, origin []byte) bool {
	if len(origin) > len(name) || !equalFold(origin, name[len(name)-len(origin):]) {
		return false
	}
	for off := 0; off < len(name); off += 1 + int(name[off]) {
		if off == len(name)-len(origin) {
			return true
		}
	}
	return false
}
