package engine

import "testing"

// TestPinCPU runs pinned loops and checks they receive; the pinning itself
// is tested in package platform.
func TestPinCPU(t *testing.T) {
	c := newCollector()
	e := startEngine(t, Config{Addr: "udp4://127.0.0.1:0", Loops: 2, PinCPU: true, Handler: c})
	sendAndCount(t, e, c, 200)
	if st := e.Stats(); st.Errors != 0 || st.Restarts != 0 {
		t.Errorf("pinned loops: %d errors, %d restarts", st.Errors, st.Restarts)
	}
}
