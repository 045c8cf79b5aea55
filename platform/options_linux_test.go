package platform

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/udprx/udprx/batch"
)

// Real sockets on loopback for the per-datagram options: UDP GRO, kernel
// drop accounting, destination address and timestamps.

// gsoSender is a UDP socket that sends super-packets with UDP_SEGMENT
// (GSO): one sendmsg, many datagrams. On loopback a GRO receiver gets them
// still coalesced (docs/kernel.md).
type gsoSender struct {
	fd   int
	to   unix.Sockaddr
	port uint16 // the sender's own port, to check Src
}

func newGSOSender(t *testing.T, to net.Addr) *gsoSender {
	t.Helper()
	ua := to.(*net.UDPAddr)
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(fd)
	return &gsoSender{fd: fd, to: &unix.SockaddrInet4{Port: ua.Port, Addr: ua.AddrPort().Addr().Unmap().As4()},
		port: uint16(sa.(*unix.SockaddrInet4).Port)}
}

// send sends payload as datagrams of segSize bytes in one super-packet.
func (s *gsoSender) send(t *testing.T, payload []byte, segSize int) {
	t.Helper()
	oob := make([]byte, unix.CmsgSpace(2))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
	h.Level, h.Type = unix.SOL_UDP, unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	binary.NativeEndian.PutUint16(oob[unix.CmsgLen(0):], uint16(segSize))
	if err := unix.Sendmsg(s.fd, payload, oob, s.to, 0); err != nil {
		if err == unix.EIO || err == unix.ENOPROTOOPT || err == unix.EINVAL {
			t.Skipf("UDP GSO send refused: %v", err)
		}
		t.Fatal(err)
	}
}

// numbered returns the payload of datagrams of the given sizes, sent
// back to back: datagram i is datagramBytes(i, size).
func numbered(sizes ...int) []byte {
	var p []byte
	for i, n := range sizes {
		p = append(p, datagramBytes(i, n)...)
	}
	return p
}

// datagramBytes is datagram i of n bytes: its number in decimal, then the
// number's low byte repeated, cut to n, so order and boundaries show.
func datagramBytes(i, n int) []byte {
	d := make([]byte, n)
	copy(d, fmt.Sprintf("%04d", i))
	for j := 4; j < n; j++ {
		d[j] = byte(i)
	}
	return d
}

func sizes(n, size int, tail ...int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = size
	}
	return append(s, tail...)
}

