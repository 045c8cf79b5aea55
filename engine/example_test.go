package engine_test

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/udprx/udprx/engine"
)

// A server: one loop on loopback, a handler that copies what it keeps, a
// stop hook, and a graceful stop that delivers everything already queued.
func Example() {
	got := make(chan string, 10)
	e, err := engine.New(engine.Config{
		Addr:  "udp4://127.0.0.1:0", // port 0: e.Addr() says which
		Loops: 1,
		Handler: engine.HandlerFunc(func(_ *engine.Writer, b engine.Batch) {
			for _, d := range b.All() {
				got <- strings.ToUpper(string(d.Payload)) // a copy: d.Payload is reused
			}
		}),
		OnStop: []func(context.Context) error{func(context.Context) error {
			fmt.Println("stop hook: every queued datagram was handled")
			return nil
		}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	go e.Run(context.Background())

	conn, err := net.Dial("udp", e.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	conn.Write([]byte("hello"))
	fmt.Println(<-got)

	if err := e.Shutdown(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// HELLO
	// stop hook: every queued datagram was handled
}
