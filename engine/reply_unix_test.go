//go:build linux

package engine_test

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/udprx/udprx/engine"
)

// TestReplyUnixgram: a unix datagram server answers a sender bound to a
// path and one bound to an abstract name at their names; a sender with no
// name cannot be answered, and that is counted, not fatal.
func TestReplyUnixgram(t *testing.T) {
	dir := t.TempDir()
	e, err := engine.New(engine.Config{
		Addr: "unixgram://" + filepath.Join(dir, "srv.sock"),
		Handler: engine.HandlerFunc(func(w *engine.Writer, b engine.Batch) {
			for _, d := range b.All() {
				w.Reply(d, bytes.ToUpper(d.Payload))
			}
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	go e.Run(context.Background())
	defer e.Shutdown(context.Background())
	srv := e.Addr().(*net.UnixAddr)

	for _, name := range []string{filepath.Join(dir, "client.sock"), "@udprx-reply-test-" + filepath.Base(dir)} {
		t.Run(name[:1], func(t *testing.T) {
			c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.WriteToUnix([]byte("ping"), srv); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 16)
			n, from, err := c.ReadFromUnix(buf)
			if err != nil {
				t.Fatal(err)
			}
			if string(buf[:n]) != "PING" || from.Name != srv.Name {
				t.Errorf("got %q from %q, want PING from %q", buf[:n], from.Name, srv.Name)
			}
		})
	}

	// An unbound sender: delivered, not answerable, counted.
	c, err := net.DialUnix("unixgram", nil, srv)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The two replies above were read by the clients; the loop counts
	// each once its send call has returned, which can be a moment later.
	deadline := time.Now().Add(5 * time.Second)
	for e.Stats().Sent < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the two replies were not counted as sent: %+v", e.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	before := e.Stats()
	if _, err := c.Write([]byte("anon")); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for e.Stats().SendDrops == before.SendDrops {
		if time.Now().After(deadline) {
			t.Fatalf("the reply to an unbound sender was not counted: %+v", e.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	if s := e.Stats(); s.Datagrams != before.Datagrams+1 || s.Sent != before.Sent {
		t.Errorf("after an unbound sender: datagrams %d sent %d, want %d and %d", s.Datagrams, s.Sent, before.Datagrams+1, before.Sent)
	}
}
