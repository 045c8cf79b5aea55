package peers

import "context"

// stdlibReceiver is the loop most Go servers have: one goroutine per
// socket calling ReadFromUDPAddrPort, one datagram per system call. It
// allocates nothing per datagram. With Loops > 1 it binds that many
// SO_REUSEPORT sockets.
//
// As an echo server (newStdlibEcho) it answers each datagram at once with
// WriteToUDPAddrPort, one system call per reply, as such a server does.
type stdlibReceiver struct {
	*connGroup
	bufSize int
	echo    bool
}

func newStdlibReceiver(cfg RecvConfig) (Receiver, error) { return newStdlib(cfg, false) }

func newStdlibEcho(cfg RecvConfig) (Receiver, error) { return newStdlib(cfg, true) }

func newStdlib(cfg RecvConfig, echo bool) (Receiver, error) {
	g, err := listenGroup("stdlib", cfg)
	if err != nil {
		return nil, err
	}
	r := &stdlibReceiver{connGroup: g, bufSize: cfg.BufSize, echo: echo}
	if r.bufSize <= 0 {
		r.bufSize = 2048
	}
	return r, nil
}

// Run reads until ctx is done or Stop is called.
func (r *stdlibReceiver) Run(ctx context.Context) error { return r.run(ctx, r.read) }

// read is socket i's loop: it returns when the socket is closed; any other
// error is counted and the loop reads on, as a simple server would.
func (r *stdlibReceiver) read(i int) {
	c := r.conns[i]
	buf := make([]byte, r.bufSize)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			if r.readError(err) {
				return
			}
			continue
		}
		r.count(1, uint64(n))
		if r.echo {
			failed := 0
			if _, err := c.WriteToUDPAddrPort(buf[:n], from); err != nil {
				failed = 1
			}
			r.replied(1, failed)
		}
	}
}