func segmented(t *testing.T, slots, segs int) *batch.Batch {
	b, err := batch.NewSegmented(slots, batch.MaxSlotSize, segs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readAll reads until want datagrams have arrived, copying them out.
func readAll(t *testing.T, r Receiver, b *batch.Batch, want int) []batch.Datagram {
	t.Helper()
	var got []batch.Datagram
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < want {
		if time.Now().After(deadline) {
			t.Fatalf("read %d datagrams, want %d", len(got), want)
		}
		n, err := r.Read(b)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			waitT(t, r)
			continue
		}
		for _, d := range b.Datagrams() {
			d.Payload = bytes.Clone(d.Payload)
			got = append(got, d)
		}
	}
	if n, _ := r.Read(b); n != 0 {
		t.Fatalf("%d datagrams more than the %d sent", len(got)+n-want, want)
	}
	return got
}

// checkNumbered checks that got are the datagrams numbered() made of
// sizes, in order, each from src.
func checkNumbered(t *testing.T, got []batch.Datagram, src netip.AddrPort, sizes []int) {
	t.Helper()
	if len(got) != len(sizes) {
		t.Fatalf("%d datagrams, want %d", len(got), len(sizes))
	}
	for i, d := range got {
		if want := datagramBytes(i, sizes[i]); !bytes.Equal(d.Payload, want) {
			t.Fatalf("datagram %d: %d bytes starting %q, want %d starting %q", i, len(d.Payload), d.Payload[:min(4, len(d.Payload))], len(want), want[:min(4, len(want))])
		}
		if d.Src != src {
			t.Fatalf("datagram %d from %v, want %v", i, d.Src, src)
		}
		if d.Flags != 0 {
			t.Fatalf("datagram %d: flags %b", i, d.Flags)
		}
	}
}

func TestLinuxGRO(t *testing.T) {
	r := listenT(t, "udp4", "127.0.0.1:0", Options{GRO: true, RecvBuffer: 4 << 20})
	if !r.Info().GRO {
		t.Skip("kernel refused UDP_GRO")
	}
	s := newGSOSender(t, r.LocalAddr())
	src := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), s.port)
	for _, tc := range []struct {
		name         string
		slots, segs  int
		sends        [][]int // each: the datagram sizes of one super-packet
		wantMaxReads int     // reads that returned datagrams, at most
	}{
		{"64 x 64 B", 64, batch.GROSegments, [][]int{sizes(64, 64)}, 1},
		{"10 x 1000 B and a 300 B tail", 64, batch.GROSegments, [][]int{sizes(10, 1000, 300)}, 1},
		{"one datagram", 64, batch.GROSegments, [][]int{{500}}, 1},
		{"several super-packets, mixed", 64, batch.GROSegments,
			[][]int{sizes(64, 64), sizes(10, 1000, 300), sizes(3, 1400, 1), sizes(20, 7)}, 1},
		// Newer kernels let a GSO send carry 128 segments
		// (UDP_MAX_SEGMENTS; 64 before) and loopback keeps them
		// coalesced: more than a slot's share. What does not fit waits
		// for the next Read.
		{"128 segments into room for 64", 1, batch.GROSegments, [][]int{sizes(128, 64)}, 2},
		{"128 segments and more into room for 128", 2, batch.GROSegments,
			[][]int{sizes(128, 64), sizes(127, 32, 5), sizes(2, 9)}, 4},
		{"odd carry-over", 3, 5, [][]int{sizes(7, 100, 1), sizes(2, 50), sizes(12, 10)}, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := segmented(t, tc.slots, tc.segs)
			var all []int
			for _, p := range tc.sends {
				d := numbered(append(make([]int, len(all)), p...)...) // numbered on from the last
				s.send(t, d, p[0])
				all = append(all, p...)
			}
			waitT(t, r)
			var got []batch.Datagram
			reads := 0
			for len(got) < len(all) {
				n, err := r.Read(b)
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					waitT(t, r)
					continue
				}
				reads++
				if n > b.Cap() {
					t.Fatalf("Read returned %d, more than Cap %d", n, b.Cap())
				}
				for _, d := range b.Datagrams() {
					d.Payload = bytes.Clone(d.Payload)
					got = append(got, d)
				}
			}
			if n, _ := r.Read(b); n != 0 {
				t.Fatalf("%d datagrams more than sent", n)
			}
			checkNumbered(t, got, src, all)
			if reads > tc.wantMaxReads {
				t.Errorf("%d reads, want at most %d: not coalesced?", reads, tc.wantMaxReads)
			}
		})
	}
}

func sum(s []int) int {
	n := 0
	for _, v := range s {
		n += v
	}
	return n
}

// TestLinuxGROFull checks Batch.Full after GRO reads: full when the
// Batch's entries ran out (something carried over) or every slot was
// read into, not full when the queue was emptied.
func TestLinuxGROFull(t *testing.T) {
	r := listenT(t, "udp4", "127.0.0.1:0", Options{GRO: true, RecvBuffer: 4 << 20})
	if !r.Info().GRO {
		t.Skip("kernel refused UDP_GRO")
	}
	s := newGSOSender(t, r.LocalAddr())
	b := segmented(t, 2, 4) // room for 8
	s.send(t, numbered(sizes(3, 10)...), 10)
	waitT(t, r)
	if n, _ := r.Read(b); n != 3 || b.Full() {
		t.Fatalf("read %d, Full %v; want 3, not full", n, b.Full())
	}
	s.send(t, numbered(sizes(10, 10)...), 10)
	waitT(t, r)
	if n, _ := r.Read(b); n != 8 || !b.Full() {
		t.Fatalf("read %d, Full %v; want 8, full", n, b.Full())
	}
	if n, _ := r.Read(b); n != 2 || b.Full() {
		t.Fatalf("carried over %d, Full %v; want 2, not full", n, b.Full())
	}
	s.send(t, numbered(1), 10)
	s.send(t, numbered(1), 10)
	waitT(t, r)
	if n, _ := r.Read(b); n != 2 || !b.Full() {
		t.Fatalf("read %d, Full %v; want 2, full (both slots)", n, b.Full())
	}
}

