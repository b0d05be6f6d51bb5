package printing

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestFindBrowserEnvMissingFile(t *testing.T) {
	const bad = "/nonexistent/waybilldesk/chrome"
	t.Setenv(EnvBrowser, bad)
	_, err := FindBrowser()
	if err == nil {
		t.Fatal("no error for a browser that does not exist")
	}
	if !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), EnvBrowser) {
		t.Errorf("error %q does not name %s=%s", err, EnvBrowser, bad)
	}
	if !errors.Is(err, ErrNoBrowser) {
		t.Errorf("error %q does not wrap ErrNoBrowser", err)
	}
}

func TestFindBrowserEnvWins(t *testing.T) {
	self, err := os.Executable() // any executable file will do
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvBrowser, self)
	got, err := FindBrowser()
	if err != nil || got != self {
		t.Errorf("FindBrowser() = %q, %v; want %q", got, err, self)
	}
}

// fakeSystem is a file system and PATH for findBrowser.
type fakeSystem struct {
	env   map[string]string
	files []string // executable paths
	path  map[string]string
}

func (f fakeSystem) getenv(k string) string { return f.env[k] }
func (f fakeSystem) isExec(p string) bool   { return slices.Contains(f.files, p) }
func (f fakeSystem) lookPath(name string) (string, error) {
	if p, ok := f.path[name]; ok {
		return p, nil
	}
	return "", errors.New("not found")
}

func TestFindBrowserPerSystem(t *testing.T) {
	tests := []struct {
		name   string
		goos   string
		appDir string
		sys    fakeSystem
		want   string
	}{
		{
			name: "Debian headless shell, launcher script skipped",
			goos: "linux",
			sys: fakeSystem{
				files: []string{"/usr/bin/chromium-headless-shell", "/usr/lib/chromium/chromium-headless-shell"},
				path:  map[string]string{"chromium": "/usr/bin/chromium"},
			},
			want: "/usr/lib/chromium/chromium-headless-shell",
		},
		{
			name: "headless shell on PATH beats chromium",
			goos: "linux",
			sys: fakeSystem{path: map[string]string{
				"chromium":                "/usr/local/bin/chromium",
				"chromium-headless-shell": "/opt/hs/chromium-headless-shell",
			}},
			want: "/opt/hs/chromium-headless-shell",
		},
		{
			name: "Google Chrome on Linux",
			goos: "linux",
			sys:  fakeSystem{path: map[string]string{"google-chrome-stable": "/usr/bin/google-chrome-stable"}},
			want: "/usr/bin/google-chrome-stable",
		},
		{
			name: "macOS prefers Chrome over Edge",
			goos: "darwin",
			sys: fakeSystem{files: []string{
				"/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
				"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
			}},
			want: "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
		},
		{
			name: "macOS Chromium in the home folder",
			goos: "darwin",
			sys: fakeSystem{
				env:   map[string]string{"HOME": "/Users/wang"},
				files: []string{"/Users/wang/Applications/Chromium.app/Contents/MacOS/Chromium"},
			},
			want: "/Users/wang/Applications/Chromium.app/Contents/MacOS/Chromium",
		},
		{
			name: "Windows Chrome per user",
			goos: "windows",
			sys: fakeSystem{
				env: map[string]string{
					"ProgramFiles":      `C:\Program Files`,
					"ProgramFiles(x86)": `C:\Program Files (x86)`,
					"LocalAppData":      `C:\Users\wang\AppData\Local`,
				},
				files: []string{
					`C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`,
					`C:\Users\wang\AppData\Local\Google\Chrome\Application\chrome.exe`,
				},
			},
			want: `C:\Users\wang\AppData\Local\Google\Chrome\Application\chrome.exe`,
		},
		{
			name:   "Windows: Chrome for Testing's headless shell beside the program beats Chrome",
			goos:   "windows",
			appDir: `C:\Program Files\Waybill Desk`,
			sys: fakeSystem{
				env: map[string]string{"ProgramFiles": `C:\Program Files`},
				files: []string{
					`C:\Program Files\Google\Chrome\Application\chrome.exe`,
					`C:\Program Files\Waybill Desk\chrome-headless-shell-win64\chrome-headless-shell.exe`,
				},
			},
			want: `C:\Program Files\Waybill Desk\chrome-headless-shell-win64\chrome-headless-shell.exe`,
		},
		{
			name:   "macOS: headless shell on PATH beats Chrome",
			goos:   "darwin",
			appDir: "/Applications/Waybill Desk.app/Contents/MacOS",
			sys: fakeSystem{
				files: []string{"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"},
				path:  map[string]string{"chrome-headless-shell": "/opt/homebrew/bin/chrome-headless-shell"},
			},
			want: "/opt/homebrew/bin/chrome-headless-shell",
		},
		{
			name: "Windows falls back to Edge",
			goos: "windows",
			sys: fakeSystem{
				env:   map[string]string{"ProgramFiles(x86)": `C:\Program Files (x86)`},
				files: []string{`C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`},
			},
			want: `C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findBrowser(tt.goos, tt.appDir, tt.sys.getenv, tt.sys.lookPath, tt.sys.isExec)
			if err != nil || got != tt.want {
				t.Errorf("findBrowser = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestFindBrowserNoneListsPlaces(t *testing.T) {
	for _, goos := range []string{"linux", "darwin", "windows"} {
		sys := fakeSystem{env: map[string]string{"ProgramFiles": `C:\Program Files`}}
		_, err := findBrowser(goos, "", sys.getenv, sys.lookPath, sys.isExec)
		if !errors.Is(err, ErrNoBrowser) {
			t.Fatalf("%s: err = %v, want ErrNoBrowser", goos, err)
		}
		want := map[string][]string{
			"linux":   {"chromium-headless-shell", "chrome-headless-shell"},
			"darwin":  {"/Applications/Google Chrome.app", "chrome-headless-shell"},
			"windows": {`C:\Program Files\Google\Chrome\Application\chrome.exe`, "chrome-headless-shell.exe"},
		}[goos]
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error does not list %q: %v", goos, w, err)
			}
		}
	}
}

func TestHostPolicy(t *testing.T) {
	p := newHostPolicy([]string{"cdn.example.com", "127.0.0.1:8080", " Static.Example.ORG "})
	tests := []struct {
		url  string
		want bool
	}{
		{"data:image/png;base64,AAAA", true},
		{"about:blank", true},
		{"blob:null/1234", true},
		{"https://cdn.example.com/logo.png", true},
		{"https://CDN.example.com:444/logo.png", true},
		{"https://static.example.org/a.css", true},
		{"http://127.0.0.1:8080/x.png", true},
		{"http://127.0.0.1:9090/x.png", false},
		{"https://evil.example.com/x.png", false},
		{"https://cdn.example.com.evil.net/x.png", false},
		{"file:///etc/passwd", false},
		{"ftp://cdn.example.com/x", false},
		{"::not a url", false},
	}
	for _, tt := range tests {
		if got := p.allowed(tt.url); got != tt.want {
			t.Errorf("allowed(%q) = %v, want %v", tt.url, got, tt.want)
		}
	}
	if got, want := p.resolverRules(), "MAP * ~NOTFOUND, EXCLUDE cdn.example.com, EXCLUDE 127.0.0.1, EXCLUDE static.example.org"; got != want {
		t.Errorf("resolverRules = %q, want %q", got, want)
	}
	if got, want := p.proxyBypass(), "<-loopback>;cdn.example.com;127.0.0.1:8080;static.example.org"; got != want {
		t.Errorf("proxyBypass = %q, want %q", got, want)
	}
}
