package platform

import (
	"errors"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// adoptState is what an adopted socket looked like before Adopt and the
// engine changed it, so that Close can leave it as it was found: the
// caller's own descriptor, and a second Adopt of it (a socket-activated
// service restarting), must receive as before. Each field is read with
// getsockopt before the option is set, and written back only if it was
// changed.
//
// What cannot be put back, and stays (docs/operations.md): SO_RCVBUF
// sets SOCK_RCVBUF_LOCK (net/core/sock.c sk_setsockopt), which on UDP
// changes nothing (only TCP's buffer auto-tuning reads it); UDP_GRO
// turned on once enables the UDP tunnel static key for the host
// (udp_tunnel_encap_enable), which stays on until reboot and only adds a
// branch to every UDP receive.
type adoptState struct {
	inet bool

	nonblock bool // O_NONBLOCK before Adopt set it

	rcvbuf    int // SO_RCVBUF as read back (Linux's doubled value); 0: not changed
	gro       int // UDP_GRO before; -1: not changed
	pktinfo   int // IP_PKTINFO before; -1: not changed
	pktinfo6  int // IPV6_RECVPKTINFO before (AF_INET6 only); -1: not changed
	stamps    bool
	stampOpts [4]int // SO_TIMESTAMP_OLD, _NEW, SO_TIMESTAMPNS_OLD, _NEW before

	// The socket filter. CloseIntake attaches a drop-all filter; the
	// owner's classic filter, if it had one, is kept here and put back
	// (SO_GET_FILTER returns the program as attached, net/core/filter.c
	// sk_get_filter).
	filterAttached bool
	ownerFilter    []unix.SockFilter // nil: the owner had none
}

// timestampOpts are the options that turn on receive timestamps; turning
// any of them off clears every one (sock_set_timestamp, net/core/sock.c),
// so restoring means clearing, then setting again those that were on.
var timestampOpts = [4]int{unix.SO_TIMESTAMP_OLD, unix.SO_TIMESTAMP_NEW, unix.SO_TIMESTAMPNS_OLD, unix.SO_TIMESTAMPNS_NEW}

// saveAdopted reads what Adopt is about to change on fd (opts says what)
// before it does. It is called before O_NONBLOCK is set.
func saveAdopted(fd int, inet bool, opts Options) *adoptState {
	s := &adoptState{inet: inet, gro: -1, pktinfo: -1, pktinfo6: -1}
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err == nil {
		s.nonblock = fl&unix.O_NONBLOCK != 0
	} else {
		s.nonblock = true // unknown: leave it non-blocking
	}
	if opts.RecvBuffer > 0 {
		s.rcvbuf, _ = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF)
	}
	if !inet || opts.Portable {
		return s
	}
	get := func(level, opt int) int {
		v, err := unix.GetsockoptInt(fd, level, opt)
		if err != nil {
			return -1 // the kernel does not know it: it will not be set either
		}
		return v
	}
	if opts.GRO {
		s.gro = get(unix.SOL_UDP, unix.UDP_GRO)
	}
	if opts.PktInfo {
		s.pktinfo = get(unix.IPPROTO_IP, unix.IP_PKTINFO)
		if family, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN); family == unix.AF_INET6 {
			s.pktinfo6 = get(unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO)
		}
	}
	if opts.Timestamps {
		s.stamps = true
		for i, o := range timestampOpts {
			s.stampOpts[i] = max(get(unix.SOL_SOCKET, o), 0)
		}
	}
	return s
}