// TestLinuxGROSlotSize: with GRO on, Read refuses slots that would cut
// coalesced reads, and reads nothing.
func TestLinuxGROSlotSize(t *testing.T) {
	r := listenT(t, "udp4", "127.0.0.1:0", Options{GRO: true})
	if !r.Info().GRO {
		t.Skip("kernel refused UDP_GRO")
	}
	c, err := net.DialUDP("udp", nil, r.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("x"))
	small := newBatch(t, 8, 2048)
	if n, err := r.Read(small); n != 0 || !errors.Is(err, ErrGROSlotSize) || !strings.Contains(err.Error(), "2048") {
		t.Fatalf("Read into 2048-byte slots = %d, %v; want 0 and ErrGROSlotSize naming the size", n, err)
	}
	b := segmented(t, 8, batch.GROSegments)
	if got := readAll(t, r, b, 1); string(got[0].Payload) != "x" {
		t.Errorf("then read %q, want %q", got[0].Payload, "x")
	}
}

// TestLinuxNoGRO: without GRO a GSO super-packet arrives as separate
// datagrams (the kernel segments it for a socket without UDP_GRO), and
// Info.GRO is false.
func TestLinuxNoGRO(t *testing.T) {
	r := listenT(t, "udp4", "127.0.0.1:0", Options{RecvBuffer: 4 << 20})
	if r.Info().GRO || r.Info().PktInfo || r.Info().Timestamps {
		t.Fatalf("Info %+v: options on that were not asked for", r.Info())
	}
	s := newGSOSender(t, r.LocalAddr())
	s.send(t, numbered(sizes(10, 100, 30)...), 100)
	waitT(t, r)
	got := readAll(t, r, newBatch(t, 64, 2048), 11)
	checkNumbered(t, got, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), s.port), sizes(10, 100, 30))
}

// meminfoDrops reads SK_MEMINFO_DROPS for r's socket straight from the
// kernel.
func meminfoDrops(t *testing.T, r Receiver) uint64 {
	t.Helper()
	q, err := r.(QueueReporter).QueueInfo()
	if err != nil {
		t.Fatal(err)
	}
	if !q.HasDrops {
		t.Skip("kernel has no SK_MEMINFO_DROPS")
	}
	return q.Drops
}

// rcvbufErrors reads the Udp RcvbufErrors counter of /proc/net/snmp.
func rcvbufErrors(t *testing.T) uint64 {
	t.Helper()
	v, err := readRcvbufErrors("/proc/net/snmp")
	if err != nil {
		t.Skip(err)
	}
	return v
}

