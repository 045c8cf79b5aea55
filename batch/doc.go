// Package batch holds the memory of one receive loop: a fixed number of
// preallocated payload slots and, for each datagram read into them, its
// metadata (length, source address, flags).
//
// A Batch is built once per loop and reused for every read, so reading and
// handing datagrams to a handler allocates nothing. The platform layer fills
// it (Reset, then Append per datagram); the handler reads it through
// Datagrams. Nothing in this package makes a system call.
//
// The memory a Batch hands out (every Payload slice) is overwritten by the
// next read: a handler that keeps a payload must copy it.
package batch
