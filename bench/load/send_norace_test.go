//go:build !race

package load

// raceEnabled reports whether the tests run under the race detector.
const raceEnabled = false