// readRcvbufErrors reads the Udp RcvbufErrors counter of an snmp file:
// /proc/net/snmp is the process's network namespace, and
// /proc/thread-self/net/snmp the calling thread's.
func readRcvbufErrors(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = fields
			continue
		}
		for i, n := range names {
			if n == "RcvbufErrors" && i < len(fields) {
				return strconv.ParseUint(fields[i], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no Udp RcvbufErrors in %s", path)
}

// TestLinuxKernelDropsExact overflows a small receive buffer inside a
// network namespace of its own, where the host-wide counters count this
// test's socket alone, and checks that the socket's drop count
// (SO_MEMINFO, what the engine reports as udprx_kernel_drops_total) equals
// the /proc/net/snmp RcvbufErrors delta exactly. (TestLinuxKernelDrops can
// only check "at least": other sockets on the host may drop meanwhile.)
//
// The namespace is a child process's: the test binary runs itself again
// with CLONE_NEWNET, so that no thread of this process ever leaves the
// host's namespace.
func TestLinuxKernelDropsExact(t *testing.T) {
	if os.Getenv(netnsChildEnv) == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestLinuxKernelDropsExact$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), netnsChildEnv+"=1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		switch {
		case err != nil && !errors.As(err, &exit):
			t.Skipf("a child in a new network namespace: %v (needs CAP_SYS_ADMIN)", err)
		case err != nil:
			t.Fatalf("in a new network namespace: %v\n%s", err, out)
		case !bytes.Contains(out, []byte("--- PASS")):
			t.Fatalf("the child did not run the test:\n%s", out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "agree") {
				t.Log(strings.TrimSpace(line))
			}
		}
		return
	}
	// The child: alone in a new network namespace, whose loopback starts
	// down.
	if err := linkUp("lo"); err != nil {
		t.Fatal(err)
	}
	before := rcvbufErrors(t)
	r := listenT(t, "udp4", "127.0.0.1:0", Options{RecvBuffer: 4096})
	c, err := net.DialUDP("udp4", nil, r.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const sent = 500
	payload := make([]byte, 200)
	for range sent {
		if _, err := c.Write(payload); err != nil {
			t.Fatal(err)
		}
	}
	// Every datagram is either queued or dropped once the kernel's
	// receive work for it is done, which under load may be after the
	// sends return (ksoftirqd): read what was queued until the two add
	// up.
	b := newBatch(t, 64, 2048)
	fds := []unix.PollFd{{Fd: int32(r.(*linuxReceiver).fd), Events: unix.POLLIN}}
	deadline := time.Now().Add(10 * time.Second)
	var drops, received uint64
	for {
		n, err := r.Read(b)
		if err != nil {
			t.Fatal(err)
		}
		received += uint64(n)
		if drops = meminfoDrops(t, r); received+drops >= sent {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("of %d sent, %d received and %d dropped", sent, received, drops)
		}
		if n == 0 {
			unix.Poll(fds, 100) // until readable, or 100 ms
		}
	}
	if drops == 0 || received == 0 {
		t.Fatalf("%d of %d datagrams dropped: want some, not all", drops, sent)
	}
	if d := rcvbufErrors(t) - before; d != drops {
		t.Fatalf("RcvbufErrors grew by %d, the socket's SO_MEMINFO count is %d", d, drops)
	}
	t.Logf("%d of %d dropped: SO_MEMINFO and RcvbufErrors agree", drops, sent)
}

// netnsChildEnv marks the run of the test binary that
// TestLinuxKernelDropsExact starts in a new network namespace.
const netnsChildEnv = "UDPRX_TEST_IN_NEW_NETNS"

// linkUp sets IFF_UP on the named interface of the calling thread's
// network namespace (a new namespace's loopback starts down).
func linkUp(name string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return os.NewSyscallError("ioctl SIOCGIFFLAGS", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return os.NewSyscallError("ioctl SIOCSIFFLAGS", err)
	}
	return nil
}

