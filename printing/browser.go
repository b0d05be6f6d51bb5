package printing

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// EnvBrowser is the environment variable that names the browser to use. It wins
// over the search, so a user with an unusual install (a portable Chrome, a
// Chromium in /opt) can point the app at it without a rebuild.
const EnvBrowser = "WAYBILLDESK_CHROME"

// ErrNoBrowser means no Chrome, Chromium or Edge was found. Labels are HTML
// that only a browser can lay out, so nothing prints without one; the message
// says what to install because the user, not the program, has to act.
var ErrNoBrowser = errors.New("no Chrome, Chromium or Microsoft Edge found to print labels with: " +
	"install one (Debian/Ubuntu: apt-get install chromium-headless-shell fonts-noto-cjk, " +
	"or the chromium package; macOS and Windows: Google Chrome or Microsoft Edge, or, fastest, " +
	"Chrome for Testing's chrome-headless-shell unpacked beside the program), " +
	"or set " + EnvBrowser + " to the path of the browser program")

// FindBrowser returns the path of a Chromium-family browser. It looks at
// WAYBILLDESK_CHROME first, then at the places where each system installs
// one, headless shell first because it starts fastest and needs no display
// (see platform.md, section 4). When nothing is found, the error wraps
// ErrNoBrowser and lists the places searched, so a support request shows
// where the app looked.
func FindBrowser() (string, error) {
	appDir := ""
	if exe, err := os.Executable(); err == nil {
		appDir = filepath.Dir(exe)
	}
	return findBrowser(runtime.GOOS, appDir, os.Getenv, exec.LookPath, isExecutable)
}

// findBrowser is FindBrowser with the system calls passed in, so the search
// order of macOS and Windows can be tested on Linux. appDir is the folder of
// the program, where a headless shell may have been unpacked beside it.
func findBrowser(goos, appDir string, getenv func(string) string, lookPath func(string) (string, error), isExec func(string) bool) (string, error) {
	if v := strings.TrimSpace(getenv(EnvBrowser)); v != "" {
		// A user who sets the variable means it: a wrong value is an error and
		// not a reason to quietly use some other browser.
		if p, ok := locate(v, lookPath, isExec); ok {
			return unwrapLauncher(p, isExec), nil
		}
		return "", fmt.Errorf("%s=%q is not a browser program (no executable file there or on PATH): %w", EnvBrowser, v, ErrNoBrowser)
	}
	places := append(headlessShells(goos, appDir), browserCandidates(goos, getenv)...)
	for _, c := range places {
		if p, ok := locate(c, lookPath, isExec); ok {
			return unwrapLauncher(p, isExec), nil
		}
	}
	return "", fmt.Errorf("%w (searched: %s)", ErrNoBrowser, strings.Join(places, ", "))
}

// locate resolves a candidate: a bare program name through PATH, a path by
// checking the file.
func locate(c string, lookPath func(string) (string, error), isExec func(string) bool) (string, bool) {
	if !strings.ContainsAny(c, `/\`) {
		p, err := lookPath(c)
		return p, err == nil
	}
	return c, isExec(c)
}

// headlessShells lists where Google's headless shell for Chrome for Testing
// (chrome-headless-shell) may be: unpacked beside the program, as its zip
// unpacks (chrome-headless-shell-win64\chrome-headless-shell.exe), or on
// PATH. It is the same fast renderer as Debian's chromium-headless-shell; a
// full Chrome or Edge in headless mode prints a label several times slower
// (about 100-170 ms a label and tab on Linux, against 15-35), so on Windows
// and macOS it is worth the download.
func headlessShells(goos, appDir string) []string {
	var dirs []string
	name := "chrome-headless-shell"
	switch goos {
	case "windows":
		dirs, name = []string{"chrome-headless-shell-win64", "chrome-headless-shell-win32"}, name+".exe"
	case "darwin":
		dirs = []string{"chrome-headless-shell-mac-arm64", "chrome-headless-shell-mac-x64"}
	default:
		dirs = []string{"chrome-headless-shell-linux64"}
	}
	var out []string
	if appDir != "" {
		sep := "/"
		if goos == "windows" {
			sep = `\`
		}
		for _, d := range dirs {
			out = append(out, strings.TrimRight(appDir, `\/`)+sep+d+sep+name)
		}
	}
	return append(out, name)
}

// browserCandidates lists, in order of preference, where each system keeps a
// Chromium-family browser. Bare names are looked up on PATH; absolute paths
// cover apps started from a desktop menu with a short PATH.
func browserCandidates(goos string, getenv func(string) string) []string {
	switch goos {
	case "darwin":
		apps := []string{
			"Google Chrome.app/Contents/MacOS/Google Chrome",
			"Chromium.app/Contents/MacOS/Chromium",
			"Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
		}
		var out []string
		for _, a := range apps {
			out = append(out, "/Applications/"+a)
		}
		if home := getenv("HOME"); home != "" {
			for _, a := range apps {
				out = append(out, strings.TrimRight(home, "/")+"/Applications/"+a)
			}
		}
		return append(out, "chromium", "google-chrome")
	case "windows":
		var bases []string
		for _, env := range []string{"ProgramFiles", "ProgramFiles(x86)", "LocalAppData"} {
			if v := getenv(env); v != "" {
				bases = append(bases, strings.TrimRight(v, `\/`))
			}
		}
		var out []string
		for _, rel := range []string{
			`Google\Chrome\Application\chrome.exe`,
			`Chromium\Application\chrome.exe`,
			`Microsoft\Edge\Application\msedge.exe`,
		} {
			for _, b := range bases {
				out = append(out, b+`\`+rel)
			}
		}
		return append(out, "chrome.exe", "msedge.exe")
	default:
		return []string{
			"/usr/bin/chromium-headless-shell",
			"chromium-headless-shell",
			"headless_shell",
			"headless-shell",
			"chromium",
			"chromium-browser",
			"google-chrome",
			"google-chrome-stable",
			"microsoft-edge",
			"microsoft-edge-stable",
			"/usr/lib/chromium/chromium",
			"/opt/google/chrome/chrome",
			"/snap/bin/chromium",
			"/opt/microsoft/msedge/msedge",
		}
	}
}

// debianLaunchers maps Debian's launcher scripts to the programs they run.
// The scripts start the browser as a child of /bin/sh instead of exec'ing it,
// so stopping "the browser" after a timeout would only stop the shell and
// leave Chromium running; /usr/bin/chromium also prints shell errors here
// (platform.md, section 4). Running the real program avoids both.
var debianLaunchers = map[string]string{
	"/usr/bin/chromium-headless-shell": "/usr/lib/chromium/chromium-headless-shell",
	"/usr/bin/chromium":                "/usr/lib/chromium/chromium",
}

// unwrapLauncher returns the real program behind a known launcher script, or
// p itself.
func unwrapLauncher(p string, isExec func(string) bool) string {
	key := p
	if r, err := filepath.EvalSymlinks(p); err == nil {
		key = r
	}
	if real, ok := debianLaunchers[key]; ok && isExec(real) {
		return real
	}
	if real, ok := debianLaunchers[p]; ok && isExec(real) {
		return real
	}
	return p
}

// isExecutable reports whether p is a file this process can start. Windows has
// no execute bit, so there a regular file is enough.
func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	return runtime.GOOS == "windows" || fi.Mode().Perm()&fs.FileMode(0o111) != 0
}
