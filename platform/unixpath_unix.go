//go:build unix && !aix

package platform

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Unix datagram sockets at a path, started safely (docs/kernel.md, "Unix datagram
// sockets and stale files").
//
// A socket file outlives its socket: a process killed by SIGKILL leaves it,
// and so does package net's UnixConn.Close; bind then fails with
// EADDRINUSE. Unlinking whatever is at the path (as gnet does) steals it
// from a live instance, which then receives nothing, silently, forever. So
// listenUnixgram, for a path:
//
//  1. takes an exclusive, non-blocking flock(2) on PATH.lock (created 0600)
//     and holds it for the socket's life, so two cooperating starters never
//     race through the steps below: the second is told another process is
//     starting or serving on PATH;
//  2. lstat(2)s PATH: absent, bind; a socket, step 3; anything else (a
//     regular file, directory, FIFO, device, or symbolic link, even one to a
//     socket) is refused with ErrNotSocket and left untouched;
//  3. connects a throwaway unixgram socket to it: success means a process
//     is serving it, refused with ErrAddrInUse and left alone; ECONNREFUSED
//     means no socket is bound to that file: it is stale, and is unlinked
//     (if it is still the file that was probed) and bound afresh;
//  4. binds, chmods the file to Options.UnixMode, and records its device
//     and inode, so Close removes it only if it is still the file bound.
//
// wireguard-go's UAPIOpen handles the same case (listen; on EADDRINUSE dial;
// remove only if nobody answers). The lock adds what two instances starting
// at the same moment need, and lstat what a path that was never a socket
// needs: connect(2) returns ECONNREFUSED for a regular file or FIFO too.
//
// Processes that do not take PATH.lock are not excluded by it; each step
// still refuses rather than removes what it did not check, so the worst
// they can cause is a failed start.

// unixDefaultMode is the socket file's mode when Options.UnixMode is 0.
const unixDefaultMode = 0o660

// listenUnixgram is Listen for network "unixgram". address is a file
// system path, or on Linux an abstract name "@name" (sun_path[0] = 0: no
// file, no lock, never stale, one namespace per network namespace; a
// second bind fails with an error wrapping ErrAddrInUse and EADDRINUSE).
//
// The socket file gets Options.UnixMode (0660 if 0). Where the kernel
// takes the mode of the file bind creates from the socket (Linux:
// net/unix/af_unix.c unix_bind uses the socket inode's mode, less the
// umask), the mode is set on the socket first, so the file never allows
// more than asked for; the chmod after bind then adds back what the umask
// took. Elsewhere (the BSDs refuse fchmod on a socket) the file is created
// with the umask's mode and has UnixMode only once chmod returns: the
// directory, not the file mode, should be what keeps other users out.
// The process's umask is never changed (it is shared by every thread).
//
// Datagram.Src is the zero AddrPort for every unix sender, bound or not:
// a unix address does not fit a netip.AddrPort, and an unbound sender has
// none. The empty-datagram shutdown rule of UDP does not apply (an unbound
// sender's empty datagram is real); a read shutdown shows as HangUp.
//
// On Linux a unix datagram socket queues at most net.unix.max_dgram_qlen
// datagrams (default 10; the sender's SO_SNDBUF bounds the bytes), whatever
// RecvBuffer says; a sender to a full queue blocks or gets EAGAIN, so
// nothing is dropped unseen, but a slow receiver slows its senders.
func listenUnixgram(address string, opts Options) (Receiver, error) {
	if opts.ReusePort {
		return nil, fmt.Errorf("platform: unixgram %q: ReusePort does not apply to unix sockets", address)
	}
	if opts.UnixMode&^os.ModePerm != 0 {
		return nil, fmt.Errorf("platform: unixgram %q: UnixMode %v: only permission bits (0777) may be set", address, opts.UnixMode)
	}
	mode := opts.UnixMode
	if mode == 0 {
		mode = unixDefaultMode
	}
	abstract, err := parseUnixAddress(address, abstractUnixNames)
	if err != nil {
		return nil, err
	}
	var (
		fd      int
		b       *unixBinding
		info    Info
		release func() error
	)
	if abstract {
		fd, err = bindAbstract(address)
	} else {
		b, err = lockUnixPath(address)
		if err == nil {
			if fd, err = b.bind(mode); err != nil {
				b.release()
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if b != nil {
		info.Path, release = b.path, b.release
		info.pathID = b.sockID
	}
	r, err := newReceiver(fd, &net.UnixAddr{Name: address, Net: "unixgram"}, false, opts, info, release)
	if err != nil {
		if b != nil {
			b.release()
		}
		return nil, fmt.Errorf("platform: unixgram %q: %w", address, err)
	}
	return r, nil
}

// parseUnixAddress checks a "unixgram" address and reports whether it is
// an abstract name. It must not be empty or hold a NUL, must fit sun_path
// with its terminating NUL (107 bytes on Linux, 103 on the BSDs: what
// x/sys/unix accepts), and may be "@name" only where the system has an
// abstract namespace (abstractOK; elsewhere it would silently name a file
// "@name" in the working directory). Pure, so every case is tested on
// Linux.
func parseUnixAddress(address string, abstractOK bool) (abstract bool, err error) {
	maxLen := len(unix.RawSockaddrUnix{}.Path) - 1
	switch {
	case address == "":
		return false, errors.New(`platform: unixgram: empty address: want a path (or on Linux "@name")`)
	case strings.IndexByte(address, 0) >= 0:
		return false, fmt.Errorf("platform: unixgram %q: address contains a NUL byte", address)
	case len(address) > maxLen:
		return false, fmt.Errorf("platform: unixgram %q: %d bytes, longer than a unix socket address holds (%d)", address, len(address), maxLen)
	case address[0] != '@':
		return false, nil
	case !abstractOK:
		return false, fmt.Errorf("platform: unixgram %q: abstract socket names (@name) exist only on Linux: %w", address, errors.ErrUnsupported)
	case len(address) == 1:
		return false, fmt.Errorf("platform: unixgram %q: empty abstract name", address)
	}
	return true, nil
}

// unixgramSocket opens a non-blocking, close-on-exec AF_UNIX datagram
// socket. Close-on-exec is set under syscall.ForkLock, as package net does
// where socket(2) takes no SOCK_CLOEXEC (darwin), so a fork+exec in
// between cannot leak it into a child: one way for every unix system.
func unixgramSocket() (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("fcntl O_NONBLOCK", err)
	}
	return fd, nil
}

// bindAbstract binds a new socket to the abstract name "@name". x/sys/unix
// turns the leading @ into the NUL that marks the abstract namespace.
func bindAbstract(name string) (int, error) {
	fd, err := unixgramSocket()
	if err != nil {
		return -1, fmt.Errorf("platform: unixgram %q: %w", name, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: name}); err != nil {
		unix.Close(fd)
		serr := os.NewSyscallError("bind", err)
		if err == unix.EADDRINUSE {
			return -1, fmt.Errorf("platform: unixgram %q: another socket is bound to the abstract name: %w: %w", name, ErrAddrInUse, serr)
		}
		return -1, fmt.Errorf("platform: unixgram %q: %w", name, serr)
	}
	return fd, nil
}

// unixBinding is a socket path a Listen holds: the lock, and once bound,
// the identity of the socket file it created.
type unixBinding struct {
	name     string // the path as given: what bind and connect are given
	path     string // absolute: for lstat, unlink and chmod, whatever the working directory is later
	lockPath string // path + ".lock"
	lockFD   int
	lockID   fileID
	sockID   fileID
	bound    bool // sockID is set: the socket file is ours to remove
	released bool
}

// lockUnixPath takes the exclusive lock on PATH.lock, creating the file
// (mode 0600) if needed, and returns the binding that holds it. If another
// process holds it the error wraps ErrAddrInUse.
//
// The lock file is opened with O_NOFOLLOW (a symbolic link planted there
// must not make Listen create or lock a file elsewhere) and O_NONBLOCK (a
// FIFO there must not block the open), and must be a regular file. Since a
// holder removes the file as it stops (release), a process that opened the
// file just before could lock a file no longer at the path; so the lock
// counts only once the path still names the locked file, and otherwise the
// new file is tried.
func lockUnixPath(name string) (*unixBinding, error) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return nil, fmt.Errorf("platform: unixgram %q: %w", name, err)
	}
	b := &unixBinding{name: name, path: abs, lockPath: abs + ".lock", lockFD: -1}
	for range 8 {
		fd, err := unix.Open(b.lockPath, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0o600)
		if err != nil {
			return nil, fmt.Errorf("platform: unixgram %q: lock file: %w", name, &os.PathError{Op: "open", Path: b.lockPath, Err: err})
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("platform: unixgram %q: lock file: %w", name, &os.PathError{Op: "fstat", Path: b.lockPath, Err: err})
		}
		if uint32(st.Mode)&unix.S_IFMT != unix.S_IFREG {
			unix.Close(fd)
			return nil, fmt.Errorf("platform: unixgram %q: lock file %s is %s, not a regular file", name, b.lockPath, fileKind(uint32(st.Mode)))
		}
		if err := flockExclusive(fd); err != nil {
			unix.Close(fd)
			if err == unix.EWOULDBLOCK {
				return nil, fmt.Errorf("platform: unixgram %q: another process is starting or serving on it (it holds %s): %w", name, b.lockPath, ErrAddrInUse)
			}
			return nil, fmt.Errorf("platform: unixgram %q: lock file %s: %w", name, b.lockPath, os.NewSyscallError("flock", err))
		}
		var now unix.Stat_t
		if unix.Lstat(b.lockPath, &now) == nil && fileIDOf(&now) == fileIDOf(&st) {
			b.lockFD, b.lockID = fd, fileIDOf(&st)
			return b, nil
		}
		unix.Close(fd) // its holder removed it on the way out: try the new one
	}
	return nil, fmt.Errorf("platform: unixgram %q: lock file %s keeps being replaced: %w", name, b.lockPath, ErrAddrInUse)
}

// flockExclusive takes an exclusive flock without waiting, retrying EINTR.
// EWOULDBLOCK (EAGAIN) means another open file holds it; flock(2) locks
// belong to the open file, so a second Listen in the same process is
// refused too.
func flockExclusive(fd int) error {
	for {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err != unix.EINTR {
			return err
		}
	}
}

// bind clears the path (clearStale), binds a new socket to it, records the
// file's identity and chmods it to mode. It returns the socket.
func (b *unixBinding) bind(mode os.FileMode) (int, error) {
	if err := b.clearStale(); err != nil {
		return -1, err
	}
	fd, err := unixgramSocket()
	if err != nil {
		return -1, fmt.Errorf("platform: unixgram %q: %w", b.name, err)
	}
	// Linux creates the file with this mode less the umask (see
	// listenUnixgram); the BSDs refuse fchmod on a socket with EINVAL,
	// which changes nothing, so the error is ignored.
	unix.Fchmod(fd, uint32(mode))
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: b.name}); err != nil {
		unix.Close(fd)
		serr := os.NewSyscallError("bind", err)
		if err == unix.EADDRINUSE {
			return -1, fmt.Errorf("platform: unixgram %q: bound by another process as it was cleared (one that does not take %s): %w: %w", b.name, b.lockPath, ErrAddrInUse, serr)
		}
		return -1, fmt.Errorf("platform: unixgram %q: %w", b.name, serr)
	}
	var st unix.Stat_t
	if err := unix.Lstat(b.path, &st); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("platform: unixgram %q: the socket file bound: %w", b.name, &os.PathError{Op: "lstat", Path: b.path, Err: err})
	}
	if uint32(st.Mode)&unix.S_IFMT != unix.S_IFSOCK {
		unix.Close(fd)
		return -1, fmt.Errorf("platform: unixgram %q: replaced by %s as it was bound: %w", b.name, fileKind(uint32(st.Mode)), ErrNotSocket)
	}
	b.sockID, b.bound = fileIDOf(&st), true
	if err := unix.Chmod(b.path, uint32(mode)); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("platform: unixgram %q: %w", b.name, &os.PathError{Op: "chmod", Path: b.path, Err: err})
	}
	return fd, nil
}

