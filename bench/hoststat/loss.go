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
	// KernelDrops is the datagrams the receiving socket's own drop
	// counter stands for (the kernel's sk_drops: a full receive buffer,
	// mostly), capped at Offered − Received. On a socket with UDP GRO the
	// kernel counts a dropped coalesced read once, however many datagrams
	// it held: each counted drop then stands for up to the sender's
	// segments per super-packet (see AttributeLoss), and KernelDropUnits
	// has the count as the kernel gave it.
	KernelDrops uint64 `json:"kernel_drops"`
	// KernelDropUnits is the socket's drop counter as read: datagrams,
	// or with GRO, coalesced reads.
	KernelDropUnits uint64 `json:"kernel_drop_units"`
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
// socket's measured drops and the rest. perDrop is how many datagrams one
// counted drop may stand for: 1, or on a socket with UDP GRO fed by a GSO
// sender, the sender's segments per super-packet, since the kernel counts
// a dropped coalesced read once. The kernel's share is then exact in
// reads but a bound in datagrams: the shortfall up to socketDrops ×
// perDrop is the kernel's, which is right when, as for the engine, the
// receiver itself loses nothing it read.
func AttributeLoss(offered, received, socketDrops, perDrop uint64) Loss {
	l := Loss{Offered: offered, Received: received, KernelDropUnits: socketDrops}
	if received >= offered {
		l.Unexpected = received - offered
		return l
	}
	lost := offered - received
	l.KernelDrops = min(socketDrops*max(perDrop, 1), lost)
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
