// Package batch holds the memory of one receive loop: a fixed number of
// preallocated payload slots and, for each datagram read into them, its
// metadata (length, source address, flags and, when a reader is asked for
// them, destination address, interface and kernel timestamp).
//
// A Batch is built once per loop and reused for every read, so reading and
// handing datagrams to a handler allocates nothing. The platform layer fills
// it (Reset, then Append or AppendSegments per read); the handler reads it
// through Datagrams. Nothing in this package makes a system call.
//
// With UDP GRO the kernel coalesces datagrams of one flow into one read of
// up to 64 KiB; a Batch from NewSegmented has room for the datagrams such a
// read carries, and AppendSegments splits the read into them in place, so a
// handler sees ordinary datagrams and nothing is copied.
//
// The memory a Batch hands out (every Payload slice) is overwritten by the
// next read: a handler that keeps a payload must copy it.
package batch
