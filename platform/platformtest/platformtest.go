// Package platformtest is the contract every platform.Receiver must keep,
// as one test suite, in the manner of golang.org/x/net/nettest: each
// backend (recvmmsg and epoll on Linux, recvmsg and kqueue on darwin and
// FreeBSD, the portable one everywhere) runs the same cases on real
// sockets on loopback, so that what the engine relies on is checked once
// for all of them and a new backend is checked by adding a line.
//
// It is imported by tests only. Example, from package platform's tests:
//
//	func TestContract(t *testing.T) {
//		platformtest.TestReceiver(t, "udp4", platformtest.Backend{
//			Open: func(network, address string) (platform.Receiver, error) {
//				return platform.Listen(network, address, platform.Options{Portable: true})
//			},
//		})
//	}
package platformtest

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/udprx/udprx/batch"
	"github.com/udprx/udprx/platform"
)

// Bound bounds every wait in the suite; the suite also runs under
// go test -timeout.
const Bound = 5 * time.Second

// Backend is one Receiver implementation under test.
type Backend struct {
	// Open opens a Receiver bound to address on network ("udp4", "udp6"
	// or "unixgram"); the suite closes it.
	Open func(network, address string) (platform.Receiver, error)
	// ShutdownRead shuts r's socket down for reading from outside the
	// Receiver, through a descriptor of its own, as another process can
	// (pidfd_getfd(2) and shutdown(2) on Linux). nil where the system
	// offers no way: the hang-up case is then skipped. An error it
	// returns fails the case.
	ShutdownRead func(r platform.Receiver) error
}

// TestReceiver runs the contract on network ("udp4", "udp6" or
// "unixgram") against b, each case on a Receiver of its own and in
// parallel with the others. A udp6 suite is skipped where the host has no
// IPv6 loopback.
func TestReceiver(t *testing.T, network string, b Backend) {
	t.Helper()
	s := &suite{network: network, b: b}
	for _, c := range []struct {
		name string
		run  func(t *testing.T)
	}{
		{"EmptyRead", s.testEmptyRead},
		{"Datagrams", s.testDatagrams},
		{"Truncation", s.testTruncation},
		{"WakeBlocked", s.testWakeBlocked},
		{"WakeBeforeWait", s.testWakeBeforeWait},
		{"WakeAfterClose", s.testWakeAfterClose},
		{"Close", s.testClose},
		{"HangUp", s.testHangUp},
		{"Replies", s.testReplies},
		{"GSO", s.testGSO},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t)
		})
	}
}

type suite struct {
	network string
	b       Backend
}

func (s *suite) udp() bool { return s.network != "unixgram" }