// TestLinuxKernelDrops overflows a small receive buffer and checks that
// KernelDrops (SO_RXQ_OVFL) agrees exactly with the kernel's count for the
// socket (SO_MEMINFO) and is within the host-wide RcvbufErrors delta
// (other sockets may drop meanwhile: at least ours).
func TestLinuxKernelDrops(t *testing.T) {
	r := listenT(t, "udp4", "127.0.0.1:0", Options{RecvBuffer: 4096})
	// Listen leaves SO_RXQ_OVFL off (its cost: see setRecvOptions); turn
	// it on as the owner of an adopted socket may, to test the parser.
	rxqOvfl(t, r)
	dc := r.(DropCounter)
	c, err := net.DialUDP("udp", nil, r.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := newBatch(t, 64, 2048)

	// Nothing dropped: no count.
	c.Write([]byte("first"))
	readAll(t, r, b, 1)
	if dc.KernelDrops() != 0 || meminfoDrops(t, r) != 0 {
		t.Fatalf("KernelDrops %d, SO_MEMINFO %d before any overflow", dc.KernelDrops(), meminfoDrops(t, r))
	}

	snmp := rcvbufErrors(t)
	payload := make([]byte, 200)
	for range 500 {
		c.Write(payload)
	}
	drops := meminfoDrops(t, r)
	if drops == 0 {
		t.Fatal("500 datagrams into a 4 KiB buffer dropped none")
	}
	q, _ := r.(QueueReporter).QueueInfo()
	if q.Queued == 0 || q.Limit == 0 || q.Queued > 2*q.Limit {
		t.Errorf("QueueInfo %+v with a full queue", q)
	}
	queued := 500 - int(drops)
	readAll(t, r, b, queued)
	// The datagrams queued before the drops carry older counts; one
	// queued after them carries the total.
	c.Write([]byte("after"))
	readAll(t, r, b, 1)
	if got := dc.KernelDrops(); got != drops {
		t.Errorf("KernelDrops %d, kernel's SK_MEMINFO_DROPS %d", got, drops)
	}
	if d := rcvbufErrors(t) - snmp; d < drops {
		t.Errorf("/proc/net/snmp RcvbufErrors grew by %d, less than this socket's %d drops", d, drops)
	}
	t.Logf("dropped %d of 500; KernelDrops %d", drops, dc.KernelDrops())

	// After Close: the last count stays readable; QueueInfo says closed.
	r.Close()
	if dc.KernelDrops() != drops {
		t.Error("KernelDrops changed at Close")
	}
	if _, err := r.(QueueReporter).QueueInfo(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("QueueInfo after Close: %v, want net.ErrClosed", err)
	}
}

// TestLinuxNoteDrops checks the counter's arithmetic: counts out of order
// and across the 32-bit wrap.
func TestLinuxNoteDrops(t *testing.T) {
	r := &linuxReceiver{}
	for _, step := range []struct {
		v    uint32
		want uint64
	}{
		{5, 5}, {4, 5}, {5, 5}, {9, 9}, {0xfffffff0, 9}, // a jump of more than 2^31 is "behind"
	} {
		r.noteDrops(step.v)
		if got := r.KernelDrops(); got != step.want {
			t.Fatalf("after %d: %d, want %d", step.v, got, step.want)
		}
	}
	r = &linuxReceiver{lastOvfl: 0xfffffff0, total: 0xfffffff0}
	r.noteDrops(0x10) // wrapped
	if got := r.KernelDrops(); got != 0x100000010 {
		t.Errorf("across the wrap: %#x, want %#x", got, uint64(0x100000010))
	}
}

func loIndex(t *testing.T) uint32 {
	ifi, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skip(err)
	}
	return uint32(ifi.Index)
}

