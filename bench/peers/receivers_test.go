package peers

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// TestReceiversConformance runs every receiver through the same check on
// loopback: it reads nothing before Run (the first window is sent before,
// and must wait in the socket's queue), receives exactly what was sent,
// counts the bytes right, and Stop makes Run return. Sending is paced in windows, each waiting until
// the receiver has counted the previous one, so a slow receiver (gnet under
// -race) is never pushed into kernel drops: any shortfall is the
// receiver's.
func TestReceiversConformance(t *testing.T) {
	for _, name := range ReceiverNames() {
		t.Run(name, func(t *testing.T) { testReceiverConformance(t, name) })
	}
}

// Sizes of the conformance run. Payloads are 1 to 128 bytes, so a window
// fits a default-sized socket receive buffer even if nothing reads it.
const (
	confDatagrams = 2000
	confWindow    = 200
	confMaxSize   = 128
)

// testReceiverConformance is one receiver's run of TestReceiversConformance.
func testReceiverConformance(t *testing.T, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	r, err := NewReceiver(name, RecvConfig{Listen: "udp4://127.0.0.1:0", RecvBuffer: 1 << 20})
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatalf("NewReceiver: %v", err)
	}
	addr, ok := r.Addr().(*net.UDPAddr)
	if !ok || addr.Port == 0 {
		r.Stop(ctx)
		t.Fatalf("Addr() = %v: want a bound *net.UDPAddr", r.Addr())
	}
	stopped := false
	defer func() {
		if !stopped { // a failure below: release the socket before the next receiver
			r.Stop(ctx)
		}
	}()

	conn, err := net.DialUDP("udp4", nil, addr)
	if err != nil {
		t.Fatalf("DialUDP %v: %v", addr, err)
	}
	defer conn.Close()
	payload := make([]byte, confMaxSize)
	var wantBytes uint64
	runErr := make(chan error, 1)
	for sent := 0; sent < confDatagrams; {
		for range confWindow {
			n := 1 + sent%confMaxSize
			if _, err := conn.Write(payload[:n]); err != nil {
				t.Fatalf("write datagram %d: %v", sent, err)
			}
			wantBytes += uint64(n)
			sent++
		}
		if sent == confWindow { // the first window, sent before Run
			if got := r.Counts().Datagrams; got != 0 {
				t.Fatalf("counted %d datagrams before Run: want 0 (they wait in the queue)", got)
			}
			go func() { runErr <- r.Run(ctx) }()
		}
		waitDatagrams(t, ctx, r, uint64(sent))
	}

	sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
	defer scancel()
	stopped = true
	if err := r.Stop(sctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	select {
	case err := <-runErr:
		if err != nil {
			t.Errorf("Run returned %v after Stop: want nil", err)
		}
	case <-sctx.Done():
		t.Fatal("Run did not return after Stop")
	}

	c := r.Counts()
	if c.Datagrams != confDatagrams || c.Bytes != wantBytes {
		t.Errorf("counted %d datagrams, %d bytes: want %d, %d", c.Datagrams, c.Bytes, confDatagrams, wantBytes)
	}
	if c.Batches == 0 || c.Batches > c.Datagrams {
		t.Errorf("Batches = %d: want 1 to %d", c.Batches, c.Datagrams)
	}
	if c.Errors != 0 {
		t.Errorf("Errors = %d: want 0", c.Errors)
	}
	if c.First.IsZero() || c.Last.Before(c.First) {
		t.Errorf("First, Last = %v, %v: want both set, in order", c.First, c.Last)
	}
	if c.Loops < 1 || c.Backend == "" {
		t.Errorf("Loops, Backend = %d, %q: want at least 1 and a name", c.Loops, c.Backend)
	}
}

// waitDatagrams polls r.Counts every millisecond until it has counted want
// datagrams, failing the test after 10 s or when ctx is done first.
func waitDatagrams(t *testing.T, ctx context.Context, r Receiver, want uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		got := r.Counts().Datagrams
		if got >= want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("counted %d datagrams before %v: want %d", got, ctx.Err(), want)
		case <-tick.C:
		}
	}
}

// TestReceiversStopBeforeRun checks that a receiver never run can be
// stopped: Stop returns nil and releases the socket, so the port can be
// bound again.
func TestReceiversStopBeforeRun(t *testing.T) {
	for _, name := range ReceiverNames() {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			r, err := NewReceiver(name, RecvConfig{Listen: "udp4://127.0.0.1:0"})
			if errors.Is(err, errors.ErrUnsupported) {
				t.Skip(err)
			}
			if err != nil {
				t.Fatalf("NewReceiver: %v", err)
			}
			addr := r.Addr().(*net.UDPAddr)
			if err := r.Stop(ctx); err != nil {
				t.Fatalf("Stop before Run: %v", err)
			}
			c, err := net.ListenUDP("udp4", addr)
			if err != nil {
				t.Fatalf("binding %v again after Stop: %v", addr, err)
			}
			c.Close()
		})
	}
}
