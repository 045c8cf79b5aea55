//go:build !linux

package bench

import "runtime"

// readSocketStats reports errNoProcfs: there is no /proc/net/udp.
func readSocketStats(port uint16) (socketStats, error) { return socketStats{}, errNoProcfs }

// readUDPCounters reports errNoProcfs: there is no /proc/net/snmp.
func readUDPCounters() (UDPCounters, error) { return UDPCounters{}, errNoProcfs }

// machineKernel names the system only.
func machineKernel() (kernel, cpuModel string) { return runtime.GOOS, "" }