// clearStale makes the path free to bind, or says why it will not: see
// steps 2 and 3 at the top of this file.
func (b *unixBinding) clearStale() error {
	var st unix.Stat_t
	switch err := unix.Lstat(b.path, &st); err {
	case nil:
	case unix.ENOENT:
		return nil
	default:
		return fmt.Errorf("platform: unixgram %q: %w", b.name, &os.PathError{Op: "lstat", Path: b.path, Err: err})
	}
	if kind := uint32(st.Mode) & unix.S_IFMT; kind != unix.S_IFSOCK {
		return fmt.Errorf("platform: unixgram %q: %s is in the way, left untouched: %w", b.name, fileKind(kind), ErrNotSocket)
	}
	switch err := probeUnixgram(b.name); err {
	case nil:
		return fmt.Errorf("platform: unixgram %q: another process is serving on it, left alone: %w", b.name, ErrAddrInUse)
	case unix.EPROTOTYPE:
		return fmt.Errorf("platform: unixgram %q: another process is serving on it with a stream or seqpacket socket, left alone: %w", b.name, ErrAddrInUse)
	case unix.ENOENT:
		return nil // removed since the lstat
	case unix.ECONNREFUSED:
		// Nobody is bound to it: stale.
	default:
		return fmt.Errorf("platform: unixgram %q: cannot tell whether another process is serving on it: %w", b.name, os.NewSyscallError("connect", err))
	}
	var now unix.Stat_t
	switch err := unix.Lstat(b.path, &now); {
	case err == unix.ENOENT:
		return nil
	case err != nil || fileIDOf(&now) != fileIDOf(&st):
		return fmt.Errorf("platform: unixgram %q: replaced while it was probed (by a process that does not take %s): %w", b.name, b.lockPath, ErrAddrInUse)
	}
	if err := unix.Unlink(b.path); err != nil && err != unix.ENOENT {
		return fmt.Errorf("platform: unixgram %q: removing the stale socket: %w", b.name, &os.PathError{Op: "unlink", Path: b.path, Err: err})
	}
	return nil
}

