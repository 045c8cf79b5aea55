package bench

import "context"

// stdlibReceiver is the loop most Go servers have: one goroutine per
// socket calling ReadFromUDPAddrPort, one datagram per system call. It
// allocates nothing per datagram. With Loops > 1 it binds that many
// SO_REUSEPORT sockets.
type stdlibReceiver struct {
	*connGroup
	bufSize int
}

func newStdlibReceiver(cfg RecvConfig) (Receiver, error) {
	g, err := listenGroup("stdlib", cfg)
	if err != nil {
		return nil, err
	}
	r := &stdlibReceiver{connGroup: g, bufSize: cfg.BufSize}
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
		n, _, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			if r.readError(err) {
				return
			}
			continue
		}
		r.count(1, uint64(n))
	}
}
