//go:build !windows

package main

// attachConsole does nothing outside Windows: there a program started from
// a terminal always has its stdout and stderr.
func attachConsole() {}
