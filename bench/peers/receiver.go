package peers

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"sync/atomic"
	"time"

	"github.com/udprx/udprx/bench/wire"
	"github.com/udprx/udprx/engine"
)

// Receiver is a receive loop under test: udprx's engine or one of the
// loops it is compared with. All of them count the same way, so their
// numbers can be set side by side.
type Receiver interface {
	// Addr is the bound address.
	Addr() net.Addr
	// Run receives until ctx is done or Stop is called.
	Run(ctx context.Context) error
	// Counts returns what has been received so far; safe at any time.
	Counts() RecvCounts
	// Stop stops receiving and releases the sockets, waiting at most until
	// ctx is done.
	Stop(ctx context.Context) error
}

// RecvConfig configures a Receiver.
type RecvConfig struct {
	Listen     string // "udp://host:port" (udp4, udp6 too)
	Loops      int    // event loops or reading goroutines; 0 = the receiver's default
	BatchSize  int    // datagrams per read, where the receiver batches; 0 = default
	BufSize    int    // bytes per datagram buffer; 0 = default (2048)
	RecvBuffer int    // SO_RCVBUF request; 0 = system default
	Portable   bool   // udprx only: the portable backend
	// PinCPU and IncomingCPU are udprx's Config.PinCPU (loop i's thread
	// on CPU i) and Config.IncomingCPU (each loop's socket steered to
	// its CPU by SO_INCOMING_CPU, which needs PinCPU). udprx only.
	PinCPU, IncomingCPU bool
	// ReadBudget is udprx's Config.ReadBudget: batches read per wake-up
	// before it goes back to its poller; 0 = its default. udprx only.
	ReadBudget int
	// Gather is udprx's Config.Gather: how long a loop waits after a
	// short read before it reads again; 0 = the engine's default,
	// negative = never. udprx only.
	Gather time.Duration
	// Track makes the receiver read every payload's udpbench header
	// (sequence, flow, send time) for loss, reordering, jitter and
	// latency (RecvCounts.Latency). It costs a few nanoseconds per
	// datagram, so throughput comparisons leave it off. udprx only.
	Track bool
	// Logger receives the receiver's own log lines where it has any
	// (udprx: errors, summaries, restarts); nil = none.
	Logger *slog.Logger
}

// RecvCounts are a receiver's counters. Fields a receiver cannot know stay
// zero.
type RecvCounts struct {
	Datagrams   uint64
	Bytes       uint64
	Batches     uint64
	Errors      uint64
	Restarts    uint64
	KernelDrops uint64
	// First and Last are when the first and the latest datagram arrived
	// (zero before any), so a rate can be taken over the traffic alone.
	First, Last time.Time
	Loops       int
	Backend     string
	// IncomingCPUs is each loop socket's SO_INCOMING_CPU (udprx on Linux;
	// -1 where unset), nil where the receiver cannot tell.
	IncomingCPUs []int
	// Latency is what the udpbench headers told, with RecvConfig.Track;
	// nil otherwise.
	Latency *wire.LatencySummary
	// Replies and SendDrops are an echo server's (NewEchoServer): the
	// answers the kernel accepted, and those it refused or the server
	// dropped. Zero for a receiver that only receives.
	Replies, SendDrops uint64
}

// receivers maps a name to a constructor.
var receivers = map[string]func(RecvConfig) (Receiver, error){
	"udprx":     newUdprxReceiver,
	"udprx-gro": newUdprxGROReceiver,
	"stdlib":    newStdlibReceiver,
	"xnet":      newXnetReceiver,
	"gnet":      newGnetReceiver,
	"rawmmsg":   newRawmmsgReceiver,
}

// ReceiverNames lists the receivers NewReceiver knows, sorted.
func ReceiverNames() []string {
	names := make([]string, 0, len(receivers))
	for n := range receivers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DefaultReceivers lists the receivers compared when none are named:
// every one but "rawmmsg", which is a yardstick (the plainest recvmmsg
// loop, for measuring what the engine's machinery costs), not a choice a
// server has.
func DefaultReceivers() []string {
	var names []string
	for _, n := range ReceiverNames() {
		if n != "rawmmsg" {
			names = append(names, n)
		}
	}
	return names
}

// ErrConfig is matched (errors.Is) by NewReceiver's error when the
// receiver's name or its RecvConfig is wrong: a usage error, found before
// anything was opened (it is engine.ErrConfig, so udprx's Config errors
// match it too). A failure to open sockets does not match it.
var ErrConfig = engine.ErrConfig

// NewReceiver builds the named receiver, bound and ready to Run. Its
// error matches ErrConfig for a usage error.
func NewReceiver(name string, cfg RecvConfig) (Receiver, error) {
	mk, ok := receivers[name]
	if !ok {
		return nil, fmt.Errorf("peers: unknown receiver %q: want one of %v: %w", name, ReceiverNames(), ErrConfig)
	}
	return mk(cfg)
}

// arrivals records when traffic started and when it was last seen.
//
// Reading the clock costs about as much as a tenth of a datagram's whole
// receive path, so a receiver that reads one datagram at a time would pay
// for the measurement far more than a batching one if it read the clock
// on every read. So the clock is read on the first read and then only by
// a read that takes the count across a multiple of markEvery: about once
// per batch for the batching receivers, once per markEvery datagrams for
// the others. Last is then the time of a read at most markEvery-1
// datagrams before the latest (exact when the total is a multiple of
// markEvery): a rate taken over First..Last errs by at most that many
// datagrams, in the one-at-a-time receivers' favour.
type arrivals struct {
	first, last atomic.Int64 // unix nanoseconds
}

// markEvery is how many datagrams may pass between clock readings.
const markEvery = 64

// mark records a read of n datagrams that brought the receiver's count to
// total.
func (a *arrivals) mark(total, n uint64) {
	if total/markEvery == (total-n)/markEvery && a.first.Load() != 0 {
		return
	}
	now := time.Now().UnixNano()
	a.last.Store(now)
	if a.first.Load() == 0 {
		a.first.CompareAndSwap(0, now)
	}
}

func (a *arrivals) fill(c *RecvCounts) {
	if f := a.first.Load(); f != 0 {
		c.First = time.Unix(0, f)
		c.Last = time.Unix(0, a.last.Load())
	}
}
