//go:build race

package cli

// raceSlowdown scales the time limits of the tests: the race detector
// makes this code five to ten times slower.
const raceSlowdown = 10
