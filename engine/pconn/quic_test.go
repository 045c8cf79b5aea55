package pconn

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/udprx/udprx/engine"
)

// A Conn has what quic-go asks for before it reads in batches and sends
// with GSO; without it quic-go falls back to ReadFrom and WriteTo.
var _ quic.OOBCapablePacketConn = (*Conn)(nil)

// testTLS returns a server and a client configuration around a fresh
// self-signed certificate for "localhost".
func testTLS(t testing.TB) (*tls.Config, *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	const proto = "udprx-test"
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, NextProtos: []string{proto}},
		&tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{proto}}
}

// TestQUIC runs a quic-go server on a Conn and a quic-go client on a
// *net.UDPConn, echoes 1 MiB over a stream, and checks that the server
// Transport's Close, which wakes its blocked read with a read deadline of
// now, returns promptly.
func TestQUIC(t *testing.T) {
	t.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true") // a Conn has no SetReadBuffer: Engine.RecvBuffer sets it
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pc, err := New(Config{Engine: engine.Config{Addr: "udp4://127.0.0.1:0", Loops: 1, RecvBuffer: 4 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	serverTLS, clientTLS := testTLS(t)
	st := &quic.Transport{Conn: pc}
	ln, err := st.Listen(serverTLS, &quic.Config{})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() {
		conn, err := ln.Accept(ctx)
		if err != nil {
			served <- err
			return
		}
		s, err := conn.AcceptStream(ctx)
		if err != nil {
			served <- err
			return
		}
		_, err = io.Copy(s, s) // echo until the client closes its side
		s.Close()
		served <- err
	}()

	uc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	ct := &quic.Transport{Conn: uc}
	defer ct.Close()
	defer uc.Close()
	conn, err := ct.Dial(ctx, pc.LocalAddr(), clientTLS, &quic.Config{})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	s, err := conn.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 1<<20)
	rand.Read(want)
	go func() {
		s.Write(want)
		s.Close() // our side done: the server's copy ends
	}()
	got, err := io.ReadAll(s)
	if err != nil {
		t.Fatalf("reading the echo: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("echo: %d bytes, want the %d sent", len(got), len(want))
	}
	if err := <-served; err != nil {
		t.Fatalf("server: %v", err)
	}
	conn.CloseWithError(0, "done")

	start := time.Now()
	closed := make(chan error, 1)
	go func() { closed <- st.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("server Transport.Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server Transport.Close did not return within 5s")
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("server Transport.Close took %v, want under 500ms", d)
	}
	if s := pc.Engine().Stats(); s.AppDrops != 0 {
		t.Errorf("%d app drops on loopback", s.AppDrops)
	}
}

// BenchmarkQUICBulk sends 16 MiB per op over one quic-go stream to a
// server on a Conn (with Engine.GRO, as docs/performance.md advises for
// QUIC, and without) and on a *net.UDPConn, for the comparison in
// docs/performance.md. It reports the process's CPU time per op (client
// and server together; the client is the same in every variant). Run it
// alone: go test -run X -bench QUICBulk.
func BenchmarkQUICBulk(b *testing.B) { benchQUIC(b, false) }

// BenchmarkQUICDownload is BenchmarkQUICBulk the other way: the server on
// the conn sends the 16 MiB, through WriteMsgUDP with GSO.
func BenchmarkQUICDownload(b *testing.B) { benchQUIC(b, true) }

func benchQUIC(b *testing.B, down bool) {
	b.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	const total = 16 << 20
	chunk := make([]byte, 64<<10)
	// send writes total bytes on s and closes its send side.
	send := func(s *quic.Stream) error {
		for sent := 0; sent < total; sent += len(chunk) {
			if _, err := s.Write(chunk); err != nil {
				return err
			}
		}
		return s.Close()
	}
	for _, name := range []string{"pconn", "pconn-nogro", "net.UDPConn"} {
		b.Run(name, func(b *testing.B) {
			var pc net.PacketConn
			if name != "net.UDPConn" {
				c, err := New(Config{Engine: engine.Config{Addr: "udp4://127.0.0.1:0", Loops: 1, RecvBuffer: 8 << 20, GRO: name == "pconn"}})
				if err != nil {
					b.Fatal(err)
				}
				pc = c
			} else {
				c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
				if err != nil {
					b.Fatal(err)
				}
				c.SetReadBuffer(8 << 20)
				pc = c
			}
			defer pc.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			serverTLS, clientTLS := testTLS(b)
			st := &quic.Transport{Conn: pc}
			defer st.Close()
			ln, err := st.Listen(serverTLS, &quic.Config{})
			if err != nil {
				b.Fatal(err)
			}
			go func() {
				conn, err := ln.Accept(ctx)
				if err != nil {
					return
				}
				for {
					s, err := conn.AcceptStream(ctx)
					if err != nil {
						return
					}
					// Up: read all, then close. Down: read the
					// request (the client's close), then send.
					io.Copy(io.Discard, s)
					if down {
						send(s)
					} else {
						s.Close()
					}
				}
			}()
			uc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				b.Fatal(err)
			}
			uc.SetReadBuffer(8 << 20)
			defer uc.Close()
			ct := &quic.Transport{Conn: uc}
			defer ct.Close()
			conn, err := ct.Dial(ctx, pc.LocalAddr(), clientTLS, &quic.Config{})
			if err != nil {
				b.Fatal(err)
			}
			defer conn.CloseWithError(0, "")
			b.SetBytes(total)
			cpu0 := processCPU()
			b.ResetTimer()
			for range b.N {
				s, err := conn.OpenStreamSync(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if down {
					err = s.Close()
				} else {
					err = send(s)
				}
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, s) // up: the server's close, all was read
				if err != nil || (down && n != total) {
					b.Fatalf("read %d bytes (%v), want %d", n, err, map[bool]int{true: total}[down])
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
			if c, ok := pc.(*Conn); ok {
				st := c.Engine().Stats()
				b.ReportMetric(float64(st.AppDrops)/float64(b.N), "appdrops/op")
				b.ReportMetric(float64(st.KernelDrops)/float64(b.N), "kerneldrops/op")
				b.ReportMetric(float64(st.SendDrops)/float64(b.N), "senddrops/op")
			}
		})
	}
}
