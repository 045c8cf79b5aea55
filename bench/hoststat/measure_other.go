//go:build !linux

package hoststat

import "runtime"

// ReadSocketStats reports errNoProcfs: there is no /proc/net/udp.
func ReadSocketStats(port uint16) (SocketStats, error) { return SocketStats{}, errNoProcfs }

// ReadUDPCounters reports errNoProcfs: there is no /proc/net/snmp.
func ReadUDPCounters() (UDPCounters, error) { return UDPCounters{}, errNoProcfs }

// MachineKernel names the system only.
func MachineKernel() (kernel, cpuModel string) { return runtime.GOOS, "" }
