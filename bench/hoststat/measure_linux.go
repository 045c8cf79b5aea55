package hoststat

import (
	"bufio"
	"bytes"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// ReadSocketStats sums what /proc/net/udp and /proc/net/udp6 (this network
// namespace's sockets) say about the sockets bound to local port port.
func ReadSocketStats(port uint16) (SocketStats, error) {
	var st SocketStats
	for _, name := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		data, err := os.ReadFile(name)
		if err != nil {
			if os.IsNotExist(err) { // no IPv6
				continue
			}
			return st, err
		}
		s, err := parseProcNetUDP(data, port)
		if err != nil {
			return st, err
		}
		st.Sockets += s.Sockets
		st.Drops += s.Drops
		st.RxQueue += s.RxQueue
	}
	return st, nil
}

// ReadUDPCounters reads the host's UDP counters: /proc/net/snmp plus
// /proc/net/snmp6 where there is IPv6.
func ReadUDPCounters() (UDPCounters, error) {
	data, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return UDPCounters{}, err
	}
	c, err := parseSNMP(data)
	if err != nil {
		return UDPCounters{}, err
	}
	if data, err := os.ReadFile("/proc/net/snmp6"); err == nil {
		c6, err := parseSNMP6(data)
		if err != nil {
			return UDPCounters{}, err
		}
		c.InDatagrams += c6.InDatagrams
		c.InErrors += c6.InErrors
		c.RcvbufErrors += c6.RcvbufErrors
	}
	return c, nil
}

// MachineKernel returns the kernel ("Linux 6.18.4", from uname) and the
// first CPU model name of /proc/cpuinfo ("" if it has none, as on arm64).
func MachineKernel() (kernel, cpuModel string) {
	var u unix.Utsname
	if err := unix.Uname(&u); err == nil {
		kernel = unix.ByteSliceToString(u.Sysname[:]) + " " + unix.ByteSliceToString(u.Release[:])
	} else {
		kernel = "Linux"
	}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				cpuModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return kernel, cpuModel
}