func TestLinuxPktInfo(t *testing.T) {
	lo := loIndex(t)
	for _, tc := range []struct {
		network, bind string
		dsts          []string // sent to, and expected as Dst
	}{
		{"udp4", "0.0.0.0:0", []string{"127.0.0.1", "127.0.0.2"}},
		{"udp6", "[::]:0", []string{"::1"}},
		{"udp", ":0", []string{"127.0.0.1", "::1", "127.0.0.3"}}, // dual-stack
	} {
		t.Run(tc.network, func(t *testing.T) {
			r, err := Listen(tc.network, tc.bind, Options{PktInfo: true})
			if err != nil {
				t.Skip(err) // no IPv6
			}
			defer r.Close()
			if !r.Info().PktInfo || r.Info().Timestamps || r.Info().GRO {
				t.Fatalf("Info %+v, want PktInfo only", r.Info())
			}
			port := r.LocalAddr().(*net.UDPAddr).Port
			for _, dst := range tc.dsts {
				c, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.ParseIP(dst), Port: port})
				if err != nil {
					t.Skipf("no %s: %v", dst, err)
				}
				c.Write([]byte(dst))
				c.Close()
			}
			got := readAll(t, r, newBatch(t, 8, 2048), len(tc.dsts))
			for i, d := range got {
				want := netip.MustParseAddr(tc.dsts[i])
				if string(d.Payload) != tc.dsts[i] || d.Dst != want || d.IfIndex != lo || d.Timestamp != 0 || d.Flags != 0 {
					t.Errorf("datagram %q: Dst %v IfIndex %d Timestamp %d Flags %b; want Dst %v IfIndex %d (lo), no timestamp, no flags",
						d.Payload, d.Dst, d.IfIndex, d.Timestamp, d.Flags, want, lo)
				}
			}
		})
	}
}

// PinSource asks for destinations only where a datagram can arrive at
// more than one address: a socket bound to one address pays nothing per
// datagram for it (IP_PKTINFO costs the kernel a control message on each
// read). Listen sets options before bind, when the socket has no address
// to look at yet, so both Listen and Adopt are checked against what the
// kernel says is on.
func TestLinuxPinSourceOnlyWildcard(t *testing.T) {
	for _, tc := range []struct {
		network, bind string
		adopt         bool
		want          bool
	}{
		{"udp4", "127.0.0.1:0", false, false},
		{"udp4", "0.0.0.0:0", false, true},
		{"udp6", "[::1]:0", false, false},
		{"udp6", "[::]:0", false, true},
		{"udp", ":0", false, true}, // no host: the dual-stack wildcard
		{"udp4", "127.0.0.1:0", true, false},
		{"udp4", "0.0.0.0:0", true, true},
	} {
		t.Run(fmt.Sprintf("%s/%s/adopt=%v", tc.network, tc.bind, tc.adopt), func(t *testing.T) {
			var r Receiver
			var err error
			if tc.adopt {
				c, lerr := net.ListenPacket(tc.network, tc.bind)
				if lerr != nil {
					t.Skip(lerr)
				}
				defer c.Close()
				f, ferr := c.(*net.UDPConn).File()
				if ferr != nil {
					t.Fatal(ferr)
				}
				defer f.Close()
				r, err = Adopt(f.Fd(), Options{PinSource: true})
			} else {
				r, err = Listen(tc.network, tc.bind, Options{PinSource: true})
			}
			if err != nil {
				if tc.network != "udp4" {
					t.Skip(err) // no IPv6
				}
				t.Fatal(err)
			}
			defer r.Close()
			fd, ok := nativeFD(r)
			if !ok {
				t.Fatalf("%T is not the native receiver", r)
			}
			level, opt := unix.IPPROTO_IP, unix.IP_PKTINFO
			if tc.network != "udp4" { // an AF_INET6 socket
				level, opt = unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO
			}
			on, err := unix.GetsockoptInt(fd, level, opt)
			if err != nil {
				t.Fatal(err)
			}
			if r.Info().PktInfo != tc.want || (on != 0) != tc.want {
				t.Fatalf("Info.PktInfo %v, kernel option %d; want %v", r.Info().PktInfo, on, tc.want)
			}
		})
	}
}

