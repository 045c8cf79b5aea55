package engine

import (
	"context"
	"net"
	"syscall"
	"testing"
	"time"
)

// TestAdoptedSocketLeftAsFound: after Shutdown, an adopted socket is as
// it was: the caller's own *net.UDPConn receives again, and so does a
// second engine given the same socket, as a socket-activated service
// restarting would (issue 12, case 1).
func TestAdoptedSocketLeftAsFound(t *testing.T) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for round := range 2 {
		c := newCollector()
		e, err := New(Config{Sockets: []syscall.Conn{conn}, Handler: c, GRO: true, DstAddr: true, Timestamps: true, RecvBuffer: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		ran := make(chan error, 1)
		go func() { ran <- e.Run(context.Background()) }()
		sendAndCount(t, e, c, 10)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = e.Shutdown(ctx)
		cancel()
		if err != nil {
			t.Fatalf("round %d: Shutdown: %v", round, err)
		}
		if err := <-ran; err != nil {
			t.Fatalf("round %d: Run: %v", round, err)
		}
	}
	// The caller's conn, read as the caller reads it.
	client, err := net.DialUDP("udp4", nil, conn.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := client.Write([]byte("mine again")); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, _, err := conn.ReadFromUDP(buf)
	if err != nil || string(buf[:n]) != "mine again" {
		t.Fatalf("the caller's conn read %q, %v after Shutdown; want \"mine again\"", buf[:n], err)
	}
}
