//go:build !windows

package output

import (
	"errors"
	"syscall"
)

// isRefused reports whether a dial failed because the host refused it.
func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }
