//go:build windows

package output

import (
	"errors"

	"golang.org/x/sys/windows"
)

// isRefused reports whether a dial failed because the host refused it;
// Winsock says so with its own error number.
func isRefused(err error) bool { return errors.Is(err, windows.WSAECONNREFUSED) }
