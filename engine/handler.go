package engine

import "github.com/udprx/udprx/batch"

// Handler processes the datagrams one loop has read.
//
// HandleBatch is called on the loop's own goroutine, one batch at a time
// per loop; with several loops it is called concurrently, once per loop.
// The batch and every payload in it are valid only until HandleBatch
// returns: the next read overwrites them. A handler that keeps a payload,
// or hands it to another goroutine, must copy it. While HandleBatch runs,
// its loop reads nothing, so a slow handler fills the socket's receive
// buffer and the kernel drops what no longer fits.
type Handler interface {
	HandleBatch(b *batch.Batch)
}

// HandlerFunc adapts a function to the Handler interface.
type HandlerFunc func(b *batch.Batch)

// HandleBatch calls f(b).
func (f HandlerFunc) HandleBatch(b *batch.Batch) { f(b) }