// CheckPath reports whether the unix socket file a Listen bound
// (info.Path) still leads to its socket: nil when it does, when info has
// no Path (UDP, abstract names, adopted sockets), or when it cannot tell
// (lstat fails other than with ENOENT: a directory made unreadable, say);
// an error wrapping ErrPathLost and naming the path when the file was
// removed (senders get ENOENT) or another file is there now. It is one
// lstat(2), compared by device and inode with the file as bound; a loop
// that finds the path lost must close the socket and Listen again, which
// re-creates it under the rules of a start (see listenUnixgram).
func CheckPath(info Info) error {
	if info.Path == "" || info.pathID == (fileID{}) {
		return nil
	}
	var st unix.Stat_t
	switch err := unix.Lstat(info.Path, &st); {
	case err == unix.ENOENT:
		return fmt.Errorf("platform: unixgram %q: removed from outside: %w", info.Path, ErrPathLost)
	case err != nil:
		return nil
	case fileIDOf(&st) != info.pathID:
		return fmt.Errorf("platform: unixgram %q: replaced from outside by %s: %w", info.Path, fileKind(uint32(st.Mode)), ErrPathLost)
	}
	return nil
}

// probeUnixgram connects a throwaway unixgram socket to path and returns
// connect's errno: nil when a unix datagram socket is bound to the file,
// ECONNREFUSED when none is (a stale socket file; also what a regular file
// or FIFO gives, which is why clearStale lstats first), EPROTOTYPE when a
// stream or seqpacket socket is. Connecting sends nothing: the socket
// probed sees nothing of it.
func probeUnixgram(path string) error {
	fd, err := unixgramSocket()
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for {
		err := unix.Connect(fd, &unix.SockaddrUnix{Name: path})
		if err != unix.EINTR {
			if err == nil {
				return nil
			}
			return err
		}
	}
}

