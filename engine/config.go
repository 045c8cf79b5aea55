package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"reflect"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/udprx/udprx/batch"
	"github.com/udprx/udprx/errpolicy"
	"github.com/udprx/udprx/platform"
)

// Config configures an Engine. The zero value of every field but Addr and
// Handler is a working default, documented on the field.
type Config struct {
	// Addr is where to receive: "udp://host:port" (IPv6 and IPv4 on a
	// wildcard host, as package net does), "udp4://host:port" or
	// "udp6://[host]:port"; port 0 picks a free port, which Engine.Addr
	// reports. Or a unix datagram socket: "unixgram:///path/to.sock", or
	// on Linux an abstract name "unixgram://@name". A socket file left by
	// a process that died is removed at start; a path another process
	// serves, or that is not a socket, is refused and left alone; the
	// engine removes the file it created when it shuts down. If the file
	// is removed or replaced from outside while the engine runs, the
	// engine notices within about a second and opens the path again
	// under the same rules (ErrPathLost). Leave Addr empty when Sockets
	// are given.
	Addr string

	// UnixMode is the permission bits of the socket file of a unixgram
	// path Addr; 0 means 0660.
	UnixMode os.FileMode

	// Sockets are already-open datagram sockets to receive on instead of
	// Addr, one loop each: *net.UDPConn, *net.UnixConn, or *os.File such
	// as those of systemd socket activation (see ListenFDs). The engine
	// reads a duplicate of each descriptor and closes only the duplicate,
	// unless CloseSockets is set. A nil entry, also a typed nil such as a
	// nil *net.UDPConn, makes New fail naming its index. It cannot re-open a socket it did not
	// open: a fatal error on one ends the engine (Run returns it).
	// Available on Linux, darwin and FreeBSD.
	Sockets []syscall.Conn

	// CloseSockets makes Shutdown close Sockets too (those that are
	// io.Closers), after the loops have stopped.
	CloseSockets bool

	// Handler receives every batch. Required.
	Handler Handler

	// Loops is the number of event loops, each with its own socket bound
	// to Addr with SO_REUSEPORT so the kernel spreads flows over them.
	// 0 means runtime.GOMAXPROCS(0) where SO_REUSEPORT balances load
	// (Linux, FreeBSD) and 1 elsewhere, where more than 1 is an error.
	Loops int

	// SharePort lets this engine's loops share Addr's port with sockets
	// of other processes (SO_REUSEPORT), for a second instance that should
	// take part of the traffic. By default (false), with more than one
	// loop, New first checks that no socket is bound to the address and
	// fails with an error wrapping ErrAddrInUse if one is, so a second
	// instance started by mistake fails instead of silently taking a share;
	// and on Linux the loops' SO_REUSEPORT group gets a program that hands
	// datagrams only to the engine's own sockets, so a socket another
	// process adds later receives nothing (not with IncomingCPU, which
	// is itself the kernel's choice among them; see
	// docs/operations.md). With
	// SharePort neither is done; every instance sharing a port must set
	// it. With one loop (no SO_REUSEPORT) the bind itself fails on an
	// address in use, wrapping ErrAddrInUse, either way.
	SharePort bool

	// BatchSize is the number of datagrams one read can return, 1 to
	// batch.MaxSlots. 0 means batch.DefaultSlots (64): from 16 up the
	// throughput is the same within noise, and 64 slots of 2 KiB are
	// 128 KiB per loop (docs/performance.md).
	BatchSize int

	// DatagramSize is the buffer size for one datagram in bytes, 1 to
	// batch.MaxSlotSize; longer datagrams are delivered truncated and
	// flagged (with GRO too). 0 means batch.DefaultSlotSize (2048).
	DatagramSize int

	// RecvBuffer is the socket receive buffer (SO_RCVBUF) to request per
	// loop, in bytes. 0 keeps the system default. On Linux the request is
	// made with SO_RCVBUFFORCE first, so root may exceed
	// net.core.rmem_max; what was granted is in Stats and, when it is less
	// than asked, logged once. Above 2^31-1 (SO_RCVBUF is a C
	// int) New fails rather than let the value be cut.
	RecvBuffer int

	// ReadBudget is the most batches a loop reads per wake-up before it
	// goes back to its poller, so that a flood cannot keep it from seeing
	// a stop request. 0 means 16, the smallest budget that costs no
	// throughput (1 and 4 cost about 1.5%); at 1.5M datagrams/s it keeps a
	// loop from its poller for at most 0.7 ms (docs/performance.md).
	ReadBudget int

	// Gather is how long a loop waits, after a read that brought fewer
	// than a quarter of BatchSize datagrams, before it reads or waits
	// again, so that the socket gathers more meanwhile. A loop that reads
	// at once under a steady moderate stream wakes up for every one to
	// three datagrams, and its CPU time goes to waking up; waiting lets
	// each wake-up read many (docs/performance.md, "Gathering").
	//
	// 0, the default, gathers only while the loop is chasing a trickle
	// (Linux): after a short read that came less than 50 µs after the
	// previous short read, the loop naps 20 µs, as long as its naps
	// gather: a nap after which the next read brings fewer than 2
	// datagrams holds napping off for the next 8 short reads, twice as
	// many after each such nap, up to 1024. Sparse traffic, a datagram
	// now and then, is read at once as before, and a loop reading full
	// batches never waits; under a steady stream a datagram may be read
	// up to 20 µs later. A negative Gather turns gathering off.
	//
	// A positive Gather waits that long after every short read: up to
	// 100ms, for sinks (syslog, metrics, flow collectors) that trade
	// latency for CPU. Under a millisecond it is a precise nap of the
	// loop's thread (Linux); from a millisecond up, a timer, which a stop
	// ends. Replies queued from other goroutines wait as long.
	Gather time.Duration

	// GRO turns on UDP generic receive offload (Linux 5.0+): the kernel
	// hands over a flow's consecutive datagrams as one coalesced read of
	// up to 64 KiB, which the engine splits back into datagrams without
	// copying, so the handler sees ordinary datagrams at a fraction of the
	// kernel's per-datagram cost. Each loop then needs BatchSize slots of
	// 64 KiB. DatagramSize keeps its meaning: a datagram longer than it
	// is delivered cut to it and flagged truncated, each one of a
	// coalesced read on its own. Where the kernel refuses it the engine
	// runs without and says so in Stats (LoopStats.Socket.GRO); it never
	// fails to start for it.
	GRO bool

	// DstAddr fills Datagram.Dst and Datagram.IfIndex with each
	// datagram's destination address and receiving interface
	// (IP_PKTINFO/IPV6_PKTINFO): how a server on a wildcard address knows
	// which of its addresses to answer from. Linux only so far; Stats
	// says whether it is on.
	DstAddr bool

	// ReceiveOnly says the handler does not reply. By default a socket
	// bound to a wildcard address ("udp://:53") asks for each datagram's
	// destination (IP_PKTINFO, as DstAddr does), so that Writer.Reply
	// answers from the address each client used, from the first datagram
	// on: a host with several addresses otherwise answers from the one
	// the routing table picks, and clients drop the reply. That costs
	// about 15% of the receive rate (docs/performance.md); ReceiveOnly
	// saves it. Replies still work, from the address the kernel chooses.
	// Sockets bound to one address never need it.
	ReceiveOnly bool

	// Timestamps fills Datagram.Timestamp with the kernel's receive time
	// (SO_TIMESTAMPNS). Linux only so far; Stats says whether it is on.
	Timestamps bool

	// PinCPU locks loop i's goroutine to an OS thread and pins the thread
	// to the i-th (mod their number) of the CPUs the process may run on:
	// within its taskset(1) or cpuset, not CPU i of the machine (Linux
	// only; elsewhere New fails). Pin
	// when the loops have the machine's receive work to themselves: it
	// keeps a loop's cache warm and stops the scheduler moving it. See
	// docs/performance.md.
	PinCPU bool

	// IncomingCPU, with PinCPU and more than one loop, sets each loop's
	// socket's SO_INCOMING_CPU to the CPU its loop is pinned to. From
	// Linux 6.2 the kernel then hands a datagram to the loop pinned to the
	// CPU that received it (where the NIC's queue or RPS put it), falling
	// back to the flow hash when no loop is pinned there, so each datagram
	// is read where it is already in the cache. Use it when the host
	// spreads its receive work over the loops' CPUs (one NIC queue per
	// loop CPU, say); with all receive work on one CPU it would send every
	// datagram to that CPU's loop. Linux only; New fails without PinCPU.
	// LoopStats.IncomingCPU shows the value. See docs/performance.md.
	IncomingCPU bool

	// Portable selects the portable backend (one blocking read per
	// datagram through package net, as on systems without a native one)
	// even where a native one exists. It is a supported option, kept for
	// comparison: udpbench measures the native backend against it
	// (udpbench recv -portable), and it shows what the engine does where
	// no native backend exists. It costs throughput and cannot steer by
	// CPU (IncomingCPU); LoopStats.Socket says which per-datagram options
	// it granted, and its Backend is "portable".
	Portable bool

	// ReplySize is the size of one send slot in bytes: the longest
	// datagram a handler (Writer) or another goroutine (Engine.WriteTo)
	// can send, 1 to batch.MaxSlotSize. 0 means 2048
	// (batch.DefaultSlotSize), enough for Ethernet-sized replies and
	// QUIC; a DNS server that answers EDNS0 clients with up to 4096
	// bytes should say 4096.
	ReplySize int

	// ReplySlots is how many datagrams a handler can queue before they
	// are sent early, 1 to batch.MaxSlots. 0 means BatchSize: one reply
	// per datagram of a full batch leaves in one send call. The slots
	// are allocated at a loop's first reply, never for a handler that
	// does not send.
	ReplySlots int

	// SendTimeout bounds how long a loop waits for room when its
	// socket's send buffer is full (EAGAIN) before it drops what it could
	// not send and counts it ("full"). The loop reads nothing meanwhile.
	// 0 means 10ms: long enough to ride out a burst, short enough that
	// the receive buffer does not overflow behind it.
	SendTimeout time.Duration

	// SendQueue is the size, in datagrams, of each loop's queue for
	// Engine.WriteTo and Engine.Reply from other goroutines, 1 to
	// batch.MaxSlots. 0 means 256. It is allocated (twice: one half
	// filled while the loop sends the other) at the first such send.
	SendQueue int

	// MaxRestarts is how many escalations in a row a loop may go through
	// before Run gives up and returns the error; 0 means no limit. An
	// escalation is a re-open of the socket after an error that means
	// the socket is broken, or a failure streak that reached
	// errpolicy.DefaultStreakLimit without a re-open: that many read
	// back-offs (persistent ENOBUFS, EPERM, an unknown errno) or that many
	// handler panics with no batch handled between them. Escalations
	// count as "in a row" until a batch is handled without a panic. So a
	// handler that always panics, or a socket that never reads again,
	// still ends Run.
	MaxRestarts int

	// RestartBackoff paces re-opening a socket after a fatal error. The
	// zero value uses errpolicy's defaults.
	RestartBackoff errpolicy.BackoffSchedule

	// ReadBackoff paces reading again after errors that call for backing
	// off (ENOBUFS, ENOMEM, unknown errors), and after handler panics
	// that repeat. The zero value uses errpolicy's defaults.
	ReadBackoff errpolicy.BackoffSchedule

	// OnStop are stop hooks: Shutdown runs them after every loop has
	// drained its socket and before the sockets are closed, last to
	// first (the reverse of the order given, as defers run), each with
	// Shutdown's ctx. A hook's error is returned by Shutdown and does not
	// keep the others from running.
	OnStop []func(ctx context.Context) error

	// PanicStops makes a panic in the Handler stop the engine: Run
	// returns the panic as a *PanicError (wrapped in a *LoopError), after
	// the shutdown that drains every loop, the panicking one included. By
	// default a panic is recovered around the one HandleBatch call,
	// counted (udprx_handler_panics_total) and logged through the
	// suppressor; its batch is lost, and the loop reads on from the same
	// socket, which keeps its queue: at once after a single panic, with
	// ReadBackoff's waits while the following batches panic too (see
	// MaxRestarts for when that ends Run). On an adopted socket the same:
	// a panic never ends the engine unless PanicStops says so.
	PanicStops bool

	// OnLoopExit, if set, is called on the loop's goroutine each time a
	// loop ends, with why it ended and whether it will be restarted. It
	// must not block for long: the loop's socket is not read meanwhile.
	OnLoopExit func(LoopExit)

	// Logger receives the engine's few log lines (start, errors through a
	// suppressor that logs the first and then summaries, restarts). nil
	// logs nothing.
	Logger *slog.Logger

	// Metrics, if set, receives the engine's metrics in Prometheus naming
	// (udprx_datagrams_total{loop="0"} ...; see docs/operations.md). Give
	// each Engine its own Set: two engines in one Set would write the same
	// series twice.
	Metrics *metrics.Set

	// Test seams, set only by this package's tests.
	listen  func(network, address string, opts platform.Options) (platform.Receiver, error)
	clock   errpolicy.Clock
	policy  *errpolicy.Table
	jitter  func() float64 // the backoff schedules' jitter, in [0, 1)
	started func(loop int) // called as each loop starts reading
}

