package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"time"

	"github.com/udprx/udprx/engine"
)

// An echo server that answers in upper case: each reply is built in a
// send slot (Buffer) and sent from the address the request was sent to
// (Reply); all of a batch's replies leave in one system call when the
// handler returns.
func ExampleWriter() {
	e, err := engine.New(engine.Config{
		Addr:  "udp4://0.0.0.0:0", // a wildcard: replies leave from the address each client used
		Loops: 1,
		Handler: engine.HandlerFunc(func(w *engine.Writer, b engine.Batch) {
			for _, d := range b.All() {
				buf := append(w.Buffer(), bytes.ToUpper(d.Payload)...)
				w.Reply(d, buf)
			}
		}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	go e.Run(context.Background())
	defer e.Shutdown(context.Background())

	// A connected socket only accepts datagrams from the address it sent
	// to: 127.0.0.2 here, which the server must answer from.
	port := e.Addr().(*net.UDPAddr).Port
	conn, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: port})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	conn.Write([]byte("ping"))
	reply := make([]byte, 64)
	n, err := conn.Read(reply)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(reply[:n]))
	// Output: PING
}
