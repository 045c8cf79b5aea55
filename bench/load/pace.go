package load

import "time"

// pacer is one flow's send schedule: datagram k of the flow is due k/perSec
// seconds after start. Basing it on the time since the start, not on the
// time since the last send, makes the count over any stretch right however
// late each sleep wakes: lateness only makes the next calls bigger.
type pacer struct {
	start  time.Time
	perSec float64 // datagrams per second; 0 = unpaced
	batch  int     // most datagrams per call
	group  int     // datagrams to wait for before a paced call, 1..batch
}

// groupRate is the send-call rate a paced flow aims for at low rates: it
// sends in groups of perSec/groupRate datagrams, so bursts stay about a
// millisecond long while calls (and wake-ups) stay few enough that 10k/s
// costs almost no CPU.
const groupRate = 1000

// newPacer returns the schedule of a flow sending perSec datagrams per
// second (0: as fast as possible) from start, in calls of up to batch.
func newPacer(start time.Time, perSec float64, batch int) pacer {
	group := 1
	if g := perSec / groupRate; g > 1 {
		group = int(min(g, float64(batch)))
	}
	return pacer{start: start, perSec: perSec, batch: batch, group: group}
}

// next returns how many datagrams to send at now, given that sent have been
// sent and remaining may still be (remaining > 0): either n > 0, or n == 0
// and how long to wait until the next group is due.
func (p *pacer) next(now time.Time, sent, remaining uint64) (n int, wait time.Duration) {
	limit := min(uint64(p.batch), remaining)
	if p.perSec == 0 {
		return int(limit), 0
	}
	elapsed := now.Sub(p.start).Seconds()
	// Datagrams 0..due-1 are due: datagram k at k/perSec. The 1e-6 keeps
	// a datagram due exactly now from being missed by rounding (0.0012 s ×
	// 10000/s is 11.999999999999998 in floating point).
	due := uint64(elapsed*p.perSec+1e-6) + 1
	group := min(uint64(p.group), remaining)
	if due >= sent+group {
		return int(min(due-sent, limit)), 0
	}
	// Wait until datagram sent+group-1, the last of the next group, is due.
	at := float64(sent+group-1) / p.perSec
	wait = time.Duration((at - elapsed) * float64(time.Second))
	return 0, max(wait, time.Microsecond)
}
