package hoststat

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
//	func ReadSocketStats(port uint16) (SocketStats, error) // the receiver's sockets
//	func ReadUDPCounters() (UDPCounters, error)            // the host's UDP counters
//	func MachineKernel() (kernel, cpuModel string)
//	func ProcessCPU() (time.Duration, error)                // user + system time so far

// errNoProcfs is returned where the kernel's per-socket and UDP counters
// cannot be read (any system but Linux).
var errNoProcfs = fmt.Errorf("hoststat: kernel UDP counters: %w", errors.ErrUnsupported)

// SocketStats sums the kernel's view of every socket bound to one local
// UDP port (several with SO_REUSEPORT).
type SocketStats struct {
	Sockets int
	Drops   uint64 // sk_drops: datagrams dropped at the sockets
	RxQueue uint64 // bytes queued (skb truesize, not payload)
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
func parseProcNetUDP(data []byte, port uint16) (SocketStats, error) {
	var st SocketStats
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
			return st, fmt.Errorf("hoststat: /proc/net/udp: local address %q", f[1])
		}
		lport, err := strconv.ParseUint(string(p), 16, 16)
		if err != nil {
			return st, fmt.Errorf("hoststat: /proc/net/udp: local port %q", p)
		}
		if uint16(lport) != port {
			continue
		}
		_, rxq, _ := bytes.Cut(f[4], []byte(":"))
		q, err := strconv.ParseUint(string(rxq), 16, 64)
		if err != nil {
			return st, fmt.Errorf("hoststat: /proc/net/udp: rx_queue %q", f[4])
		}
		d, err := strconv.ParseUint(string(f[len(f)-1]), 10, 64)
		if err != nil {
			return st, fmt.Errorf("hoststat: /proc/net/udp: drops %q", f[len(f)-1])
		}
		st.Sockets++
		st.Drops += d
		st.RxQueue += q
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

// Sub returns c − o field by field, 0 where a counter went backwards.
func (c UDPCounters) Sub(o UDPCounters) UDPCounters {
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
			return UDPCounters{}, fmt.Errorf("hoststat: /proc/net/snmp: %d Udp names, %d values", len(names), len(f))
		}
		var c UDPCounters
		for i, n := range names {
			v, err := strconv.ParseUint(string(f[i]), 10, 64)
			if err != nil {
				return UDPCounters{}, fmt.Errorf("hoststat: /proc/net/snmp: Udp %s %q", n, f[i])
			}
			c.set(string(n), v)
		}
		return c, nil
	}
	if err := sc.Err(); err != nil {
		return UDPCounters{}, err
	}
	return UDPCounters{}, errors.New("hoststat: /proc/net/snmp: no Udp counters")
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
			return UDPCounters{}, fmt.Errorf("hoststat: /proc/net/snmp6: %s %q", f[0], f[1])
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

// CPUPercent is the CPU time used over wall time, in percent of one core.
func CPUPercent(cpu time.Duration, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return 100 * cpu.Seconds() / wall.Seconds()
}
