// Package hoststat reads what the host knows about a benchmark trial: the
// CPU time this process has used, and the kernel's UDP counters (per
// socket from /proc/net/udp and /proc/net/udp6, host-wide from
// /proc/net/snmp and /proc/net/snmp6), and splits a trial's loss between
// the receiving socket's drops and the rest (Loss).
//
//	before, _ := hoststat.ProcessCPU()
//	// ... the trial ...
//	after, _ := hoststat.ProcessCPU()
//	sock, err := hoststat.ReadSocketStats(port) // Linux; elsewhere errors.ErrUnsupported
//	loss := hoststat.AttributeLoss(offered, received, sock.Drops, 1)
//	fmt.Printf("%.0f%% CPU, %d kernel drops\n", hoststat.CPUPercent(after-before, wall), loss.KernelDrops)
//
// Files: measure.go (the parsers and the seam), measure_linux.go and
// measure_other.go (reading /proc, or not), cputime_unix.go,
// cputime_windows.go and cputime_other.go (getrusage, GetProcessTimes, or
// nothing), loss.go (the loss attribution).
package hoststat
