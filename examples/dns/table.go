package main

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
)

// table is the zone's names and precompiled answers laid out for lookups
// that touch little memory: an open-addressing hash table of 64-bit slots
// over one byte arena, in which each name's entry holds the name, a
// directory of its answers and the answers themselves, side by side.
//
// At a few tens of thousands of queries a second every query meets a cold
// cache: the kernel's network stack has run since the last one. A Go map
// of names to nodes, each pointing at its own answer list and messages,
// cost five or six cache misses per query there, and 9% of the server's
// CPU in a profile at 20k queries/s, where a warm benchmark showed 80 ns.
// A lookup here reads one slot, then one entry's few adjacent lines.
//
// An entry, at its offset in the arena:
//
//	name length (1 byte), the name (lower-case wire format)
//	n (2 bytes): the directory's length, its last item the default
//	n items of 8 bytes: qtype (2), message length (2), message offset (4)
//	the messages
//
// The default item, qtype 0, is the answer for every type the name has no
// item for: the chased answer at a name that owns a CNAME, none (length 0:
// NODATA) elsewhere. Numbers are big endian.
type table struct {
	slots []uint64 // hash<<32 | entry offset+1; 0 is empty
	seed  uint32   // the hash's start, random per table
	arena []byte
}

const (
	dirItem  = 8         // the size of one directory item
	maxArena = 1<<32 - 2 // so that every offset+1 fits in a slot's 32 bits
)

// build lays out nodes (keyed by lower-case wire name) in t, empty.
func (t *table) build(nodes map[string]*node) error {
	size := 8
	for size < 2*len(nodes) { // at most half full: short probes
		size *= 2
	}
	*t = table{slots: make([]uint64, size), seed: rand.Uint32()}
	for name, nd := range nodes {
		off := len(t.arena)
		t.arena = append(t.arena, byte(len(name)))
		t.arena = append(t.arena, name...)
		n := len(nd.answers) + 1
		t.arena = binary.BigEndian.AppendUint16(t.arena, uint16(n))
		dir := len(t.arena)
		t.arena = append(t.arena, make([]byte, n*dirItem)...)
		item := func(i int, qtype uint16, msg []byte) error {
			if len(msg) > 0xffff {
				return fmt.Errorf("an answer of %d bytes at %s", len(msg), name)
			}
			if len(t.arena)+len(msg) > maxArena {
				return fmt.Errorf("the zone's answers take more than %d bytes", maxArena)
			}
			d := t.arena[dir+i*dirItem:]
			binary.BigEndian.PutUint16(d, qtype)
			binary.BigEndian.PutUint16(d[2:], uint16(len(msg)))
			binary.BigEndian.PutUint32(d[4:], uint32(len(t.arena)))
			t.arena = append(t.arena, msg...)
			return nil
		}
		for i, ta := range nd.answers {
			if err := item(i, ta.qtype, ta.msg); err != nil {
				return err
			}
		}
		if err := item(n-1, 0, nd.chase); err != nil {
			return err
		}
		h := t.hash([]byte(name))
		i := t.probe(h)
		for t.slots[i] != 0 {
			i = (i + 1) & (len(t.slots) - 1)
		}
		t.slots[i] = uint64(h)<<32 | uint64(off+1)
	}
	return nil
}

// hash is FNV-1a over name lower-cased, from the table's seed. Label
// lengths (at most 63) are below 'A', so lower-casing leaves them.
func (t *table) hash(name []byte) uint32 {
	h := t.seed ^ 2166136261
	for _, c := range name {
		h = (h ^ uint32(lower(c))) * 16777619
	}
	return h
}

// probe is the slot where the search for hash h starts.
func (t *table) probe(h uint32) int { return int(h) & (len(t.slots) - 1) }

// find returns the offset of name's entry (name in wire format, in any
// case), or -1 when the zone does not hold it. h is t.hash(name).
func (t *table) find(name []byte, h uint32) int {
	for i := t.probe(h); ; i = (i + 1) & (len(t.slots) - 1) {
		s := t.slots[i]
		if s == 0 {
			return -1
		}
		if uint32(s>>32) != h {
			continue
		}
		off := int(uint32(s)) - 1
		e := t.arena[off:]
		if int(e[0]) == len(name) && equalFold(e[1:1+len(name)], name) {
			return off
		}
	}
}

// answer returns the precompiled answer for qtype in the entry at off, or
// nil for NODATA.
func (t *table) answer(off int, qtype uint16) []byte {
	e := t.arena[off:]
	dir := 1 + int(e[0])
	n := int(binary.BigEndian.Uint16(e[dir:]))
	items := e[dir+2 : dir+2+n*dirItem]
	d := items[(n-1)*dirItem:] // the default
	for i := 0; i < n-1; i++ {
		if binary.BigEndian.Uint16(items[i*dirItem:]) == qtype {
			d = items[i*dirItem:]
			break
		}
	}
	l := int(binary.BigEndian.Uint16(d[2:]))
	if l == 0 {
		return nil
	}
	m := int(binary.BigEndian.Uint32(d[4:]))
	return t.arena[m : m+l : m+l]
}

// lower is c in lower case, for ASCII letters.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFold reports whether the lower-case wire name low equals name in
// any case (same length).
func equalFold(low, name []byte) bool {
	for i, c := range name {
		if lower(c) != low[i] {
			return false
		}
	}
	return true
}
