//go:build !race

package cli

// raceSlowdown scales the time limits of the tests: 1 without the race
// detector.
const raceSlowdown = 1
