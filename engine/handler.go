package engine

import (
	"iter"

	"github.com/udprx/udprx/batch"
)

// Handler processes the datagrams one loop has read, and may answer them.
//
// HandleBatch is called on the loop's own goroutine, one batch at a time
// per loop; with several loops it is called concurrently, once per loop.
// The batch and every payload in it are valid only until HandleBatch
// returns: the next read overwrites them. A handler that keeps a payload,
// or hands it to another goroutine, must copy it. While HandleBatch runs,
// its loop reads nothing, so a slow handler fills the socket's receive
// buffer and the kernel drops what no longer fits.
//
// w sends replies from the loop's own socket (see Writer); they leave in
// one batch when HandleBatch returns. A handler that never uses w costs
// nothing for it.
type Handler interface {
	HandleBatch(w *Writer, b Batch)
}

// HandlerFunc adapts a function to the Handler interface.
type HandlerFunc func(w *Writer, b Batch)

// HandleBatch calls f(w, b).
func (f HandlerFunc) HandleBatch(w *Writer, b Batch) { f(w, b) }

// Batch is a handler's read-only view of the datagrams one read returned.
// It is a small value, valid only during the HandleBatch call it was
// passed to, as are the payloads it holds.
type Batch struct {
	b    *batch.Batch
	loop int
}

// Len returns the number of datagrams.
func (b Batch) Len() int { return b.b.Len() }

// At returns datagram i, 0 <= i < Len(). Its Payload points into the
// loop's buffers: read it, do not keep it.
func (b Batch) At(i int) batch.Datagram { return b.b.Datagrams()[i] }

// All yields the datagrams with their index, in arrival order:
//
//	for _, d := range b.All() { ... }
func (b Batch) All() iter.Seq2[int, batch.Datagram] {
	return func(yield func(int, batch.Datagram) bool) {
		for i, d := range b.b.Datagrams() {
			if !yield(i, d) {
				return
			}
		}
	}
}

// Bytes returns the total payload length of the datagrams.
func (b Batch) Bytes() int { return b.b.Bytes() }

// Loop returns the index of the loop that read the batch, 0 to
// Config.Loops-1: the loop to name in Engine.WriteTo and Engine.Reply to
// answer from the same socket later, from another goroutine.
func (b Batch) Loop() int { return b.loop }

// BatchOf returns the view of b a handler gets from loop 0: for testing
// a Handler with datagrams built by hand, without sockets.
func BatchOf(b *batch.Batch) Batch { return Batch{b: b} }
