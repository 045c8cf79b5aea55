package seccomptest

import (
	"encoding/binary"
	"errors"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// FailOnFD makes every call of the system calls nrs whose first argument
// is fd fail with errno, in every thread of the process, for the rest of
// its life (SECCOMP_RET_ERRNO; the call is not made). The process should
// be a child (InChild). Little-endian hosts only: the filter compares the
// low 32 bits of args[0] of struct seccomp_data (include/uapi/linux/seccomp.h:
// int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]).
func FailOnFD(nrs []uintptr, fd int, errno syscall.Errno) error {
	return FailOnArg(nrs, 0, uint32(fd), errno)
}

// FailOnArg is FailOnFD for any argument: the calls of nrs whose argument
// arg (0 to 5) has v in its low 32 bits fail with errno. ppoll(2), whose
// descriptors are behind a pointer, can be picked by its nfds (arg 1).
func FailOnArg(nrs []uintptr, arg int, v uint32, errno syscall.Errno) error {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		return errors.New("seccomptest: big-endian host")
	}
	if arg < 0 || arg > 5 {
		return errors.New("seccomptest: argument 0 to 5")
	}
	if len(nrs) == 0 || len(nrs) > 16 {
		return errors.New("seccomptest: 1 to 16 system calls")
	}
	const (
		offNR   = 0
		offArg0 = 16
	)
	// ld nr; jeq each nr -> match; ret allow; match: ld args[0]; jeq fd -> errno; ret allow; ret errno
	prog := []unix.SockFilter{{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: offNR}}
	for i, nr := range nrs {
		// Jump over the remaining comparisons and the "ret allow" to the match.
		prog = append(prog, unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: uint32(nr), Jt: uint8(len(nrs) - i)})
	}
	prog = append(prog,
		unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
		unix.SockFilter{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: offArg0 + 8*uint32(arg)},
		unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: v, Jf: 1},
		unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(errno)},
		unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	)
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog)))
	if e != 0 {
		return e
	}
	return nil
}
