package peers

import (
	"context"
	"net"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// xnetReceiver is the batching loop a Go server gets from golang.org/x/net:
// one goroutine per socket calling ReadBatch into BatchSize messages with
// buffers allocated once. ReadBatch is recvmmsg on Linux and one datagram
// per call elsewhere (x/net's own fallback), and allocates a *net.UDPAddr
// per datagram; both are what is being compared, so neither is worked
// around. With Loops > 1 it binds that many SO_REUSEPORT sockets.
//
// As an echo server (newXnetEcho) it answers each batch it read with
// WriteBatch (sendmmsg on Linux), each message to the address ReadBatch
// reported, resuming after a short write.
type xnetReceiver struct {
	*connGroup
	readers   []batchReader // one per conn, same order
	batchSize int
	bufSize   int
	echo      bool
}

// batchReader is what ipv4.PacketConn and ipv6.PacketConn have in common:
// ipv4.Message and ipv6.Message are aliases of one type, so one loop
// serves both address families.
type batchReader interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// newXnetReceiver binds the sockets so that Addr is valid at once; reading
// starts with Run.
func newXnetReceiver(cfg RecvConfig) (Receiver, error) { return newXnet(cfg, false) }

func newXnetEcho(cfg RecvConfig) (Receiver, error) { return newXnet(cfg, true) }

func newXnet(cfg RecvConfig, echo bool) (Receiver, error) {
	g, err := listenGroup("xnet", cfg)
	if err != nil {
		return nil, err
	}
	r := &xnetReceiver{connGroup: g, batchSize: cfg.BatchSize, bufSize: cfg.BufSize, echo: echo}
	if r.batchSize <= 0 {
		r.batchSize = 64
	}
	if r.bufSize <= 0 {
		r.bufSize = 2048
	}
	for _, c := range g.conns {
		r.readers = append(r.readers, newBatchReader(c))
	}
	return r, nil
}

// newBatchReader wraps c in the x/net package of its bound address family.
// A dual-stack socket ("udp://[::]:port") is IPv6 and gets package ipv6.
func newBatchReader(c *net.UDPConn) batchReader {
	if a, ok := c.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() != nil {
		return ipv4.NewPacketConn(c)
	}
	return ipv6.NewPacketConn(c)
}

// Run reads until ctx is done or Stop is called.
func (r *xnetReceiver) Run(ctx context.Context) error { return r.run(ctx, r.read) }

// read is socket i's loop. It returns when the socket is closed; any
// other error is counted and the loop reads on, as a simple server would.
func (r *xnetReceiver) read(i int) {
	br := r.readers[i]
	ms := make([]ipv4.Message, r.batchSize)
	out := make([]ipv4.Message, r.batchSize) // the replies: ms's buffers, cut to length
	for i := range ms {
		ms[i].Buffers = [][]byte{make([]byte, r.bufSize)}
		out[i].Buffers = [][]byte{nil}
	}
	for {
		n, err := br.ReadBatch(ms, 0)
		if err != nil {
			if r.readError(err) {
				return
			}
			continue
		}
		if n == 0 {
			continue
		}
		var b uint64
		for i := range ms[:n] {
			b += uint64(ms[i].N)
		}
		r.count(n, b)
		if r.echo {
			r.answer(br, ms[:n], out[:n])
		}
	}
}

// answer sends each message of in back to its source with one WriteBatch
// per run of messages the kernel accepts; a message it refuses is counted
// and skipped.
func (r *xnetReceiver) answer(br batchReader, in, out []ipv4.Message) {
	for i := range in {
		out[i].Buffers[0] = in[i].Buffers[0][:in[i].N]
		out[i].Addr = in[i].Addr
	}
	for len(out) > 0 {
		n, err := br.WriteBatch(out, 0)
		if err != nil {
			// Messages before n were sent; message n failed.
			n = min(n+1, len(out))
			r.replied(n, 1)
		} else {
			if n == 0 {
				return
			}
			r.replied(n, 0)
		}
		out = out[n:]
	}
}
