//go:build !windows

package queue

import (
	"errors"
	"syscall"
)

// processGone reports whether no process has that id: a queue runner
// killed outright (SIGKILL, power loss) never says goodbye, and waiting
// for its heartbeat to go stale would hold its printer's jobs meanwhile.
func processGone(pid int) bool {
	if pid <= 0 {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