// release removes the socket file if it is still the one bound (Close may
// come long after, when the path may have been unlinked and bound again by
// someone else: that file is not ours to remove), then PATH.lock, then
// releases the lock by closing it. The socket file goes first, while the
// lock still keeps cooperating starters out. It runs once; later calls
// return nil.
func (b *unixBinding) release() error {
	if b.released {
		return nil
	}
	b.released = true
	var errs []error
	if b.bound {
		errs = append(errs, removeIfSame(b.path, b.sockID))
	}
	if b.lockFD >= 0 {
		errs = append(errs, removeIfSame(b.lockPath, b.lockID))
		unix.Close(b.lockFD)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("platform: unixgram %q: cleaning up: %w", b.name, err)
	}
	return nil
}

// removeIfSame unlinks path if it is still the file id. Between the lstat
// and the unlink only a process ignoring the lock could swap it.
func removeIfSame(path string, id fileID) error {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		if err == unix.ENOENT {
			return nil
		}
		return &os.PathError{Op: "lstat", Path: path, Err: err}
	}
	if fileIDOf(&st) != id {
		return nil
	}
	if err := unix.Unlink(path); err != nil && err != unix.ENOENT {
		return &os.PathError{Op: "unlink", Path: path, Err: err}
	}
	return nil
}

// fileKind names a file type (st_mode & S_IFMT) for an error message.
func fileKind(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return "a regular file"
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFLNK:
		return "a symbolic link"
	case unix.S_IFIFO:
		return "a FIFO"
	case unix.S_IFCHR:
		return "a character device"
	case unix.S_IFBLK:
		return "a block device"
	case unix.S_IFSOCK:
		return "a socket"
	}
	return fmt.Sprintf("a file of type %#o", mode&unix.S_IFMT)
}
