//go:build windows

package proc

import "golang.org/x/sys/windows"

// Gone reports whether no running process has that id: a queue
// runner killed outright never says goodbye, and waiting for its heartbeat
// to go stale would hold its printer's jobs meanwhile.
func Gone(pid int) bool {
	if pid <= 0 {
		return false
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return err == windows.ERROR_INVALID_PARAMETER
	}
	defer windows.CloseHandle(h)
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		return false
	}
	const stillActive = 259
	return code != stillActive
}
