package batch_test

import (
	"fmt"
	"net/netip"

	"github.com/udprx/udprx/batch"
)

// A reader fills a Batch; a handler iterates it without allocating.
func Example() {
	b, err := batch.New(4, 512)
	if err != nil {
		panic(err)
	}
	// What a platform reader does after a batch read:
	n := copy(b.Slots()[0], "ping")
	b.Append(0, n, netip.MustParseAddrPort("127.0.0.1:4000"), 0)

	// What a handler does:
	for _, d := range b.Datagrams() {
		fmt.Printf("%s from %v\n", d.Payload, d.Src)
	}
	// Output: ping from 127.0.0.1:4000
}
