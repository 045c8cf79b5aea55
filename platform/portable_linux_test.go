package platform

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// TestPortableShutdownLinux: on Linux a UDP socket shut down for reading
// (here by its own process; docs/kernel.md: another process can do it too) makes
// a non-blocking recvmsg return EAGAIN, and the Go runtime's edge-triggered
// poller is woken once, so package net never sees the shutdown: the
// portable backend must go on waiting quietly (parked in the poller, not
// spinning), deliver the datagrams Linux still accepts, and still wake.
// (Where a read shutdown makes recvmsg return 0, as on FreeBSD, the backend
// reports HangUp and ErrReadShutdown instead.)
func TestPortableShutdownLinux(t *testing.T) {
	r := ptListen(t, "udp4", "127.0.0.1:0", Options{})
	c := ptDial(t, r, "127.0.0.1")
	b := ptBatch(t, 4, 2048)
	ptReadNone(t, r, b)

	rc, err := r.(*portableReceiver).conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.Shutdown(int(fd), unix.SHUT_RD) }); err != nil {
		t.Fatal(err)
	}
	// Linux returns ENOTCONN for an unconnected UDP socket but applies the
	// shutdown all the same.
	if serr != nil && !errors.Is(serr, unix.ENOTCONN) {
		t.Fatalf("shutdown: %v", serr)
	}

	ptSend(t, c, []byte("after shutdown"))
	ptWait(t, r, Readable)
	ptReadOne(t, r, b, []byte("after shutdown"), ptSrc(c), 0)

	// Parked in the poller, not spinning on phantom empty reads; and
	// still woken.
	if ev := ptWakeBlocked(t, r); ev.Events != Woken {
		t.Fatalf("Wait = %v, want woken", ev.Events)
	}
}
