package ui

import (
	"os/exec"
	"syscall"
)

// hideWindow keeps PowerShell from flashing a console window at every scan.
func hideWindow(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{HideWindow: true, CreationFlags: 0x08000000} // CREATE_NO_WINDOW
}
