package peers

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawmmsgReceiver is the yardstick the engine is measured against: a
// zero-allocation recvmmsg loop written as plainly as possible. Per socket
// one goroutine, locked to its thread, waits in epoll_wait and then calls
// recvmmsg(2) into a fixed [64]Mmsghdr until a call comes back short,
// counting datagrams and bytes with atomics. Nothing else: no error policy
// (an error sends it back to epoll_wait), no metrics beyond the counters,
// no handler call, no source decoding (the kernel still writes each
// source, as for any server that would reply).
//
// It uses what the engine uses where that is cheaper: a non-blocking
// socket read with a raw system call (RawSyscall6 skips the scheduler's
// entersyscall/exitsyscall; docs/kernel.md), SO_RCVBUFFORCE for the buffer. So
// the engine's cost over it is its machinery alone. With Loops > 1 it
// binds that many SO_REUSEPORT sockets, each with its own loop.
//
// As an echo server (newRawmmsgEcho) it is the plainest recvmmsg +
// sendmmsg loop: after each recvmmsg it cuts each entry's iovec to the
// length received and hands the same headers (whose names recvmmsg filled
// with the sources) to sendmmsg(2), resuming after a short send and
// skipping a message that fails (counted; EAGAIN drops the rest of the
// batch). No source address pinning: the socket's own address is used.
type rawmmsgReceiver struct {
	socks   []rawmmsgSocket
	addr    net.Addr // the bound address, kept: Stop closes the sockets
	vlen    int      // entries per recvmmsg: BatchSize, at most 64
	bufSize int
	echo    bool

	datagrams, bytes, batches atomic.Uint64
	replies, sendDrops        atomic.Uint64
	a                         arrivals

	mu      sync.Mutex // orders Run's wg.Add before Stop's wg.Wait
	stopped bool
	done    chan struct{} // closed by the first Stop, so Run returns
	wg      sync.WaitGroup
}

// rawmmsgSocket is one loop's socket, epoll instance and eventfd (written
// by Stop to end the loop's epoll_wait).
type rawmmsgSocket struct {
	fd, epfd, evfd int
}

// newRawmmsgReceiver binds the sockets; reading starts with Run.
func newRawmmsgReceiver(cfg RecvConfig) (Receiver, error) { return newRawmmsg(cfg, false) }

func newRawmmsgEcho(cfg RecvConfig) (Receiver, error) { return newRawmmsg(cfg, true) }

func newRawmmsg(cfg RecvConfig, echo bool) (Receiver, error) {
	network, address, ok := strings.Cut(cfg.Listen, "://")
	if !ok {
		return nil, fmt.Errorf("peers: listen address %q: want udp://host:port", cfg.Listen)
	}
	ua, err := net.ResolveUDPAddr(network, address)
	if err != nil {
		return nil, err
	}
	r := &rawmmsgReceiver{vlen: 64, bufSize: 2048, echo: echo, done: make(chan struct{})}
	if cfg.BatchSize > 0 {
		r.vlen = min(cfg.BatchSize, 64)
	}
	if cfg.BufSize > 0 {
		r.bufSize = cfg.BufSize
	}
	ap := ua.AddrPort()
	for i := range max(cfg.Loops, 1) {
		s, port, err := openRawmmsgSocket(network, ap, cfg.Loops > 1, cfg.RecvBuffer)
		if err != nil {
			r.closeAll()
			return nil, err
		}
		r.socks = append(r.socks, s)
		if i == 0 {
			ap = netip.AddrPortFrom(ap.Addr(), port) // the same port for the rest
		}
	}
	r.addr = r.boundAddr()
	return r, nil
}

// openRawmmsgSocket opens, binds and registers one socket.
func openRawmmsgSocket(network string, ap netip.AddrPort, reusePort bool, rcvbuf int) (s rawmmsgSocket, port uint16, err error) {
	s = rawmmsgSocket{fd: -1, epfd: -1, evfd: -1}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	// The family as package net chooses it: "udp" with an IPv4 address
	// is IPv4, with a wildcard (":port") a dual-stack IPv6 socket.
	a := ap.Addr().Unmap()
	family := unix.AF_INET6
	var sa unix.Sockaddr = &unix.SockaddrInet6{Port: int(ap.Port())}
	if network == "udp4" || (network == "udp" && a.Is4()) {
		family = unix.AF_INET
		sa4 := &unix.SockaddrInet4{Port: int(ap.Port())}
		if a.Is4() {
			sa4.Addr = a.As4()
		}
		sa = sa4
	} else if a.IsValid() {
		sa.(*unix.SockaddrInet6).Addr = ap.Addr().As16()
	}
	if s.fd, err = unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0); err != nil {
		return s, 0, os.NewSyscallError("socket", err)
	}
	if family == unix.AF_INET6 && network != "udp6" {
		unix.SetsockoptInt(s.fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
	}
	if reusePort {
		if err = unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			return s, 0, os.NewSyscallError("setsockopt SO_REUSEPORT", err)
		}
	}
	if rcvbuf > 0 && unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvbuf) != nil {
		unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf)
	}
	if err = unix.Bind(s.fd, sa); err != nil {
		return s, 0, os.NewSyscallError("bind", err)
	}
	if s.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return s, 0, os.NewSyscallError("epoll_create1", err)
	}
	if s.evfd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		return s, 0, os.NewSyscallError("eventfd", err)
	}
	for _, fd := range []int{s.fd, s.evfd} {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
		if err = unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			return s, 0, os.NewSyscallError("epoll_ctl", err)
		}
	}
	bound, err := unix.Getsockname(s.fd)
	if err != nil {
		return s, 0, os.NewSyscallError("getsockname", err)
	}
	switch b := bound.(type) {
	case *unix.SockaddrInet4:
		port = uint16(b.Port)
	case *unix.SockaddrInet6:
		port = uint16(b.Port)
	}
	return s, port, nil
}

