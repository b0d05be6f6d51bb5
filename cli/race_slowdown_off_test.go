//go:build !race

package cli

// Without the race detector the time and memory limits of the tests hold
// as written.
const raceSlowdown, raceMemory = 1, 1