const (
	defaultReadBudget  = 16
	maxGather          = 100 * time.Millisecond
	defaultSendTimeout = 10 * time.Millisecond
	defaultSendQueue   = 256
)

// validate checks every field of c, a zero meaning its default, and
// returns the error naming the first that is out of range or
// inconsistent, or else Addr parsed: the network and address package
// platform takes ("", "" when Sockets are given). It is the one place
// Addr is parsed.
func (c Config) validate() (network, address string, err error) {
	if c.Handler == nil {
		return "", "", fmt.Errorf("engine: Config.Handler is nil")
	}
	switch {
	case len(c.Sockets) > 0 && c.Addr != "":
		return "", "", fmt.Errorf("engine: Config.Addr %q and %d Config.Sockets: set one or the other", c.Addr, len(c.Sockets))
	case len(c.Sockets) > 0:
		if c.Loops != 0 && c.Loops != len(c.Sockets) {
			return "", "", fmt.Errorf("engine: Config.Loops %d with %d Config.Sockets: one loop per socket (leave Loops 0)", c.Loops, len(c.Sockets))
		}
		for i, sc := range c.Sockets {
			if isNil(sc) {
				return "", "", fmt.Errorf("engine: Config.Sockets[%d] is nil (%T)", i, sc)
			}
		}
	default:
		network, address, err = parseAddr(c.Addr)
		if err != nil {
			return "", "", err
		}
		switch {
		case c.Loops < 0:
			return "", "", fmt.Errorf("engine: Config.Loops %d: want 0 (default) or more", c.Loops)
		case c.Loops > 1 && network == "unixgram":
			return "", "", fmt.Errorf("engine: Config.Loops %d: a unix datagram socket is served by one loop", c.Loops)
		case c.Loops > 1 && !platform.ReusePortBalances:
			return "", "", fmt.Errorf("engine: Config.Loops %d: SO_REUSEPORT does not balance load on %s: use 1: %w", c.Loops, runtime.GOOS, errors.ErrUnsupported)
		}
	}
	if c.PinCPU && runtime.GOOS != "linux" {
		return "", "", fmt.Errorf("engine: Config.PinCPU: pinning threads is supported on linux only, not %s: %w", runtime.GOOS, errors.ErrUnsupported)
	}
	if c.IncomingCPU && !c.PinCPU {
		return "", "", errors.New("engine: Config.IncomingCPU needs Config.PinCPU: it steers datagrams to the CPU a loop is pinned to")
	}
	if c.IncomingCPU && c.Portable {
		return "", "", fmt.Errorf("engine: Config.IncomingCPU: the portable backend cannot set SO_INCOMING_CPU: %w", errors.ErrUnsupported)
	}
	if c.UnixMode&^os.ModePerm != 0 {
		return "", "", fmt.Errorf("engine: Config.UnixMode %v: want permission bits only (0 to 0777)", c.UnixMode)
	}
	if c.BatchSize < 0 || c.BatchSize > batch.MaxSlots {
		return "", "", fmt.Errorf("engine: Config.BatchSize %d: want 1 to %d", c.BatchSize, batch.MaxSlots)
	}
	if c.DatagramSize < 0 || c.DatagramSize > batch.MaxSlotSize {
		return "", "", fmt.Errorf("engine: Config.DatagramSize %d: want 1 to %d", c.DatagramSize, batch.MaxSlotSize)
	}
	if c.RecvBuffer < 0 || c.RecvBuffer > platform.MaxRecvBuffer {
		return "", "", fmt.Errorf("engine: Config.RecvBuffer %d: want 0 (default) to %d, the most SO_RCVBUF takes", c.RecvBuffer, platform.MaxRecvBuffer)
	}
	if c.ReplySize < 0 || c.ReplySize > batch.MaxSlotSize {
		return "", "", fmt.Errorf("engine: Config.ReplySize %d: want 1 to %d", c.ReplySize, batch.MaxSlotSize)
	}
	if c.ReplySlots < 0 || c.ReplySlots > batch.MaxSlots {
		return "", "", fmt.Errorf("engine: Config.ReplySlots %d: want 1 to %d", c.ReplySlots, batch.MaxSlots)
	}
	if c.SendTimeout < 0 {
		return "", "", fmt.Errorf("engine: Config.SendTimeout %v: want 0 (default) or more", c.SendTimeout)
	}
	if c.SendQueue < 0 || c.SendQueue > batch.MaxSlots {
		return "", "", fmt.Errorf("engine: Config.SendQueue %d: want 1 to %d", c.SendQueue, batch.MaxSlots)
	}
	if c.ReadBudget < 0 {
		return "", "", fmt.Errorf("engine: Config.ReadBudget %d: want 0 (default) or more", c.ReadBudget)
	}
	if c.Gather > maxGather {
		return "", "", fmt.Errorf("engine: Config.Gather %v: want at most %v (0: the default, negative: off)", c.Gather, maxGather)
	}
	if c.MaxRestarts < 0 {
		return "", "", fmt.Errorf("engine: Config.MaxRestarts %d: want 0 (no limit) or more", c.MaxRestarts)
	}
	return network, address, nil
}

