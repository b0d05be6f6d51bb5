package diag

import (
	"fmt"

	"golang.org/x/sys/windows"
)

// osVersion is Windows' real version: RtlGetVersion, unlike
// GetVersionEx, is not lied to by compatibility shims (build 22000 and up
// is Windows 11).
func osVersion() string {
	v := windows.RtlGetVersion()
	return fmt.Sprintf("Windows %d.%d build %d", v.MajorVersion, v.MinorVersion, v.BuildNumber)
}
