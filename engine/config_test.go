package engine

import (
	"os"
	"syscall"
	"testing"
)

// TestDefaultsPassValidation: validate parses Addr once and withDefaults
// fills every zero field with a value validate accepts, so New needs no
// second check; the network it reports is Addr's.
func TestDefaultsPassValidation(t *testing.T) {
	h := HandlerFunc(func(*Writer, Batch) {})
	for _, tc := range []struct {
		name, network, address string
		cfg                    Config
	}{
		{"udp zero", "udp", ":0", Config{Addr: "udp://:0", Handler: h}},
		{"udp4 sizes", "udp4", "127.0.0.1:53", Config{Addr: "udp4://127.0.0.1:53", Handler: h, BatchSize: 8, DatagramSize: 512}},
		{"unixgram", "unixgram", "/run/x.sock", Config{Addr: "unixgram:///run/x.sock", Handler: h}},
		{"sockets", "", "", Config{Sockets: []syscall.Conn{os.Stdin, os.Stdout}, Handler: h}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			network, address, err := tc.cfg.validate()
			if err != nil || network != tc.network || address != tc.address {
				t.Fatalf("validate: %q %q %v, want %q %q", network, address, err, tc.network, tc.address)
			}
			c := tc.cfg.withDefaults(network)
			if n2, a2, err := c.validate(); err != nil || n2 != network || a2 != address {
				t.Fatalf("validate after withDefaults: %q %q %v", n2, a2, err)
			}
			for name, v := range map[string]int{"Loops": c.Loops, "BatchSize": c.BatchSize, "DatagramSize": c.DatagramSize,
				"ReplySize": c.ReplySize, "ReplySlots": c.ReplySlots, "SendQueue": c.SendQueue, "ReadBudget": c.ReadBudget} {
				if v <= 0 {
					t.Errorf("Config.%s %d after withDefaults", name, v)
				}
			}
			if c.SendTimeout <= 0 || c.listen == nil || c.clock == nil || c.jitter == nil || c.policy == nil {
				t.Errorf("withDefaults left a zero: SendTimeout %v, seams %v %v %v %v", c.SendTimeout, c.listen != nil, c.clock != nil, c.jitter != nil, c.policy != nil)
			}
			if network == "unixgram" && c.Loops != 1 {
				t.Errorf("unixgram: %d loops by default, want 1", c.Loops)
			}
			if len(c.Sockets) > 0 && c.Loops != len(c.Sockets) {
				t.Errorf("%d Sockets: %d loops, want one each", len(c.Sockets), c.Loops)
			}
		})
	}
}
