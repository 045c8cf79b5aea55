package fakeclock_test

import (
	"fmt"
	"time"

	"github.com/udprx/udprx/internal/fakeclock"
)

func Example() {
	clk := fakeclock.New(time.Unix(0, 0).UTC())
	done := make(chan time.Time)
	go func() { done <- <-clk.After(3 * time.Second) }()

	clk.BlockUntil(1) // the goroutine is waiting now
	clk.Advance(2 * time.Second)
	fmt.Println("waiting after 2s:", clk.Waiters())
	clk.Advance(time.Second)
	fmt.Println("fired at", (<-done).Format(time.TimeOnly))
	// Output:
	// waiting after 2s: 1
	// fired at 00:00:03
}
