package engine

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/udprx/udprx/batch"
	"github.com/udprx/udprx/errpolicy"
	"github.com/udprx/udprx/platform"
)

// accountingChildEnv marks the run of the test binary that
// TestExactAccounting starts in a new network namespace.
const accountingChildEnv = "UDPRX_TEST_ACCOUNTING_NETNS"

// TestExactAccounting floods a two-loop engine while its handler panics
// now and then, its reads fail with ENOBUFS streaks long enough to
// escalate, its sockets are shut down from outside (re-opens), and it is
// stopped with the flood still running; then it checks that every
// datagram the sender's kernel accepted is in exactly one place:
//
//	sent = delivered + kernel drops + discarded + "no port"
//
// where "no port" (Udp NoPorts) counts datagrams that arrived while no
// socket of the engine took them (between a close and its re-open, after
// the stop). Kernel drops must also equal the Udp InErrors delta: every
// drop at the engine's sockets, those of the drop-all filter included,
// is counted, up to each socket's close. Inside a network namespace of
// the test's own, the host-wide counters count this test alone.
func TestExactAccounting(t *testing.T) {
	if os.Getenv(accountingChildEnv) == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestExactAccounting$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), accountingChildEnv+"=1")
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
			if strings.Contains(line, "accounted") {
				t.Log(strings.TrimSpace(line))
			}
		}
		return
	}
	if err := loopbackUp(); err != nil {
		t.Fatal(err)
	}
	before := udpCounters(t)

	var handled, batches atomic.Uint64
	faults := func(r platform.Receiver) platform.Receiver { return &enobufsStreaks{Receiver: r} }
	e, err := New(Config{
		Addr: "udp4://127.0.0.1:0", Loops: 2, RecvBuffer: 16 << 10, BatchSize: 16,
		Handler: HandlerFunc(func(_ *Writer, b Batch) {
			handled.Add(uint64(b.Len()))
			if batches.Add(1)%50 == 0 {
				panic("one batch in 50")
			}
		}),
		RestartBackoff: errpolicy.BackoffSchedule{Initial: time.Millisecond, Max: 5 * time.Millisecond},
		ReadBackoff:    errpolicy.BackoffSchedule{Initial: 100 * time.Microsecond, Max: time.Millisecond},
		listen: func(network, address string, opts platform.Options) (platform.Receiver, error) {
			r, err := platform.Listen(network, address, opts)
			if err != nil {
				return nil, err
			}
			return faults(r), nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range e.loops { // New opened these through the seam too
		if _, ok := l.r.(*enobufsStreaks); !ok {
			t.Fatal("the fault-injecting receiver is not in place")
		}
	}
	ran := make(chan error, 1)
	go func() { ran <- e.Run(context.Background()) }()

	to := e.Addr().(*net.UDPAddr).AddrPort()
	var sent atomic.Uint64
	stopSending := make(chan struct{})
	sending := make(chan struct{})
	go func() {
		defer close(sending)
		flood(t, to, &sent, stopSending)
	}()

	// Let every kind of event happen under load, each waited for.
	waitCond(t, "datagrams delivered", func() bool { return e.Stats().Datagrams > 20000 })
	port := int(to.Port())
	for i := range 2 {
		unix.Shutdown(socketFD(t, port), unix.SHUT_RD) // ENOTCONN, and takes effect
		waitCond(t, "a re-open", func() bool { return e.Stats().Restarts > uint64(i) })
	}
	waitCond(t, "panics and escalated back-off streaks", func() bool {
		var p uint64
		for _, l := range e.loops {
			p += l.m.panics.Get()
		}
		return p >= 5 && e.Stats().Errors >= 2*errpolicy.DefaultStreakLimit
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	close(stopSending)
	<-sending
	if err := <-ran; err != nil {
		t.Fatalf("Run: %v", err)
	}

	// The kernel's receive work for the last datagrams may finish after
	// the sends return (ksoftirqd): wait until the sums can agree.
	st := e.Stats()
	var c udpSNMP
	deadline := time.Now().Add(10 * time.Second)
	for {
		c = udpCounters(t).minus(before)
		if st.Datagrams+st.KernelDrops+st.Discarded+c.NoPorts >= sent.Load() || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond) // polling the kernel's counters
	}
	if got := handled.Load(); got != st.Datagrams {
		t.Errorf("the handler saw %d datagrams, Stats.Datagrams is %d", got, st.Datagrams)
	}
	if st.Restarts < 2 {
		t.Errorf("%d re-opens, want at least 2", st.Restarts)
	}
	if sum := st.Datagrams + st.KernelDrops + st.Discarded + c.NoPorts; sum != sent.Load() {
		t.Errorf("%d sent, but %d delivered + %d kernel drops + %d discarded + %d no port = %d",
			sent.Load(), st.Datagrams, st.KernelDrops, st.Discarded, c.NoPorts, sum)
	}
	if c.InErrors != st.KernelDrops {
		t.Errorf("Udp InErrors grew by %d, the engine counts %d kernel drops", c.InErrors, st.KernelDrops)
	}
	t.Logf("all accounted: %d sent = %d delivered + %d kernel drops + %d discarded + %d no port; %d restarts, %d errors",
		sent.Load(), st.Datagrams, st.KernelDrops, st.Discarded, c.NoPorts, st.Restarts, st.Errors)
}

// enobufsStreaks fails reads with ENOBUFS in streaks of
// errpolicy.DefaultStreakLimit+2 (long enough to escalate), one streak per
// 3000 reads, and passes everything else to the real receiver.
type enobufsStreaks struct {
	platform.Receiver
	reads int // Read is called on the loop's goroutine only
}

func (f *enobufsStreaks) Read(b *batch.Batch) (int, error) {
	f.reads++
	if f.reads > 100 && f.reads%3000 < errpolicy.DefaultStreakLimit+2 {
		b.Reset()
		return 0, os.NewSyscallError("recvmmsg", syscall.ENOBUFS)
	}
	return f.Receiver.Read(b)
}

func (f *enobufsStreaks) CloseIntake() error { return f.Receiver.(platform.IntakeCloser).CloseIntake() }
func (f *enobufsStreaks) Isolate() error     { return f.Receiver.(platform.Isolator).Isolate() }
func (f *enobufsStreaks) QueueInfo() (platform.QueueInfo, error) {
	return f.Receiver.(platform.QueueReporter).QueueInfo()
}

// flood sends 64-byte datagrams to the address from 8 unconnected
// sockets in turn (8 flows, spread over the loops) until stop is closed,
// counting each send the kernel accepted.
func flood(t *testing.T, to netip.AddrPort, sent *atomic.Uint64, stop chan struct{}) {
	var conns []*net.UDPConn
	for range 8 {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		conns = append(conns, c)
	}
	payload := make([]byte, 64)
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		if _, err := conns[i%len(conns)].WriteToUDPAddrPort(payload, to); err == nil {
			sent.Add(1)
		}
	}
}

// waitCond polls cond until it holds, for up to 20 s.
func waitCond(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 20s", what)
		}
		time.Sleep(time.Millisecond) // polling a counter
	}
}

// udpSNMP is the Udp line of /proc/net/snmp that the accounting needs.
type udpSNMP struct{ NoPorts, InErrors uint64 }

func (a udpSNMP) minus(b udpSNMP) udpSNMP {
	return udpSNMP{NoPorts: a.NoPorts - b.NoPorts, InErrors: a.InErrors - b.InErrors}
}

// udpCounters reads the process's network namespace's Udp counters.
func udpCounters(t *testing.T) udpSNMP {
	t.Helper()
	f, err := os.Open("/proc/net/snmp")
	if err != nil {
		t.Skip(err)
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
		var c udpSNMP
		for i, n := range names[1:] {
			v, err := strconv.ParseUint(fields[i+1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			switch n {
			case "NoPorts":
				c.NoPorts = v
			case "InErrors":
				c.InErrors = v
			}
		}
		return c
	}
	t.Skip("no Udp counters in /proc/net/snmp")
	return udpSNMP{}
}

// loopbackUp sets IFF_UP on lo: a new network namespace's starts down.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return os.NewSyscallError("ioctl SIOCGIFFLAGS", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("lo up: %w", os.NewSyscallError("ioctl SIOCSIFFLAGS", err))
	}
	return nil
}
