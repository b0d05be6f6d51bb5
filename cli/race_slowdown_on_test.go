//go:build race

package cli

// Under the race detector this code runs five to ten times slower, and
// the memory it touches is shadowed (reading /dev/zero as an import
// peaked at 249 MB resident, 93 MB in a plain build): the limits of the
// tests are scaled.
const raceSlowdown, raceMemory = 10, 2
