package platform_test

import (
	"fmt"
	"net"

	"github.com/udprx/udprx/batch"
	"github.com/udprx/udprx/platform"
)

// Reading a socket directly, as an event loop does: wait, then read a
// batch without blocking. Most programs use package engine instead.
func Example() {
	r, err := platform.Listen("udp4", "127.0.0.1:0", platform.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	b, _ := batch.New(batch.DefaultSlots, batch.DefaultSlotSize)

	c, _ := net.Dial("udp", r.LocalAddr().String())
	defer c.Close()
	c.Write([]byte("one"))
	c.Write([]byte("two"))

	for got := 0; got < 2; {
		ev, err := r.Wait()
		if err != nil || ev.Events&platform.Readable == 0 {
			fmt.Println(ev.Events, err)
			return
		}
		n, err := r.Read(b) // 0, nil: nothing queued after all
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, d := range b.Datagrams() {
			fmt.Printf("%s from loopback: %v\n", d.Payload, d.Src.Addr().IsLoopback())
		}
		got += n
	}
	// Output:
	// one from loopback: true
	// two from loopback: true
}