// open opens a Receiver for one case, closed when the case ends.
func (s *suite) open(t *testing.T) platform.Receiver {
	t.Helper()
	var address string
	switch s.network {
	case "udp4":
		address = "127.0.0.1:0"
	case "udp6":
		address = "[::1]:0"
	case "unixgram":
		address = filepath.Join(tempDir(t), "r.sock")
	default:
		t.Fatalf("platformtest: network %q: want udp4, udp6 or unixgram", s.network)
	}
	r, err := s.b.Open(s.network, address)
	if err != nil {
		if s.network == "udp6" && !hasIPv6() {
			t.Skipf("no IPv6 loopback on this host: Open(%s, %s): %v", s.network, address, err)
		}
		t.Fatalf("Open(%s, %s): %v", s.network, address, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// tempDir is a directory for unix socket files, removed when the test
// ends. Not t.TempDir: its name grows with the test's, and a socket path
// must fit in sun_path (104 bytes on the BSDs).
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "prx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func hasIPv6() bool {
	c, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// peer is the other end: a socket connected to the Receiver, so that it
// also accepts only replies that come from the Receiver's address.
type peer struct {
	conn net.Conn
	// src is the source the Receiver must report for the peer's
	// datagrams: its address, or the zero AddrPort on a unix socket.
	src netip.AddrPort
	// name is the peer's bound path on a unix socket: what a backend
	// that reports unix sender names (Datagram.SrcName) reports.
	name string
}

func (s *suite) dial(t *testing.T, r platform.Receiver) *peer {
	t.Helper()
	var p peer
	switch to := r.LocalAddr().(type) {
	case *net.UDPAddr:
		c, err := net.DialUDP(s.network, nil, to)
		if err != nil {
			t.Fatalf("dial %v: %v", to, err)
		}
		ap := c.LocalAddr().(*net.UDPAddr).AddrPort()
		p.conn, p.src = c, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	case *net.UnixAddr:
		p.name = filepath.Join(tempDir(t), "p.sock")
		c, err := net.DialUnix("unixgram", &net.UnixAddr{Name: p.name, Net: "unixgram"}, to)
		if err != nil {
			t.Fatalf("dial %v: %v", to, err)
		}
		p.conn = c
	default:
		t.Fatalf("LocalAddr is a %T, want *net.UDPAddr or *net.UnixAddr", to)
	}
	t.Cleanup(func() { p.conn.Close() })
	return &p
}

func (p *peer) send(t *testing.T, payloads ...[]byte) {
	t.Helper()
	for _, b := range payloads {
		if _, err := p.conn.Write(b); err != nil {
			t.Fatalf("peer send: %v", err)
		}
	}
}

// recv reads one datagram, within Bound.
func (p *peer) recv(t *testing.T, buf []byte) []byte {
	t.Helper()
	p.conn.SetReadDeadline(time.Now().Add(Bound))
	n, err := p.conn.Read(buf)
	if err != nil {
		t.Fatalf("peer receive: %v", err)
	}
	return buf[:n]
}

func newBatch(t *testing.T, slots, size int) *batch.Batch {
	t.Helper()
	b, err := batch.New(slots, size)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitErr runs Wait on a goroutine of its own and fails the test if it
// does not return within Bound (waking it, so the goroutine ends).
func waitErr(t *testing.T, r platform.Receiver) (platform.Event, error) {
	t.Helper()
	type result struct {
		ev  platform.Event
		err error
	}
	ch := make(chan result, 1)
	go func() {
		ev, err := r.Wait()
		ch <- result{ev, err}
	}()
	timer := time.NewTimer(Bound)
	defer timer.Stop()
	select {
	case res := <-ch:
		return res.ev, res.err
	case <-timer.C:
		r.Wake()
		t.Fatalf("Wait did not return within %v", Bound)
		return platform.Event{}, nil
	}
}

// wait is waitErr for a Wait that must succeed.
func wait(t *testing.T, r platform.Receiver) platform.Event {
	t.Helper()
	ev, err := waitErr(t, r)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return ev
}

// received is one datagram as the Receiver reported it, copied out of
// the Batch.
type received struct {
	payload []byte
	src     netip.AddrPort
	name    []byte
	flags   batch.Flags
}

// collect waits and reads until want datagrams have come, checking each
// Read against the contract on the way, and returns them.
func collect(t *testing.T, r platform.Receiver, b *batch.Batch, want int) []received {
	t.Helper()
	var got []received
	deadline := time.Now().Add(Bound)
	for len(got) < want {
		if time.Now().After(deadline) {
			t.Fatalf("received %d of %d datagrams within %v", len(got), want, Bound)
		}
		ev := wait(t, r)
		if ev.Events&platform.Readable == 0 {
			t.Fatalf("Wait = %v with %d datagrams still to come, want readable", ev.Events, want-len(got))
		}
		n, err := r.Read(b)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if n != b.Len() || n > len(b.Slots()) {
			t.Fatalf("Read = %d, Batch holds %d in %d slots", n, b.Len(), len(b.Slots()))
		}
		for _, d := range b.Datagrams() {
			got = append(got, received{bytes.Clone(d.Payload), d.Src, bytes.Clone(d.SrcName), d.Flags})
		}
	}
	if len(got) > want {
		t.Fatalf("received %d datagrams, want %d", len(got), want)
	}
	return got
}

func readNone(t *testing.T, r platform.Receiver, b *batch.Batch) {
	t.Helper()
	if n, err := r.Read(b); n != 0 || err != nil || b.Len() != 0 {
		t.Fatalf("Read = %d, %v (Len %d), want 0, nil: nothing is queued", n, err, b.Len())
	}
}

// testEmptyRead: a Read with nothing queued returns 0, nil at once.
func (s *suite) testEmptyRead(t *testing.T) {
	r := s.open(t)
	b := newBatch(t, 4, 2048)
	readNone(t, r, b)
	readNone(t, r, b)
}

// testDatagrams: datagrams arrive whole, in order, with their source, an
// empty one included (it is a datagram, not a shutdown), more of them
// than the Batch has slots; and then a Read finds nothing.
func (s *suite) testDatagrams(t *testing.T) {
	r := s.open(t)
	if la := r.LocalAddr(); la == nil || (s.udp() && la.(*net.UDPAddr).Port == 0) {
		t.Errorf("LocalAddr %v: want the bound address, port 0 resolved", la)
	}
	p := s.dial(t, r)
	b := newBatch(t, 4, 2048)
	sent := [][]byte{[]byte("first"), {}, bytes.Repeat([]byte{0xa5}, 1400)}
	for i := range 7 {
		sent = append(sent, []byte("numbered "+strconv.Itoa(i)))
	}
	p.send(t, sent...)
	got := collect(t, r, b, len(sent))
	for i, d := range got {
		if !bytes.Equal(d.payload, sent[i]) {
			t.Errorf("datagram %d: %q, want %q: lost, reordered or mangled", i, d.payload, sent[i])
		}
		if d.src != p.src {
			t.Errorf("datagram %d from %v, want %v", i, d.src, p.src)
		}
		if d.name != nil && string(d.name) != p.name {
			t.Errorf("datagram %d from unix name %q, want %q", i, d.name, p.name)
		}
		if d.flags != 0 {
			t.Errorf("datagram %d flags %v, want none", i, d.flags)
		}
	}
	readNone(t, r, b)
}

// testTruncation: a datagram longer than its slot is cut to the slot and
// flagged Truncated; the next one is whole again.
func (s *suite) testTruncation(t *testing.T) {
	r := s.open(t)
	p := s.dial(t, r)
	small := newBatch(t, 4, 16)
	long := []byte("0123456789abcdefghijklmnopqrstuvwxyz")
	p.send(t, long)
	got := collect(t, r, small, 1)
	if !bytes.Equal(got[0].payload, long[:16]) || got[0].flags&batch.Truncated == 0 {
		t.Errorf("long datagram read as %q flags %v, want %q flagged truncated", got[0].payload, got[0].flags, long[:16])
	}
	p.send(t, []byte("short"))
	got = collect(t, r, small, 1)
	if string(got[0].payload) != "short" || got[0].flags != 0 {
		t.Errorf("short datagram read as %q flags %v, want %q and no flags", got[0].payload, got[0].flags, "short")
	}
}

// testWakeBlocked: a Wait blocked in the poller returns Woken when Wake is
// called, each time; and the Receiver still receives afterwards.
func (s *suite) testWakeBlocked(t *testing.T) {
	r := s.open(t)
	b := newBatch(t, 4, 2048)
	readNone(t, r, b)
	for round := range 3 {
		if ev := wakeBlocked(t, r); ev.Events != platform.Woken {
			t.Fatalf("round %d: Wait = %v, want woken", round, ev.Events)
		}
	}
	p := s.dial(t, r)
	p.send(t, []byte("after"))
	if got := collect(t, r, b, 1); string(got[0].payload) != "after" {
		t.Errorf("read %q after the wake-ups, want %q", got[0].payload, "after")
	}
}

// wakeBlocked starts a Wait, lets it block, calls Wake and returns what
// Wait returned, failing the test unless that happens within Bound.
func wakeBlocked(t *testing.T, r platform.Receiver) platform.Event {
	t.Helper()
	type result struct {
		ev  platform.Event
		err error
	}
	ch := make(chan result, 1)
	ids := make(chan string, 1)
	go func() {
		ids <- goroutineID()
		ev, err := r.Wait()
		ch <- result{ev, err}
	}()
	untilBlocked(t, <-ids)
	if err := r.Wake(); err != nil {
		t.Fatalf("Wake: %v", err)
	}
	timer := time.NewTimer(Bound)
	defer timer.Stop()
	select {
	case res := <-ch:
		if res.err != nil {
			t.Fatalf("Wait: %v", res.err)
		}
		return res.ev
	case <-timer.C:
		t.Fatalf("a blocked Wait did not return within %v of Wake", Bound)
		return platform.Event{}
	}
}

// goroutineID returns the calling goroutine's number, as its stack trace
// names it.
func goroutineID() string {
	var buf [64]byte
	s := strings.TrimPrefix(string(buf[:runtime.Stack(buf[:], false)]), "goroutine ")
	id, _, _ := strings.Cut(s, " ")
	return id
}

// untilBlocked returns once goroutine id sleeps in a Receiver's Wait:
// parked in the Go runtime's poller ("IO wait") or blocked in a system
// call ("syscall": epoll_wait on a locked thread, kevent), so that a Wake
// is known to interrupt a sleeping Wait rather than race ahead of it. It
// yields, never sleeps.
func untilBlocked(t *testing.T, id string) {
	t.Helper()
	header := "goroutine " + id + " ["
	deadline := time.Now().Add(Bound)
	buf := make([]byte, 1<<20)
	for time.Now().Before(deadline) {
		n := runtime.Stack(buf, true)
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			state, ok := strings.CutPrefix(g, header)
			if ok && (strings.HasPrefix(state, "IO wait") || strings.HasPrefix(state, "syscall")) && strings.Contains(g, ").Wait(") {
				return
			}
		}
		runtime.Gosched()
	}
	t.Fatalf("Wait did not block within %v", Bound)
}

// testWakeBeforeWait: a Wake (twice) before Wait makes the next Wait
// return Woken, once: the Wait after it reports only the datagram.
func (s *suite) testWakeBeforeWait(t *testing.T) {
	r := s.open(t)
	p := s.dial(t, r)
	b := newBatch(t, 4, 2048)
	readNone(t, r, b)
	for range 2 {
		if err := r.Wake(); err != nil {
			t.Fatalf("Wake: %v", err)
		}
	}
	if ev := wait(t, r); ev.Events != platform.Woken {
		t.Fatalf("Wait after Wake = %v, want woken", ev.Events)
	}
	readNone(t, r, b)
	p.send(t, []byte("after"))
	ev := wait(t, r)
	if ev.Events&platform.Woken != 0 || ev.Events&platform.Readable == 0 {
		t.Fatalf("Wait = %v, want readable and not woken again", ev.Events)
	}
	if n, err := r.Read(b); n != 1 || err != nil || string(b.Datagrams()[0].Payload) != "after" {
		t.Fatalf("Read = %d, %v, want the one datagram sent", n, err)
	}
}

// testWakeAfterClose: Wake after Close returns nil and writes nothing,
// also when the descriptor numbers the Receiver had were taken by new
// files at once (the lowest free number is reused).
func (s *suite) testWakeAfterClose(t *testing.T) {
	r := s.open(t)
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	var reads, writes []*os.File
	for range 4 {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		reads, writes = append(reads, pr), append(writes, pw)
	}
	for range 2 {
		if err := r.Wake(); err != nil {
			t.Errorf("Wake after Close = %v, want nil", err)
		}
	}
	for _, w := range writes {
		w.Close()
	}
	for i, pr := range reads {
		var buf [64]byte
		n, err := pr.Read(buf[:]) // at EOF at once: every writer is closed
		pr.Close()
		if n != 0 || err == nil {
			t.Errorf("pipe %d: %d bytes (%v): Wake after Close wrote into a reused descriptor", i, n, err)
		}
	}
}

// testClose: Close succeeds once; a second Close returns an error
// matching net.ErrClosed; a socket file Listen created is gone.
func (s *suite) testClose(t *testing.T) {
	r := s.open(t)
	path := r.Info().Path
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := r.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close = %v, want an error matching net.ErrClosed", err)
	}
	if path != "" {
		if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("socket file %s after Close: lstat = %v, want it gone", path, err)
		}
	}
}

// testHangUp: the socket is shut down for reading from outside, after a
// datagram (an empty one) was queued and, on UDP, before another is sent
// (UDP still delivers those; a unix socket refuses them). A backend
// either reports HangUp, level-triggered, reading nothing it should not
// (datagrams in order, then nothing or ErrReadShutdown); or it cannot see
// the shutdown (the portable backend on Linux, any backend on darwin,
// where the call does nothing to an unconnected socket) and goes on as
// before: every datagram delivered, Wait blocking quietly, Wake waking.
// Either way no Wait fails or spins.
func (s *suite) testHangUp(t *testing.T) {
	if s.b.ShutdownRead == nil {
		t.Skip("no way to shut a socket down from outside here")
	}
	r := s.open(t)
	p := s.dial(t, r)
	b := newBatch(t, 8, 2048)
	readNone(t, r, b)
	sent := [][]byte{{}}
	p.send(t, sent[0])
	if err := s.b.ShutdownRead(r); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if s.udp() {
		sent = append(sent, []byte("after shutdown"))
		p.send(t, sent[1])
	}
	var got [][]byte
	hangups := 0
	for round := 0; hangups < 2 && (hangups > 0 || len(got) < len(sent)); round++ {
		if round == 2*len(sent)+2 {
			t.Fatalf("%d Waits reported %d of %d datagrams and no second hang-up", round, len(got), len(sent))
		}
		ev := wait(t, r)
		if ev.Events&platform.HangUp != 0 {
			hangups++
		} else if hangups > 0 {
			t.Fatalf("Wait = %v after a hang-up was reported: want it reported again (level-triggered)", ev.Events)
		}
		n, err := r.Read(b)
		if err != nil && !errors.Is(err, platform.ErrReadShutdown) {
			t.Fatalf("Read after the shutdown = %d, %v; want nil or ErrReadShutdown", n, err)
		}
		for _, d := range b.Datagrams() {
			got = append(got, bytes.Clone(d.Payload))
		}
	}
	for i, g := range got {
		if i >= len(sent) || !bytes.Equal(g, sent[i]) {
			t.Fatalf("read %q after the shutdown, want a prefix of %q", got, sent)
		}
	}
	t.Logf("hang-ups reported: %d; datagrams delivered: %d of %d", hangups, len(got), len(sent))
	if hangups == 0 {
		if ev := wakeBlocked(t, r); ev.Events != platform.Woken {
			t.Errorf("Wait after the shutdown = %v, want woken", ev.Events)
		}
		return
	}
	if err := r.Wake(); err != nil {
		t.Fatalf("Wake: %v", err)
	}
	for range 2 {
		if ev := wait(t, r); ev.Events&platform.Woken != 0 {
			return
		}
	}
	t.Error("Wake after a hang-up was not reported within two Waits")
}

// sender returns r as a platform.Sender: every Receiver Listen returns is
// one.
func sender(t *testing.T, r platform.Receiver) platform.Sender {
	t.Helper()
	snd, ok := r.(platform.Sender)
	if !ok {
		t.Fatalf("%T is not a platform.Sender", r)
	}
	return snd
}

// testReplies: requests are answered through the Sender side, to each
// request's source, in one Send; the peer, connected to the Receiver's
// address, receives every reply, in order, from that address.
func (s *suite) testReplies(t *testing.T) {
	r := s.open(t)
	snd := sender(t, r)
	p := s.dial(t, r)
	b := newBatch(t, 4, 2048)
	const n = 3
	for i := range n {
		p.send(t, []byte("request "+strconv.Itoa(i)))
	}
	var msgs []batch.Message
	for i, d := range collect(t, r, b, n) {
		if !s.udp() && d.name == nil {
			t.Skip("this backend does not report unix sender names: nothing to answer")
		}
		msgs = append(msgs, batch.Message{Payload: append([]byte("reply to "), d.payload...), To: d.src, ToName: d.name})
		if s.udp() && d.src != p.src {
			t.Fatalf("request %d from %v, want %v", i, d.src, p.src)
		}
	}
	if sent, failed, err := snd.Send(msgs); sent != n || failed != 0 || err != nil {
		t.Fatalf("Send = %d, %d, %v; want %d, 0, nil", sent, failed, err, n)
	}
	buf := make([]byte, 2048)
	for i := range n {
		want := "reply to request " + strconv.Itoa(i)
		if got := p.recv(t, buf); string(got) != want {
			t.Errorf("reply %d: %q, want %q", i, got, want)
		}
	}
}

// testGSO: where Info.GSO, a run of equal messages to one destination
// goes out segmented and arrives as its datagrams, whole and in order;
// after DisableGSO, Info.GSO is false and sends still arrive.
func (s *suite) testGSO(t *testing.T) {
	if !s.udp() {
		t.Skip("GSO is a UDP feature")
	}
	r := s.open(t)
	if !r.Info().GSO {
		t.Skip("Info.GSO is false: this backend or kernel does not segment")
	}
	snd := sender(t, r)
	p := s.dial(t, r)
	to := p.conn.LocalAddr().(*net.UDPAddr).AddrPort()
	buf := make([]byte, 2048)
	for _, gso := range []bool{true, false} {
		if !gso {
			snd.DisableGSO()
			if r.Info().GSO {
				t.Fatal("Info.GSO still true after DisableGSO")
			}
		}
		msgs := make([]batch.Message, 64)
		for i := range msgs {
			payload := bytes.Repeat([]byte{byte(i)}, 512)
			msgs[i] = batch.Message{Payload: payload, To: to}
		}
		if sent, failed, err := snd.Send(msgs); sent != len(msgs) || failed != 0 || err != nil {
			t.Fatalf("gso=%v: Send = %d, %d, %v; want %d, 0, nil", gso, sent, failed, err, len(msgs))
		}
		for i := range msgs {
			got := p.recv(t, buf)
			if !bytes.Equal(got, msgs[i].Payload) {
				t.Fatalf("gso=%v: datagram %d: %d bytes starting %v, want 512 of %d", gso, i, len(got), got[:min(len(got), 1)], i)
			}
		}
	}
}
