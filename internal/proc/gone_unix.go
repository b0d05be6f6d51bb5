//go:build !windows

package proc

import (
	"errors"
	"syscall"
)

// Gone reports whether no process has that id: a queue runner or an
// order's lease holder killed outright (SIGKILL, power loss) never says
// goodbye, and waiting for its heartbeat to go stale would hold its work.
func Gone(pid int) bool {
	if pid <= 0 {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
