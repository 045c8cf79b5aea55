//go:build linux || darwin || freebsd

package platform

import "golang.org/x/sys/unix"

// idleCheckMillis is how long a native poller waits before it checks that
// its descriptor still refers to the socket it opened. A socket closed by
// another thread (or dup2'd over from outside) is dropped from epoll and
// kqueue without a word, so without the check a loop would sleep on it
// forever. One fstat per idle second costs nothing measurable.
const idleCheckMillis = 1000

// fdIdentity is what tells one open file from another that reuses its
// descriptor number: the device and inode fstat(2) reports.
type fdIdentity struct {
	dev uint64
	ino uint64
}

func identify(fd int) (fdIdentity, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fdIdentity{}, err
	}
	return fdIdentity{dev: uint64(st.Dev), ino: uint64(st.Ino)}, nil
}

// stillOurs reports whether fd still refers to the file identified by id.
func stillOurs(fd int, id fdIdentity) bool {
	now, err := identify(fd)
	return err == nil && now == id
}