func (s *rawmmsgSocket) close() {
	for _, fd := range []int{s.evfd, s.epfd, s.fd} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	*s = rawmmsgSocket{fd: -1, epfd: -1, evfd: -1}
}

// Addr returns the bound address, also after Stop.
func (r *rawmmsgReceiver) Addr() net.Addr { return r.addr }

// boundAddr asks the kernel for the first socket's address.
func (r *rawmmsgReceiver) boundAddr() net.Addr {
	sa, err := unix.Getsockname(r.socks[0].fd)
	if err != nil {
		return nil
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.UDPAddr{IP: net.IP(sa.Addr[:]).To16(), Port: sa.Port}
	case *unix.SockaddrInet6:
		return &net.UDPAddr{IP: net.IP(sa.Addr[:]), Port: sa.Port}
	}
	return nil
}

// Run starts one loop per socket and returns when ctx is done (stopping
// the loops) or Stop is called.
func (r *rawmmsgReceiver) Run(ctx context.Context) error {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return nil
	}
	for i := range r.socks {
		r.wg.Add(1)
		go r.loop(r.socks[i])
	}
	r.mu.Unlock()
	select {
	case <-ctx.Done():
		return r.Stop(context.Background())
	case <-r.done:
		return nil
	}
}

// loop is the whole receiver: wait, then read until a short batch.
func (r *rawmmsgReceiver) loop(s rawmmsgSocket) {
	defer r.wg.Done()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var (
		hdrs   [64]unix.Mmsghdr
		iovs   [64]unix.Iovec
		names  [64]unix.RawSockaddrInet6
		events [2]unix.EpollEvent
	)
	buf := make([]byte, len(hdrs)*r.bufSize)
	for i := range hdrs {
		iovs[i].Base = &buf[i*r.bufSize]
		iovs[i].SetLen(r.bufSize)
		hdrs[i].Hdr.Iov = &iovs[i]
		hdrs[i].Hdr.SetIovlen(1)
		hdrs[i].Hdr.Name = (*byte)(unsafe.Pointer(&names[i]))
	}
	for {
		n, err := unix.EpollWait(s.epfd, events[:], -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return
		}
		for _, ev := range events[:n] {
			if ev.Fd == int32(s.evfd) {
				return // Stop
			}
		}
		for {
			for i := range r.vlen {
				hdrs[i].Hdr.Namelen = unix.SizeofSockaddrInet6
			}
			got, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, uintptr(s.fd),
				uintptr(unsafe.Pointer(&hdrs[0])), uintptr(r.vlen), unix.MSG_DONTWAIT, 0, 0)
			if e != 0 {
				break // EAGAIN, or anything else: back to epoll_wait
			}
			var nbytes uint64
			for i := range got {
				nbytes += uint64(hdrs[i].Len)
			}
			r.bytes.Add(nbytes) // before datagrams: Counts loads them the other way round
			total := r.datagrams.Add(uint64(got))
			r.batches.Add(1)
			r.a.mark(total, uint64(got))
			if r.echo {
				r.answer(s.fd, hdrs[:got], iovs[:got])
			}
			if int(got) < r.vlen {
				break
			}
		}
	}
}

// answer sends every datagram recvmmsg put in hdrs back to its source,
// then restores the iovecs' lengths for the next read.
func (r *rawmmsgReceiver) answer(fd int, hdrs []unix.Mmsghdr, iovs []unix.Iovec) {
	for i := range hdrs {
		iovs[i].SetLen(int(hdrs[i].Len))
	}
	for off := 0; off < len(hdrs); {
		sent, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, uintptr(fd),
			uintptr(unsafe.Pointer(&hdrs[off])), uintptr(len(hdrs)-off), unix.MSG_DONTWAIT, 0, 0)
		switch {
		case e == unix.EAGAIN:
			r.sendDrops.Add(uint64(len(hdrs) - off))
			off = len(hdrs)
		case e != 0:
			r.sendDrops.Add(1) // message off failed: skip it
			off++
		case sent == 0: // never for vlen > 0; do not spin on it
			r.sendDrops.Add(uint64(len(hdrs) - off))
			off = len(hdrs)
		default:
			r.replies.Add(uint64(sent))
			off += int(sent)
		}
	}
	for i := range iovs {
		iovs[i].SetLen(r.bufSize)
	}
}

// Stop ends the loops (an eventfd write wakes each epoll_wait), waits for
// them, then closes the sockets.
func (r *rawmmsgReceiver) Stop(ctx context.Context) error {
	r.mu.Lock()
	first := !r.stopped
	if first {
		r.stopped = true
		close(r.done)
		one := [8]byte{1}
		if *(*uint64)(unsafe.Pointer(&one)) != 1 { // big-endian host
			one = [8]byte{7: 1}
		}
		for _, s := range r.socks {
			unix.Write(s.evfd, one[:])
		}
	}
	r.mu.Unlock()
	waited := make(chan struct{})
	go func() { r.wg.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-ctx.Done():
		return ctx.Err()
	}
	if first {
		r.closeAll()
	}
	return nil
}

func (r *rawmmsgReceiver) closeAll() {
	for i := range r.socks {
		r.socks[i].close()
	}
}

func (r *rawmmsgReceiver) Counts() RecvCounts {
	c := RecvCounts{
		Datagrams: r.datagrams.Load(),
		Bytes:     r.bytes.Load(),
		Batches:   r.batches.Load(),
		Replies:   r.replies.Load(),
		SendDrops: r.sendDrops.Load(),
		Loops:     len(r.socks),
		Backend:   "rawmmsg",
	}
	r.a.fill(&c)
	return c
}
