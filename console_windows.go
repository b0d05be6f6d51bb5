package main

import (
	"os"
	"syscall"

	"golang.org/x/sys/windows"
)

// attachConsole connects stdout and stderr to the console of the process
// that started this one (cmd.exe, PowerShell), when they are not
// connected to anything. The Windows build is a GUI-subsystem program
// (-H=windowsgui, so double-clicking it opens no console window), which
// Windows starts without a console; without this, `waybilldesk --version`
// typed in a console would print nothing. Redirected output (> file, a pipe)
// already has valid handles and is left alone. Started from Explorer there
// is no parent console and nothing changes.
func attachConsole() {
	if valid(syscall.Stdout) && valid(syscall.Stderr) {
		return
	}
	const attachParentProcess = ^uintptr(0) // ATTACH_PARENT_PROCESS, (DWORD)-1
	if r, _, _ := windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole").Call(attachParentProcess); r == 0 {
		return
	}
	if !valid(syscall.Stdout) {
		if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
			os.Stdout = f
		}
	}
	if !valid(syscall.Stderr) {
		if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
			os.Stderr = f
		}
	}
}

// valid reports whether a standard handle is connected to something.
func valid(h syscall.Handle) bool {
	if h == 0 || h == syscall.InvalidHandle {
		return false
	}
	_, err := windows.GetFileType(windows.Handle(h))
	return err == nil
}
