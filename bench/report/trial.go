package report

import "github.com/udprx/udprx/bench/hoststat"

// TrialResult is one trial: one receiver under one load.
type TrialResult struct {
	Receiver string `json:"receiver"`
	Backend  string `json:"backend"`
	Size     int    `json:"size"`
	// Rep numbers the trial among its receiver's and size's, from 1.
	Rep int `json:"rep"`
	// Rate is the rate asked of the sender (0: as fast as it can) and
	// OfferedPPS the rate it achieved, in datagrams per second (in a
	// drain trial, the fill's).
	Rate       float64 `json:"rate"`
	OfferedPPS float64 `json:"offered_pps"`
	// Loss: offered, received and where the rest went.
	hoststat.Loss
	// LossPercent is Loss.Total() as a percentage of Offered.
	LossPercent float64 `json:"loss_percent"`
	// ReceivedBytes is the payload bytes received.
	ReceivedBytes uint64 `json:"received_bytes"`
	// ActiveSeconds is the time from the first datagram received to the
	// last (in a drain trial, from the receiver's start, so that its first
	// read counts); RatePPS and Gbps (payload bits) are taken over it.
	ActiveSeconds float64 `json:"active_seconds"`
	RatePPS       float64 `json:"rate_pps"`
	Gbps          float64 `json:"gbps"`
	// SenderErrors counts the sender's failed send calls (their datagrams
	// were sent again, so they are not in Offered); SenderFirstError is
	// the first one.
	SenderErrors     uint64 `json:"sender_errors"`
	SenderFirstError string `json:"sender_first_error,omitempty"`
	// SocketDrops is the receiving sockets' raw drop counter
	// (/proc/net/udp), -1 where it cannot be read.
	SocketDrops int64 `json:"socket_drops"`
	// Host is the change in the host-wide UDP counters over the trial
	// (/proc/net/snmp and snmp6): every socket's, so a cross-check only.
	Host hoststat.UDPCounters `json:"host_udp"`
	// RecvErrors is the receiver's count of failed reads.
	RecvErrors uint64 `json:"recv_errors"`
	// Batches counts the receiver's reads that returned data (a
	// datagram each for the one-at-a-time receivers), so Received over
	// Batches is the mean datagrams a read took.
	Batches uint64 `json:"batches"`
	// CPUPercent is this process's CPU time (user + system) over the
	// trial (a drain trial's from the receiver's start), divided by
	// ActiveSeconds: the receiver's CPU while traffic flowed, in percent
	// of one core. SenderCPUPercent is the sender
	// child's CPU time over its sending time (its start-up and runtime
	// threads included, so it can pass 100).
	CPUPercent       float64 `json:"cpu_percent"`
	SenderCPUPercent float64 `json:"sender_cpu_percent"`
	// GSO reports whether the sender used UDP GSO (never for a drain
	// trial's fill).
	GSO bool `json:"gso"`
	// Seconds is the trial's wall time, receiver start to stop.
	Seconds float64 `json:"seconds"`
}
