//go:build race

package batch

// slowdown scales the time limits of the tests: the race detector makes
// this code five to ten times slower.
const slowdown = 10
