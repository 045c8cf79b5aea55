package peers

import "github.com/udprx/udprx/engine"

// sockperf's message header, as its client and server put it at the start
// of every UDP payload (sockperf 3.x, src/message.h, class MsgHeader,
// packed): a 64-bit sequence number, 16 bits of flags and a 32-bit length,
// in network byte order, 14 bytes in all. A client sets flagClient on
// everything it sends, and flagPong on the messages it wants answered
// (every one in ping-pong, one in --reply-every, 100 by default, in
// under-load). sockperf's server answers exactly those, with the same
// bytes but flagClient cleared; its client ignores a message that still
// has flagClient set, so a plain echo is never heard.
const (
	sockperfHeaderSize = 14
	sockperfFlagsLo    = 9 // the low byte of the big-endian flags
	sockperfFlagClient = 1
	sockperfFlagPong   = 2
)

// newUdprxSockperf is the engine answering as sockperf's own server does
// (see sockperfHeaderSize), so that sockperf's ping-pong and under-load
// clients can measure it: each pong request is copied into the send slot
// Writer.Buffer gives (no allocation), its client flag cleared, and sent
// back with Writer.Reply.
func newUdprxSockperf(cfg RecvConfig) (Receiver, error) {
	cfg.Track = false
	return newUdprxWith(cfg, false, func(r *udprxReceiver) engine.HandlerFunc { return r.sockperfEcho })
}

// sockperfEcho is the handler of newUdprxSockperf.
func (r *udprxReceiver) sockperfEcho(w *engine.Writer, b engine.Batch) {
	r.mark(w, b)
	for _, d := range b.All() {
		p := d.Payload
		if len(p) < sockperfHeaderSize || p[sockperfFlagsLo]&sockperfFlagPong == 0 {
			continue
		}
		out := append(w.Buffer(), p...)
		out[sockperfFlagsLo] &^= sockperfFlagClient
		w.Reply(d, out)
	}
}
