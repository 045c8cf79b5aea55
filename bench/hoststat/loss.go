package hoststat

// Loss is how the datagrams a sender's kernel accepted (Offered) ended up:
// received, dropped by the kernel at the receiving socket, or neither.
// Offered + Unexpected == Received + KernelDrops + AppLoss always holds, by
// construction: the kernel figure is measured, the application figure is
// the rest.
type Loss struct {
	// Offered is the number of datagrams the sender's kernel accepted;
	// Received the number the receiver counted.
	Offered  uint64 `json:"offered"`
	Received uint64 `json:"received"`
	// KernelDrops is the receiving socket's own drop counter (the kernel's
	// sk_drops: a full receive buffer, mostly), capped at Offered −
	// Received.
	KernelDrops uint64 `json:"kernel_drops"`
	// AppLoss is Offered − Received − KernelDrops: datagrams accepted from
	// the sender that the receiver neither counted nor saw dropped at its
	// socket. On loopback that is what was still queued when the receiver
	// was stopped, a drop before the socket (the loopback backlog, counted
	// only host-wide in /proc/net/softnet_stat), or the receiver's own
	// loss. Where per-socket drops cannot be read, all loss lands here.
	AppLoss uint64 `json:"app_loss"`
	// Unexpected is what the receiver counted beyond Offered: datagrams
	// from someone else.
	Unexpected uint64 `json:"unexpected"`
}

// AttributeLoss splits the shortfall offered − received between the
// socket's measured drops and the rest.
func AttributeLoss(offered, received, socketDrops uint64) Loss {
	l := Loss{Offered: offered, Received: received}
	if received >= offered {
		l.Unexpected = received - offered
		return l
	}
	lost := offered - received
	l.KernelDrops = min(socketDrops, lost)
	l.AppLoss = lost - l.KernelDrops
	return l
}

// Percent returns n as a percentage of the offered datagrams (0 if none).
func (l Loss) Percent(n uint64) float64 {
	if l.Offered == 0 {
		return 0
	}
	return 100 * float64(n) / float64(l.Offered)
}

// Total returns the datagrams lost: KernelDrops + AppLoss.
func (l Loss) Total() uint64 { return l.KernelDrops + l.AppLoss }