func TestLinuxTimestamps(t *testing.T) {
	r := listenT(t, "udp4", "127.0.0.1:0", Options{Timestamps: true})
	if !r.Info().Timestamps || r.Info().PktInfo {
		t.Fatalf("Info %+v, want Timestamps only", r.Info())
	}
	c, err := net.DialUDP("udp", nil, r.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	before := time.Now()
	// From one CPU: the kernel stamps each datagram as it takes it in,
	// and datagrams taken in on two CPUs can reach the socket out of that
	// order when one CPU defers its receive work (ksoftirqd, under load).
	func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		_, restore, err := PinThread(0) // the first CPU this thread may run on
		if err != nil {
			t.Fatal(err)
		}
		defer restore()
		for range 20 {
			c.Write([]byte("t"))
		}
	}()
	got := readAll(t, r, newBatch(t, 8, 2048), 20)
	after := time.Now()
	var last int64
	for i, d := range got {
		ts := time.Unix(0, d.Timestamp)
		if ts.Before(before.Add(-time.Second)) || ts.After(after.Add(time.Second)) {
			t.Errorf("datagram %d stamped %v, not within a second of [%v, %v]", i, ts, before, after)
		}
		// In send order, but on the real-time clock, which the host may
		// step back a little while the test runs (a VM's clock being
		// corrected under load was seen here): a stamp far before the
		// previous one is a decoding error, a few milliseconds are not.
		if d.Timestamp < last-int64(10*time.Millisecond) {
			t.Errorf("datagram %d stamped %v, well before the one before it", i, ts)
		}
		last = d.Timestamp
		if d.Dst.IsValid() || d.IfIndex != 0 {
			t.Errorf("datagram %d: Dst %v IfIndex %d without PktInfo", i, d.Dst, d.IfIndex)
		}
	}
}

// TestLinuxAllOptions turns everything on at once, GRO included: each
// coalesced datagram carries the read's metadata.
func TestLinuxAllOptions(t *testing.T) {
	r := listenT(t, "udp4", "0.0.0.0:0", Options{GRO: true, PktInfo: true, Timestamps: true, RecvBuffer: 4 << 20})
	info := r.Info()
	if !info.PktInfo || !info.Timestamps {
		t.Fatalf("Info %+v", info)
	}
	s := newGSOSender(t, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: r.LocalAddr().(*net.UDPAddr).Port})
	s.send(t, numbered(sizes(5, 300, 20)...), 300)
	got := readAll(t, r, segmented(t, 4, batch.GROSegments), 6)
	checkNumbered(t, got, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), s.port), sizes(5, 300, 20))
	for i, d := range got {
		if d.Dst != netip.MustParseAddr("127.0.0.1") || d.IfIndex != loIndex(t) || d.Timestamp != got[0].Timestamp || d.Timestamp == 0 {
			t.Errorf("datagram %d: Dst %v IfIndex %d Timestamp %d", i, d.Dst, d.IfIndex, d.Timestamp)
		}
	}
}

// TestLinuxOptionsAllocs: the read path allocates nothing with each
// option on (and with drops being counted).
func TestLinuxOptionsAllocs(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		gso  bool
	}{
		{"none", Options{}, false},
		{"pktinfo", Options{PktInfo: true}, false},
		{"timestamps", Options{Timestamps: true}, false},
		{"gro", Options{GRO: true}, true},
		{"all", Options{GRO: true, PktInfo: true, Timestamps: true}, true},
		{"dropping", Options{RecvBuffer: 4096}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.RecvBuffer = max(tc.opts.RecvBuffer, 4<<20)
			if tc.name == "dropping" {
				tc.opts.RecvBuffer = 4096
			}
			r := listenT(t, "udp4", "127.0.0.1:0", tc.opts)
			if tc.name == "dropping" {
				rxqOvfl(t, r) // the parser's path, as on an adopted socket
			}
			var b *batch.Batch
			if r.Info().GRO {
				b = segmented(t, 8, batch.GROSegments)
			} else {
				b = newBatch(t, 8, 2048)
			}
			c, err := net.DialUDP("udp", nil, r.LocalAddr().(*net.UDPAddr))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var s *gsoSender
			if tc.gso {
				s = newGSOSender(t, r.LocalAddr())
			}
			payload := numbered(sizes(8, 64)...)
			send := func() {
				if s != nil {
					s.send(t, payload, 64)
					return
				}
				for range 8 {
					c.Write(payload[:64])
				}
				if tc.name == "dropping" {
					for range 100 {
						c.Write(payload) // overflow: later datagrams carry the count
					}
				}
			}
			read := 0
			allocs := testing.AllocsPerRun(50, func() {
				send()
				read += readQueued(t, r, b)
			})
			if allocs != 0 {
				t.Errorf("%v allocations per send and read, want 0", allocs)
			}
			if read == 0 {
				t.Error("read nothing: measured nothing")
			}
			if tc.name == "dropping" && r.(DropCounter).KernelDrops() == 0 {
				t.Error("no drops counted")
			}
		})
	}
}

