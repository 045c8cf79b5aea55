package load

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// TestRRUnanswered runs the client against a port nobody answers on:
// every request is unanswered, and the run still ends on time.
func TestRRUnanswered(t *testing.T) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	addr := c.LocalAddr().String()
	if err := c.Close(); err != nil { // the port is now closed
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, rate := range []float64{0, 1000} {
		start := time.Now()
		st, err := RR(ctx, RRConfig{To: addr, Rate: rate, Duration: 100 * time.Millisecond, Timeout: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if st.Sent == 0 || st.Answered != 0 || st.Unanswered != st.Sent || st.LossPercent != 100 {
			t.Errorf("rate %v: %+v: want every request unanswered", rate, st)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("rate %v: took %v for a 100ms run with a 50ms timeout", rate, d)
		}
	}
}

// TestRRConfigValidate names every bad field.
func TestRRConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  RRConfig
		want string // "" = valid
	}{
		{"valid closed loop", RRConfig{To: "127.0.0.1:9", Duration: time.Second}, ""},
		{"valid paced", RRConfig{To: "127.0.0.1:9", Rate: 10, Duration: time.Second, GSO: true}, ""},
		{"no to", RRConfig{Duration: time.Second}, "to is required"},
		{"port 0", RRConfig{To: "127.0.0.1:0", Duration: time.Second}, "no destination port"},
		{"small size", RRConfig{To: "127.0.0.1:9", Size: 10, Duration: time.Second}, "size 10"},
		{"no duration", RRConfig{To: "127.0.0.1:9"}, "duration 0s"},
		{"negative rate", RRConfig{To: "127.0.0.1:9", Rate: -1, Duration: time.Second}, "rate -1"},
		{"gso closed loop", RRConfig{To: "127.0.0.1:9", GSO: true, Duration: time.Second}, "gso needs a rate"},
		{"flows", RRConfig{To: "127.0.0.1:9", Flows: MaxFlows + 1, Duration: time.Second}, "flows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("got %v, want valid", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
}
