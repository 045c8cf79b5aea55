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

// A UDP GRO reader splits one coalesced read into its datagrams in place.
func ExampleBatch_AppendSegments() {
	b, err := batch.NewSegmented(2, batch.MaxSlotSize, batch.GROSegments)
	if err != nil {
		panic(err)
	}
	// The kernel put three datagrams of up to 5 bytes into slot 0 and
	// reported a segment size of 5 (a UDP_GRO control message).
	n := copy(b.Slots()[0], "helloworldbye")
	src := netip.MustParseAddrPort("192.0.2.1:4000")
	meta := batch.Meta{Dst: netip.MustParseAddr("192.0.2.9"), IfIndex: 2}
	b.AppendSegments(0, 0, n, 5, src, 0, meta)

	for _, d := range b.Datagrams() {
		fmt.Printf("%q from %v to %v\n", d.Payload, d.Src, d.Dst)
	}
	// Output:
	// "hello" from 192.0.2.1:4000 to 192.0.2.9
	// "world" from 192.0.2.1:4000 to 192.0.2.9
	// "bye" from 192.0.2.1:4000 to 192.0.2.9
}
