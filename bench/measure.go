package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Measuring a trial: where a datagram was lost, and what the receiver cost.
//
// The platform seam (measure_linux.go, measure_other.go; cputime_unix.go,
// cputime_windows.go, cputime_other.go):
//
//	func readSocketStats(port uint16) (socketStats, error) // the receiver's sockets
//	func readUDPCounters() (UDPCounters, error)            // the host's UDP counters
//	func machineKernel() (kernel, cpuModel string)
//	func processCPU() (time.Duration, error)                // user + system time so far

// errNoProcfs is returned where the kernel's per-socket and UDP counters
// cannot be read (any system but Linux).
var errNoProcfs = fmt.Errorf("bench: kernel UDP counters: %w", errors.ErrUnsupported)

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

// attributeLoss splits the shortfall offered − received between the
// socket's measured drops and the rest.
func attributeLoss(offered, received, socketDrops uint64) Loss {
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

// socketStats sums the kernel's view of every socket bound to one local
// UDP port (several with SO_REUSEPORT).
type socketStats struct {
	sockets int
	drops   uint64 // sk_drops: datagrams dropped at the sockets
	rxQueue uint64 // bytes queued (skb truesize, not payload)
}

// parseProcNetUDP sums the sockets of /proc/net/udp or /proc/net/udp6 (the
// same layout) whose local port is port. The layout
// (udp4_format_sock in net/ipv4/udp.c, udp6_seq_show via
// __ip6_dgram_sock_seq_show in net/ipv6/datagram.c) is a header line, then
// one line per socket:
//
//	sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
//	 7: 0100007F:A4F1 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242 2 0000000000000000 0
//
// with the address in hex (the port big-endian), tx_queue:rx_queue in hex,
// and drops last, in decimal.
func parseProcNetUDP(data []byte, port uint16) (socketStats, error) {
	var st socketStats
	sc := bufio.NewScanner(bytes.NewReader(data))
	first := true
	for sc.Scan() {
		if first { // the header
			first = false
			continue
		}
		f := bytes.Fields(sc.Bytes())
		if len(f) < 13 {
			continue
		}
		_, p, ok := bytes.Cut(f[1], []byte(":"))
		if !ok {
			return st, fmt.Errorf("bench: /proc/net/udp: local address %q", f[1])
		}
		lport, err := strconv.ParseUint(string(p), 16, 16)
		if err != nil {
			return st, fmt.Errorf("bench: /proc/net/udp: local port %q", p)
		}
		if uint16(lport) != port {
			continue
		}
		_, rxq, _ := bytes.Cut(f[4], []byte(":"))
		q, err := strconv.ParseUint(string(rxq), 16, 64)
		if err != nil {
			return st, fmt.Errorf("bench: /proc/net/udp: rx_queue %q", f[4])
		}
		d, err := strconv.ParseUint(string(f[len(f)-1]), 10, 64)
		if err != nil {
			return st, fmt.Errorf("bench: /proc/net/udp: drops %q", f[len(f)-1])
		}
		st.sockets++
		st.drops += d
		st.rxQueue += q
	}
	return st, sc.Err()
}

// UDPCounters are host-wide UDP counters: /proc/net/snmp's Udp (IPv4) plus
// /proc/net/snmp6's Udp6 (IPv6), of this network namespace. They count
// every socket, so a difference over a trial is the trial's only if nothing
// else receives UDP meanwhile: a cross-check, not the attribution.
type UDPCounters struct {
	InDatagrams  uint64 `json:"in_datagrams"`
	InErrors     uint64 `json:"in_errors"`
	RcvbufErrors uint64 `json:"rcvbuf_errors"`
}

// sub returns c − o field by field, 0 where a counter went backwards.
func (c UDPCounters) sub(o UDPCounters) UDPCounters {
	d := func(a, b uint64) uint64 {
		if a < b {
			return 0
		}
		return a - b
	}
	return UDPCounters{
		InDatagrams:  d(c.InDatagrams, o.InDatagrams),
		InErrors:     d(c.InErrors, o.InErrors),
		RcvbufErrors: d(c.RcvbufErrors, o.RcvbufErrors),
	}
}

// parseSNMP reads the Udp counters of /proc/net/snmp: a line of names and
// a line of values, both starting "Udp:" (snmp_seq_show_tcp_udp in
// net/ipv4/proc.c):
//
//	Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
//	Udp: 1234 5 0 1200 0 0 0 0 0
func parseSNMP(data []byte) (UDPCounters, error) {
	var names [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("Udp:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if names == nil {
			names = f
			continue
		}
		if len(f) != len(names) {
			return UDPCounters{}, fmt.Errorf("bench: /proc/net/snmp: %d Udp names, %d values", len(names), len(f))
		}
		var c UDPCounters
		for i, n := range names {
			v, err := strconv.ParseUint(string(f[i]), 10, 64)
			if err != nil {
				return UDPCounters{}, fmt.Errorf("bench: /proc/net/snmp: Udp %s %q", n, f[i])
			}
			c.set(string(n), v)
		}
		return c, nil
	}
	if err := sc.Err(); err != nil {
		return UDPCounters{}, err
	}
	return UDPCounters{}, errors.New("bench: /proc/net/snmp: no Udp counters")
}

// parseSNMP6 reads the Udp6 counters of /proc/net/snmp6: one "name value"
// pair a line (snmp6_seq_show in net/ipv6/proc.c), e.g. "Udp6RcvbufErrors
// 0". Missing counters stay zero.
func parseSNMP6(data []byte) (UDPCounters, error) {
	var c UDPCounters
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) != 2 {
			continue
		}
		name, ok := bytes.CutPrefix(f[0], []byte("Udp6"))
		if !ok {
			continue
		}
		v, err := strconv.ParseUint(string(f[1]), 10, 64)
		if err != nil {
			return UDPCounters{}, fmt.Errorf("bench: /proc/net/snmp6: %s %q", f[0], f[1])
		}
		c.set(string(name), v)
	}
	return c, sc.Err()
}

// set stores counter name (without its Udp/Udp6 prefix) if c keeps it.
func (c *UDPCounters) set(name string, v uint64) {
	switch name {
	case "InDatagrams":
		c.InDatagrams = v
	case "InErrors":
		c.InErrors = v
	case "RcvbufErrors":
		c.RcvbufErrors = v
	}
}

// cpuPercent is the CPU time used over wall time, in percent of one core.
func cpuPercent(cpu time.Duration, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return 100 * cpu.Seconds() / wall.Seconds()
}
