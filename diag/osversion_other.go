//go:build !linux && !darwin && !windows

package diag

import "runtime"

// osVersion names the system where no better source is known.
func osVersion() string { return runtime.GOOS }
