package hoststat

import (
	"net"
	"testing"
	"time"
)

// TestReadSocketStats overflows a socket that nobody reads and checks that
// its own drop counter, read from /proc/net/udp, accounts for every
// datagram it did not queue.
func TestReadSocketStats(t *testing.T) {
	rc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if err := rc.SetReadBuffer(4096); err != nil { // the kernel's minimum
		t.Fatal(err)
	}
	port := uint16(rc.LocalAddr().(*net.UDPAddr).Port)
	sc, err := net.DialUDP("udp4", nil, rc.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	const sent = 500
	p := make([]byte, 64)
	for range sent {
		if _, err := sc.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	st, err := ReadSocketStats(port)
	if err != nil {
		t.Fatal(err)
	}
	if st.Sockets != 1 || st.Drops == 0 || st.RxQueue == 0 {
		t.Fatalf("stats %+v: want 1 socket with drops and a queue", st)
	}
	// Everything not dropped is queued: read it all.
	var queued uint64
	buf := make([]byte, 128)
	for {
		rc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := rc.Read(buf); err != nil {
			break
		}
		queued++
	}
	if queued+st.Drops != sent {
		t.Errorf("queued %d + dropped %d != sent %d", queued, st.Drops, sent)
	}

	c, err := ReadUDPCounters()
	if err != nil || c.InDatagrams == 0 {
		t.Errorf("ReadUDPCounters = %+v, %v", c, err)
	}
}
