package platform

import (
	"net"
	"testing"
)

// TestCloseIntake queues datagrams, closes the intake, sends more, and
// checks that exactly the first ones are read.
func TestCloseIntake(t *testing.T) {
	r := listenT(t, "udp4", "127.0.0.1:0", Options{RecvBuffer: 1 << 20})
	c, err := net.DialUDP("udp", nil, r.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 100 {
		c.Write([]byte("before"))
	}
	if err := r.(IntakeCloser).CloseIntake(); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		c.Write([]byte("after"))
	}
	b := newBatch(t, 64, 64)
	got := 0
	for {
		n, err := r.Read(b)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		for _, d := range b.Datagrams() {
			if string(d.Payload) != "before" {
				t.Fatalf("read %q after the intake was closed", d.Payload)
			}
		}
		got += n
	}
	if got != 100 {
		t.Errorf("read %d datagrams queued before CloseIntake, want 100", got)
	}
}