// TestLinuxAdoptOptions: Adopt sets the options on the caller's socket
// and reads the metadata as Listen's sockets do.
func TestLinuxAdoptOptions(t *testing.T) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rc, _ := conn.SyscallConn()
	var r Receiver
	var aerr error
	rc.Control(func(fd uintptr) { r, aerr = Adopt(fd, Options{PktInfo: true, Timestamps: true}) })
	if aerr != nil {
		t.Fatal(aerr)
	}
	defer r.Close()
	if info := r.Info(); !info.PktInfo || !info.Timestamps || info.GRO {
		t.Fatalf("Info %+v", info)
	}
	c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: conn.LocalAddr().(*net.UDPAddr).Port})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("a"))
	d := readAll(t, r, newBatch(t, 4, 64), 1)[0]
	if d.Dst != netip.MustParseAddr("127.0.0.1") || d.IfIndex != loIndex(t) || d.Timestamp == 0 {
		t.Errorf("Dst %v IfIndex %d Timestamp %d", d.Dst, d.IfIndex, d.Timestamp)
	}
}

// TestPortableOptionsOff: the portable backend reads no control messages
// and says so, without failing.
func TestPortableOptionsOff(t *testing.T) {
	r := listenT(t, "udp4", "127.0.0.1:0", Options{Portable: true, GRO: true, PktInfo: true, Timestamps: true})
	if info := r.Info(); info.GRO || info.PktInfo || info.Timestamps {
		t.Errorf("portable Info %+v: claims options it does not read", info)
	}
	if _, ok := r.(DropCounter); ok {
		t.Error("portable backend claims to count kernel drops")
	}
}

// TestLinuxGROControlTruncated: when the control buffer is too small for
// the UDP_GRO message (here: the adopted socket's owner turned on
// SO_TIMESTAMPNS, which comes first and was not sized for), the segment
// size is unknown, and the coalesced read is delivered as one datagram
// flagged ControlTruncated, never split at a guess.
func TestLinuxGROControlTruncated(t *testing.T) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rc, _ := conn.SyscallConn()
	var r Receiver
	var aerr error
	rc.Control(func(fd uintptr) {
		unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
		r, aerr = Adopt(fd, Options{GRO: true, RecvBuffer: 1 << 20})
	})
	if aerr != nil {
		t.Fatal(aerr)
	}
	defer r.Close()
	if !r.Info().GRO {
		t.Skip("kernel refused UDP_GRO")
	}
	s := newGSOSender(t, conn.LocalAddr())
	s.send(t, numbered(sizes(3, 100)...), 100)
	s.send(t, numbered(50), 100) // not coalesced: whole anyway
	got := readAll(t, r, segmented(t, 4, batch.GROSegments), 2)
	if len(got[0].Payload) != 300 || got[0].Flags != batch.ControlTruncated {
		t.Errorf("coalesced read: %d bytes, flags %b; want 300 bytes as one datagram, ControlTruncated", len(got[0].Payload), got[0].Flags)
	}
	if len(got[1].Payload) != 50 {
		t.Errorf("plain datagram: %d bytes, flags %b", len(got[1].Payload), got[1].Flags)
	}
}

// rxqOvfl turns SO_RXQ_OVFL on for r's socket, which Listen leaves off.
func rxqOvfl(t *testing.T, r Receiver) {
	t.Helper()
	if err := unix.SetsockoptInt(r.(*linuxReceiver).fd, unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1); err != nil {
		t.Fatal(err)
	}
}