// saveFilter records the owner's socket filter before CloseIntake
// replaces it. An eBPF filter (SO_ATTACH_BPF) cannot be read back
// (EACCES) and so could not be put back: errKeepFilter, and no drop-all
// filter is attached.
func (s *adoptState) saveFilter(fd int) error {
	// With a zero length, SO_GET_FILTER reports the program's length in
	// instructions, 0 for no filter (sock_getsockopt, net/core/sock.c).
	var n uint32
	if err := getsockoptRaw(fd, unix.SO_GET_FILTER, nil, &n); err != nil {
		if err == unix.EACCES {
			return errKeepFilter
		}
		return os.NewSyscallError("getsockopt SO_GET_FILTER", err)
	}
	if n == 0 {
		s.ownerFilter = nil
		return nil
	}
	prog := make([]unix.SockFilter, n)
	if err := getsockoptRaw(fd, unix.SO_GET_FILTER, unsafe.Pointer(&prog[0]), &n); err != nil {
		return os.NewSyscallError("getsockopt SO_GET_FILTER", err)
	}
	s.ownerFilter = prog[:n]
	return nil
}

// errKeepFilter: the adopted socket has a filter that could not be put
// back after a drop-all one replaced it.
var errKeepFilter = errors.New("platform: the adopted socket has an eBPF socket filter, which cannot be read back: leaving it, and the intake open")

// getsockoptRaw is getsockopt(fd, SOL_SOCKET, opt, p, &n), for options
// x/sys/unix has no typed getter for. n is in and out; for SO_GET_FILTER
// it counts struct sock_filter entries, not bytes.
func getsockoptRaw(fd, opt int, p unsafe.Pointer, n *uint32) error {
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, uintptr(opt),
		uintptr(p), uintptr(unsafe.Pointer(n)), 0)
	if e != 0 {
		return e
	}
	return nil
}

// restore puts back on fd what saveAdopted and saveFilter recorded, the
// filter last: until it is gone nothing new is queued, so nothing is
// queued under options the owner did not ask for (a GRO-coalesced read,
// say). Every step is tried; the errors are joined.
func (s *adoptState) restore(fd int) error {
	var errs []error
	set := func(name string, level, opt, v int) {
		if err := unix.SetsockoptInt(fd, level, opt, v); err != nil {
			errs = append(errs, os.NewSyscallError("setsockopt "+name, err))
		}
	}
	if s.gro >= 0 {
		set("UDP_GRO", unix.SOL_UDP, unix.UDP_GRO, s.gro)
	}
	if s.pktinfo >= 0 {
		set("IP_PKTINFO", unix.IPPROTO_IP, unix.IP_PKTINFO, s.pktinfo)
	}
	if s.pktinfo6 >= 0 {
		set("IPV6_RECVPKTINFO", unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, s.pktinfo6)
	}
	if s.stamps {
		set("SO_TIMESTAMPNS", unix.SOL_SOCKET, unix.SO_TIMESTAMPNS_NEW, 0)
		for i, o := range timestampOpts {
			if s.stampOpts[i] != 0 {
				set("SO_TIMESTAMP*", unix.SOL_SOCKET, o, 1)
			}
		}
	}
	if s.rcvbuf > 0 {
		// The kernel stores twice what is asked (rcvbufScale); ask for
		// half of what was read back. SO_RCVBUFFORCE first: the owner
		// may have been granted more than net.core.rmem_max.
		half := s.rcvbuf / rcvbufScale
		if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, half) != nil {
			set("SO_RCVBUF", unix.SOL_SOCKET, unix.SO_RCVBUF, half)
		}
	}
	if !s.nonblock {
		if err := unix.SetNonblock(fd, false); err != nil {
			errs = append(errs, os.NewSyscallError("fcntl O_NONBLOCK", err))
		}
	}
	if s.filterAttached {
		var err error
		if len(s.ownerFilter) > 0 {
			prog := unix.SockFprog{Len: uint16(len(s.ownerFilter)), Filter: &s.ownerFilter[0]}
			err = os.NewSyscallError("setsockopt SO_ATTACH_FILTER", unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog))
		} else {
			err = os.NewSyscallError("setsockopt SO_DETACH_FILTER", unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DETACH_FILTER, 0))
		}
		if err != nil {
			errs = append(errs, err)
		}
		s.filterAttached = false
	}
	return errors.Join(errs...)
}
