package platform

import (
	"net"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/udprx/udprx/batch"
)

// BenchmarkRead measures Read alone: draining a receive queue filled
// beforehand (outside the timer) with 64-byte datagrams, the cleanest
// receiver-only figure (docs/kernel.md). ns/datagram is the cost per datagram,
// system call included; compare the options with "plain".
func BenchmarkRead(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts Options
		gso  bool // fill with GSO super-packets of 64 datagrams
		drop bool // overflow once first, so every datagram carries SO_RXQ_OVFL
	}{
		{name: "plain"},
		{name: "dropped-before", drop: true},
		{name: "pktinfo", opts: Options{PktInfo: true}},
		{name: "timestamps", opts: Options{Timestamps: true}},
		{name: "pktinfo+timestamps", opts: Options{PktInfo: true, Timestamps: true}},
		{name: "gro-unused", opts: Options{GRO: true}},
		{name: "gro", opts: Options{GRO: true}, gso: true},
		{name: "gro+pktinfo+timestamps", opts: Options{GRO: true, PktInfo: true, Timestamps: true}, gso: true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			const queued = 16384
			opts := bc.opts
			opts.RecvBuffer = 32 << 20
			r, err := Listen("udp4", "127.0.0.1:0", opts)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			if opts.GRO && !r.Info().GRO {
				b.Skip("no UDP_GRO")
			}
			var bt *batch.Batch
			if r.Info().GRO {
				bt, _ = batch.NewSegmented(batch.DefaultSlots, batch.MaxSlotSize, batch.GROSegments)
			} else {
				bt, _ = batch.New(batch.DefaultSlots, batch.DefaultSlotSize)
			}
			f := newFiller(b, r.LocalAddr(), bc.gso)
			if bc.drop {
				// What a socket with SO_RXQ_OVFL pays once it has dropped
				// (why Listen leaves it off): turn it on to measure.
				rxqOvflB(b, r)
				small := r.(*linuxReceiver).fd
				unix.SetsockoptInt(small, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4096)
				f.fill(b, 1024)
				unix.SetsockoptInt(small, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, opts.RecvBuffer)
				for n, _ := r.Read(bt); n > 0; n, _ = r.Read(bt) {
				}
				if r.(DropCounter).KernelDrops() == 0 {
					f.fill(b, 1)
					r.Read(bt)
				}
				if r.(DropCounter).KernelDrops() == 0 {
					b.Fatal("no drops")
				}
			}
			f.fill(b, queued)
			total := 0
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				n, err := r.Read(bt)
				if err != nil {
					b.Fatal(err)
				}
				total += n
				if n == 0 {
					b.StopTimer()
					f.fill(b, queued)
					b.StartTimer()
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/datagram")
			b.ReportMetric(float64(total)/float64(b.N), "datagrams/op")
		})
	}
}

// filler queues 64-byte datagrams on a socket with sendmmsg(2), 64 per
// call, or with GSO super-packets of 64.
type filler struct {
	fd   int
	hdrs [64]unix.Mmsghdr
	iovs [64]unix.Iovec
	buf  [64 * 64]byte
	oob  []byte
	gso  bool
}

func newFiller(b *testing.B, to net.Addr, gso bool) *filler {
	ua := to.(*net.UDPAddr)
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Close(fd) })
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: ua.Port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		b.Fatal(err)
	}
	f := &filler{fd: fd, gso: gso}
	if gso {
		f.oob = make([]byte, unix.CmsgSpace(2))
		h := (*unix.Cmsghdr)(unsafe.Pointer(&f.oob[0]))
		h.Level, h.Type = unix.SOL_UDP, unix.UDP_SEGMENT
		h.SetLen(unix.CmsgLen(2))
		*(*uint16)(unsafe.Pointer(&f.oob[unix.CmsgLen(0)])) = 64
	}
	for i := range f.hdrs {
		if gso {
			f.iovs[i].Base = &f.buf[0]
			f.iovs[i].SetLen(len(f.buf))
			f.hdrs[i].Hdr.Control = &f.oob[0]
			f.hdrs[i].Hdr.SetControllen(len(f.oob))
		} else {
			f.iovs[i].Base = &f.buf[i*64]
			f.iovs[i].SetLen(64)
		}
		f.hdrs[i].Hdr.Iov = &f.iovs[i]
		f.hdrs[i].Hdr.SetIovlen(1)
	}
	return f
}

// fill queues n datagrams (rounded up to 64 with GSO).
func (f *filler) fill(b *testing.B, n int) {
	per := 1
	if f.gso {
		per = 64
	}
	for sent := 0; sent < n; {
		vlen := min(len(f.hdrs), (n-sent+per-1)/per)
		k, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(f.fd), uintptr(unsafe.Pointer(&f.hdrs[0])), uintptr(vlen), 0, 0, 0)
		if e != 0 {
			b.Fatal("sendmmsg:", e)
		}
		sent += int(k) * per
	}
}

func rxqOvflB(b *testing.B, r Receiver) {
	if err := unix.SetsockoptInt(r.(*linuxReceiver).fd, unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1); err != nil {
		b.Fatal(err)
	}
}
