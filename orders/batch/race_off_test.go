//go:build !race

package batch

// slowdown scales the time limits of the tests: 1 without the race
// detector.
const slowdown = 1
