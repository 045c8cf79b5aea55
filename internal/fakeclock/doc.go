// Package fakeclock is a clock for tests that moves only when told to.
//
// A *Clock has the methods of errpolicy.Clock (Now and After) without
// importing it. Code under test waits on After; the test waits until the
// code is parked (BlockUntil), then moves time with Advance, which fires
// every due channel in deadline order. No test sleeps.
//
//	clk := fakeclock.New(time.Unix(0, 0))
//	go loop(clk)         // calls clk.After(time.Second) and waits
//	clk.BlockUntil(1)    // the loop is now waiting
//	clk.Advance(time.Second)
package fakeclock