// withDefaults returns c, validated, with every zero field filled in;
// network is Addr's, as validate parsed it.
func (c Config) withDefaults(network string) Config {
	switch {
	case len(c.Sockets) > 0:
		c.Loops = len(c.Sockets)
	case c.Loops == 0:
		c.Loops = 1
		if platform.ReusePortBalances && network != "unixgram" {
			c.Loops = runtime.GOMAXPROCS(0)
		}
	}
	if c.BatchSize == 0 {
		c.BatchSize = batch.DefaultSlots
	}
	if c.DatagramSize == 0 {
		c.DatagramSize = batch.DefaultSlotSize
	}
	if c.ReplySize == 0 {
		c.ReplySize = batch.DefaultSlotSize
	}
	if c.ReplySlots == 0 {
		c.ReplySlots = c.BatchSize
	}
	if c.SendTimeout == 0 {
		c.SendTimeout = defaultSendTimeout
	}
	if c.SendQueue == 0 {
		c.SendQueue = defaultSendQueue
	}
	if c.ReadBudget == 0 {
		c.ReadBudget = defaultReadBudget
	}
	if c.listen == nil {
		c.listen = platform.Listen
	}
	if c.clock == nil {
		c.clock = errpolicy.SystemClock()
	}
	if c.jitter == nil {
		c.jitter = rand.Float64
	}
	if c.policy == nil {
		c.policy = errpolicy.Host()
	}
	return c
}

// isNil reports whether sc is nil or holds a nil pointer (a typed nil
// *net.UDPConn, say), whose SyscallConn would panic.
func isNil(sc syscall.Conn) bool {
	if sc == nil {
		return true
	}
	v := reflect.ValueOf(sc)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// parseAddr splits "udp://host:port" or "unixgram:///path" into the
// network and address that package platform takes.
func parseAddr(s string) (network, address string, err error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return "", "", fmt.Errorf("engine: Config.Addr %q: want scheme://address with scheme udp, udp4, udp6 or unixgram", s)
	}
	switch scheme {
	case "udp", "udp4", "udp6":
		if rest == "" {
			return "", "", fmt.Errorf("engine: Config.Addr %q: no host:port after %s://", s, scheme)
		}
	case "unixgram":
		if rest == "" {
			return "", "", fmt.Errorf("engine: Config.Addr %q: no path or @name after unixgram://", s)
		}
	default:
		return "", "", fmt.Errorf("engine: Config.Addr %q: unknown scheme %q: want udp, udp4, udp6 or unixgram", s, scheme)
	}
	return scheme, rest, nil
}
