//go:build unix

package platform

import "golang.org/x/sys/unix"

// One way to tell whether a descriptor or a path still leads to the file
// this package opened or bound: its fileID (platform.go). The native
// pollers check their socket, and on Linux their epoll and eventfd
// descriptors, with stillOurs; the unixgram path code checks the socket
// file and PATH.lock with fileIDOf on what lstat(2) reports.

// idleCheckMillis is how long a native poller waits before it checks that
// its descriptor still refers to the socket it opened. A socket closed by
// another thread (or dup2'd over from outside) is dropped from epoll and
// kqueue without a word, so without the check a loop would sleep on it
// forever. One fstat per idle second costs nothing measurable.
const idleCheckMillis = 1000

// fileIDOf is the identity of the file st describes.
func fileIDOf(st *unix.Stat_t) fileID {
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}
}

// identify returns the identity of the file descriptor fd refers to.
func identify(fd int) (fileID, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fileID{}, err
	}
	return fileIDOf(&st), nil
}

// stillOurs reports whether fd still refers to the file identified by id.
func stillOurs(fd int, id fileID) bool {
	now, err := identify(fd)
	return err == nil && now == id
}
