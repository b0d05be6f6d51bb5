package diag

import (
	"os/exec"
	"strings"
)

// osVersion is macOS's product version and build, from sw_vers.
func osVersion() string {
	v, err := exec.Command("sw_vers", "-productVersion").Output()
	if err != nil {
		return "macOS (version unknown: " + err.Error() + ")"
	}
	b, _ := exec.Command("sw_vers", "-buildVersion").Output()
	return "macOS " + strings.TrimSpace(string(v)) + " (" + strings.TrimSpace(string(b)) + ")"
}
