package platform

import (
	"os"

	"golang.org/x/sys/unix"
)

// skfNetOff is SKF_NET_OFF (include/uapi/linux/filter.h): a classic BPF
// load at skfNetOff+k reads byte k of the network (IP) header, wherever
// the filter's packet data starts.
const skfNetOff = -0x100000

// netOff is the load offset k of byte off of the network header: the
// 32-bit two's complement of skfNetOff+off, as struct sock_filter's k.
func netOff(off int32) uint32 { return uint32(skfNetOff + off) }

// reusePortProgram returns a classic BPF program for
// SO_ATTACH_REUSEPORT_CBPF that picks, for each datagram, a socket index
// in [0, n) of its SO_REUSEPORT group: a hash of the IP addresses and the
// UDP ports, so one flow always reaches the same socket, as with the
// kernel's own hash. The kernel (net/core/sock_reuseport.c,
// run_bpf_filter) runs it with the packet data pulled past the UDP header
// and takes its return value as an index into the group's sockets, in the
// order they joined: a socket that joins after the first n is never
// chosen, so a foreign process joining the group receives nothing. An
// index at or past the group's size makes the kernel fall back to its
// hash over every member: only while one of the first n is being
// re-opened.
//
// The hashed words sit at fixed offsets of the network header: for IPv4
// the source (12), destination (16) and, for a header without options,
// the ports (20); for IPv6 the last words of source (20) and destination
// (36) and the ports (40) when no extension header comes first. With IP
// options or extension headers other bytes of the header are hashed: the
// same ones for every datagram of a flow, so it still stays on one socket.
// A load past the packet's end ends the program returning 0: loop 0.
func reusePortProgram(n int) []unix.SockFilter {
	ld := func(off int32) unix.SockFilter { // A = 32-bit word at network header + off
		return unix.SockFilter{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: netOff(off)}
	}
	tax := unix.SockFilter{Code: unix.BPF_MISC | unix.BPF_TAX}
	xorX := unix.SockFilter{Code: unix.BPF_ALU | unix.BPF_XOR | unix.BPF_X}
	rsh := func(k uint32) unix.SockFilter {
		return unix.SockFilter{Code: unix.BPF_ALU | unix.BPF_RSH | unix.BPF_K, K: k}
	}
	return []unix.SockFilter{
		/* 0 */ {Code: unix.BPF_LD | unix.BPF_B | unix.BPF_ABS, K: netOff(0)}, // A = version<<4 | ...
		/* 1 */ rsh(4),
		/* 2 */ {Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: 6, Jt: 8, Jf: 0}, // IPv6: to 11
		/* 3 */ ld(12), tax, ld(16), xorX, tax, ld(20), xorX, // IPv4: src ^ dst ^ ports
		/* 10 */ {Code: unix.BPF_JMP | unix.BPF_JA, K: 7}, // to 18
		/* 11 */ ld(20), tax, ld(36), xorX, tax, ld(40), xorX, // IPv6
		/* 18 */ tax, rsh(16), xorX, // fold the high half (the source port) down
		/* 21 */ tax, rsh(8), xorX,
		/* 24 */ {Code: unix.BPF_ALU | unix.BPF_MOD | unix.BPF_K, K: uint32(n)},
		/* 25 */ {Code: unix.BPF_RET | unix.BPF_A},
	}
}

// setReusePortGroup attaches reusePortProgram(n) to fd's SO_REUSEPORT
// group (Linux 4.5+). It is the group's, not the socket's: attaching it
// from every member, as each socket is opened, keeps it in place when the
// group is re-created, and replaces whatever program a member attached
// before.
func setReusePortGroup(fd, n int) error {
	prog := reusePortProgram(n)
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	return os.NewSyscallError("setsockopt SO_ATTACH_REUSEPORT_CBPF", unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_REUSEPORT_CBPF, &fprog))
}
