//go:build unix

package platform

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Socket activation (systemd's sd_listen_fds(3); other service managers
// speak the same protocol): the manager opens the service's sockets itself
// and starts the service with them as descriptors 3, 4, ...
// (SD_LISTEN_FDS_START) and three environment variables:
//
//	LISTEN_PID      the process the descriptors are for: a child that
//	                inherited the environment must not take them
//	LISTEN_FDS      how many descriptors there are
//	LISTEN_FDNAMES  optional: their names, colon-separated
//	                (FileDescriptorName= in the .socket unit)
//
// The sockets are already bound (and, for a path, the manager created and
// will remove the file), so a service hands each to Adopt rather than
// binding its own.

// listenFDsStart is SD_LISTEN_FDS_START, the first passed descriptor.
const listenFDsStart = 3

// ListenFDs returns the descriptors a service manager passed this process,
// in order, each as an *os.File named by LISTEN_FDNAMES, or "unknown" when
// no names were passed (as sd_listen_fds_with_names(3) reports). It
// returns nil, nil when nothing was passed: LISTEN_PID unset or naming
// another process, or LISTEN_FDS unset or 0.
//
// As sd_listen_fds(3) with unset_environment set, it removes the three
// variables from the environment whatever it finds, so child processes do
// not inherit them, and sets close-on-exec on each descriptor, so they do
// not inherit those either; a second call therefore returns nil, nil.
// Malformed variables, a descriptor that is not open, or names that do not
// match the count (sd_listen_fds_with_names returns EINVAL) are errors;
// the descriptors are then left open, close-on-exec where they could be
// set so, and wrapped in no *os.File (whose finalizer would close them).
//
// The caller owns the files. For a datagram socket, Adopt(f.Fd(), opts)
// takes its own duplicate, after which f may be closed.
func ListenFDs() ([]*os.File, error) {
	names, namesSet := os.LookupEnv("LISTEN_FDNAMES")
	n, err := parseListenEnv(os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDS"), os.Getpid())
	os.Unsetenv("LISTEN_PID")
	os.Unsetenv("LISTEN_FDS")
	os.Unsetenv("LISTEN_FDNAMES")
	if err != nil || n == 0 {
		return nil, err
	}
	for fd := listenFDsStart; fd < listenFDsStart+n; fd++ {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err == nil {
			_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFD, flags|unix.FD_CLOEXEC)
		}
		if err != nil {
			return nil, fmt.Errorf("platform: LISTEN_FDS=%d: descriptor %d: %w", n, fd, os.NewSyscallError("fcntl", err))
		}
	}
	fdNames, err := parseListenNames(names, namesSet, n)
	if err != nil {
		return nil, err
	}
	files := make([]*os.File, n)
	for i := range files {
		files[i] = os.NewFile(uintptr(listenFDsStart+i), fdNames[i])
	}
	return files, nil
}

// parseListenEnv reads LISTEN_PID and LISTEN_FDS (see ListenFDs) for the
// process self and returns how many descriptors were passed to it. Pure,
// for the tests.
func parseListenEnv(pid, fds string, self int) (int, error) {
	if pid == "" {
		return 0, nil
	}
	p, err := strconv.Atoi(pid)
	if err != nil || p <= 0 {
		return 0, fmt.Errorf("platform: LISTEN_PID=%q: not a process id", pid)
	}
	if p != self || fds == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(fds)
	if err != nil || n < 0 || n > 1<<16 {
		return 0, fmt.Errorf("platform: LISTEN_FDS=%q: not a descriptor count", fds)
	}
	return n, nil
}

// parseListenNames reads LISTEN_FDNAMES for n descriptors: one name each,
// "unknown" for all when it is not set. Pure, for the tests.
func parseListenNames(names string, set bool, n int) ([]string, error) {
	if !set {
		all := make([]string, n)
		for i := range all {
			all[i] = "unknown"
		}
		return all, nil
	}
	got := strings.Split(names, ":")
	if len(got) != n {
		return nil, fmt.Errorf("platform: LISTEN_FDNAMES=%q names %d descriptors, LISTEN_FDS=%d", names, len(got), n)
	}
	return got, nil
}
