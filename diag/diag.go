// Package diag collects what support needs when something goes wrong on a
// user's machine: program, Go, OS, browser and SQLite versions, the
// settings without their secrets, where the data lives, the backups, and
// the last lines of the log and the crash log. The GUI's "copy diagnostics"
// button and `waybilldesk diag` print the same text.
//
// It also owns the files that make a report possible: the log file the
// GUI writes (size-capped, rotated) and the crash log.
package diag

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"waybilldesk/desk"
	"waybilldesk/internal/sizes"
	"waybilldesk/printing"
	"waybilldesk/store"
)

// DefaultLogLines is how many of the last log lines a report carries:
// enough for the minutes before a problem, short enough to paste in a chat.
const DefaultLogLines = 200

// File names in the data folder (beside history.db).
const (
	// LogFile is the GUI's log; the command line logs to stderr instead.
	LogFile = "waybilldesk.log"
	// CrashFile receives the trace of a fatal panic or runtime crash.
	CrashFile = "crash.log"
)

// Input is what a report is made from. It deliberately has no field for the
// AppSecret or a token: only whether a secret is set, so a report can never
// leak one, whoever fills it in.
type Input struct {
	AppVersion string
	// DBPath is the history file; the data folder is its folder.
	DBPath string
	// LogPath and CrashPath default to LogFile and CrashFile in the data
	// folder.
	LogPath, CrashPath string
	// LogLines is how many log lines to include (DefaultLogLines when 0).
	LogLines int
	// Settings are shown as given, except that values of keys that look
	// secret (secret, token, password, key) are replaced by "(hidden)".
	Settings []Setting
}

// Setting is one name and value shown in a report.
type Setting struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// FromConfig is the Input for a desk configuration: the AppID partly
// masked, the secret only as set / not set.
func FromConfig(appVersion string, cfg desk.Config, logLines int) Input {
	secret := "not set"
	if cfg.Secret != "" {
		secret = "set (hidden)"
	}
	mode := "WeChat"
	if cfg.SandboxMode() {
		mode = "sandbox"
	}
	apiBase := cfg.APIBase
	if apiBase == "" {
		apiBase = "(default)"
	}
	tokenMode := cfg.TokenMode
	if tokenMode == "" {
		tokenMode = "(default: stable)"
	}
	timeout := "(default)"
	if cfg.RenderTimeout > 0 {
		timeout = cfg.RenderTimeout.String()
	}
	tabs := fmt.Sprintf("(default: %d)", printing.DefaultTabs())
	if cfg.RenderTabs > 0 {
		tabs = strconv.Itoa(cfg.RenderTabs)
	}
	hosts := "(none: labels load nothing from the network)"
	if len(cfg.RenderHosts) > 0 {
		hosts = strings.Join(cfg.RenderHosts, ", ")
	}
	return Input{
		AppVersion: appVersion,
		DBPath:     cfg.DBPath,
		LogLines:   logLines,
		Settings: []Setting{
			{"mode", mode},
			{"api_base", apiBase},
			{"appid", MaskAppID(cfg.AppID)},
			{"secret", secret},
			{"token_mode", tokenMode},
			{"render_timeout", timeout},
			{"render_tabs", tabs},
			{"render_hosts", hosts},
		},
	}
}

// Report is a collected diagnostics report.
type Report struct {
	Collected time.Time `json:"collected"`
	// Versions: app, Go, OS, architecture, SQLite, browser.
	Versions []Setting `json:"versions"`
	Settings []Setting `json:"settings"`
	// Paths: data folder, history, log, crash log, backups.
	Paths []Setting `json:"paths"`
	// Checks: the last integrity check of each history in the data
	// folder (the settings' one, the sandbox's, another AppID's).
	Checks []Setting `json:"checks"`
	// Backups lists the newest backup files with their sizes.
	Backups []string `json:"backups"`
	// Crash is the end of the crash log, empty when there never was one.
	Crash []string `json:"crash,omitempty"`
	// Log is the end of the log file.
	Log []string `json:"log"`
}

// Collect gathers a report. It never fails: what cannot be read is
// reported as such, because a report is most needed when things are broken.
func Collect(ctx context.Context, in Input) Report {
	dataDir := filepath.Dir(in.DBPath)
	if in.LogPath == "" {
		in.LogPath = filepath.Join(dataDir, LogFile)
	}
	if in.CrashPath == "" {
		in.CrashPath = filepath.Join(dataDir, CrashFile)
	}
	if in.LogLines <= 0 {
		in.LogLines = DefaultLogLines
	}
	r := Report{Collected: time.Now()}
	r.Versions = []Setting{
		{"waybilldesk", orUnknown(in.AppVersion)},
		{"go", runtime.Version()},
		{"os", osVersion()},
		{"arch", runtime.GOOS + "/" + runtime.GOARCH},
		{"sqlite", store.SQLiteVersion()},
		{"browser", browserVersion(ctx)},
	}
	for _, s := range in.Settings {
		r.Settings = append(r.Settings, Setting{s.Name, Redact(s.Name, s.Value)})
	}
	r.Paths = []Setting{
		{"data", dataDir},
		{"history", describeFile(in.DBPath)},
		{"log", describeFile(in.LogPath)},
		{"crash log", describeFile(in.CrashPath)},
		{"backups", store.BackupDir(in.DBPath)},
	}
	for _, p := range histories(in.DBPath) {
		r.Checks = append(r.Checks, Setting{filepath.Base(p), describeCheck(p)})
	}
	r.Paths = append(r.Paths, Setting{"backup policy", fmt.Sprintf("the newest %d daily copies of each history, within %.0f%% of the free disk space; the newest copy taken before an update is always kept",
		store.DefaultBackupKeep, store.DefaultBackupShare*100)})
	if list, err := store.Backups(in.DBPath); err != nil {
		r.Backups = []string{err.Error()}
	} else {
		for i, p := range list {
			if i == 10 {
				r.Backups = append(r.Backups, fmt.Sprintf("... and %d more", len(list)-i))
				break
			}
			r.Backups = append(r.Backups, describeFile(p))
		}
	}
	if st, err := os.Stat(in.CrashPath); err == nil && st.Size() > 0 {
		r.Crash = scrubLines(tailLines(in.CrashPath, 60))
	}
	r.Log = scrubLines(tailLines(in.LogPath, in.LogLines))
	return r
}

// histories are the history at dbPath and those kept beside it for other
// platforms (history-sandbox.db, history-<AppID>.db).
func histories(dbPath string) []string {
	out := []string{dbPath}
	ext := filepath.Ext(dbPath)
	others, _ := filepath.Glob(strings.TrimSuffix(dbPath, ext) + "-*" + ext)
	return append(out, others...)
}

// describeCheck says when a history was last checked and what was found.
func describeCheck(path string) string {
	if _, err := os.Stat(path); err != nil {
		return "no such file"
	}
	rec, ok, err := store.LastCheck(path)
	switch {
	case err != nil:
		return err.Error()
	case !ok:
		return "never checked (the window checks once a day; waybilldesk check runs it now)"
	case rec.OK():
		return fmt.Sprintf("%s passed %s (%.1f s)", rec.Kind, rec.At.Format("2006-01-02 15:04"), float64(rec.TookMS)/1000)
	default:
		return fmt.Sprintf("DAMAGED: %s %s found: %s", rec.Kind, rec.At.Format("2006-01-02 15:04"), rec.Problem)
	}
}

// String is the report as plain text, ready to paste into a message.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Waybill Desk diagnostics, %s\n", r.Collected.Format(time.RFC3339))
	section := func(title string, items []Setting) {
		fmt.Fprintf(&b, "\n[%s]\n", title)
		for _, s := range items {
			fmt.Fprintf(&b, "%-14s %s\n", s.Name, s.Value)
		}
	}
	section("versions", r.Versions)
	section("settings", r.Settings)
	section("paths", r.Paths)
	section("integrity checks", r.Checks)
	lines := func(title string, l []string, empty string) {
		fmt.Fprintf(&b, "\n[%s]\n", title)
		if len(l) == 0 {
			fmt.Fprintln(&b, empty)
		}
		for _, s := range l {
			fmt.Fprintln(&b, s)
		}
	}
	lines("backups", r.Backups, "(none)")
	if len(r.Crash) > 0 {
		lines("crash log (end)", r.Crash, "")
	}
	lines(fmt.Sprintf("log (last %d lines)", len(r.Log)), r.Log, "(empty)")
	return b.String()
}

// MaskAppID keeps the first four and last four characters of a mini
// program AppID (wx12…cdef), enough to tell two apart without handing the
// full id around. Short values keep less.
func MaskAppID(id string) string {
	switch n := len(id); {
	case n == 0:
		return "(not set)"
	case n <= 4:
		return strings.Repeat("*", n)
	case n <= 10:
		return id[:2] + strings.Repeat("*", n-2)
	default:
		return id[:4] + strings.Repeat("*", n-8) + id[n-4:]
	}
}

// secretName matches setting names whose values must never be shown.
var secretName = regexp.MustCompile(`(?i)secret|(^|[_.-])token$|access.?token|passw|aes|(^|[_.-])key$|api.?key|cookie`)

// Redact returns value, or "(hidden)" when name looks like it holds a
// secret and the value is not empty (or already a set/not set word).
func Redact(name, value string) string {
	if !secretName.MatchString(name) || value == "" || value == "not set" || value == "set (hidden)" {
		return value
	}
	return "(hidden)"
}

// secretValue matches key=value and "key":"value" pairs whose values are
// secrets, in case one ever reaches a log line despite the rule that none
// may: a report is pasted into chats and tickets.
var secretValue = regexp.MustCompile(`(?i)((?:access_token|secret|appsecret|password|encodingaeskey|token)"?\s*[=:]\s*"?)([^\s"&,}]+)`)

func scrubLines(lines []string) []string {
	for i, l := range lines {
		lines[i] = secretValue.ReplaceAllString(l, "${1}***")
	}
	return lines
}

// tailLines returns the last n lines of the file at path, reading at most
// its last megabyte; a missing file gives no lines, another error one line
// saying so.
func tailLines(path string, n int) []string {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return []string{"(cannot read: " + err.Error() + ")"}
	}
	defer f.Close()
	const max = 1 << 20
	st, err := f.Stat()
	if err != nil {
		return []string{"(cannot read: " + err.Error() + ")"}
	}
	off := st.Size() - max
	if off < 0 {
		off = 0
	}
	b, err := io.ReadAll(io.NewSectionReader(f, off, st.Size()-off))
	if err != nil {
		return []string{"(cannot read: " + err.Error() + ")"}
	}
	b = bytes.TrimRight(b, "\r\n")
	if len(b) == 0 {
		return nil
	}
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	if off > 0 && len(lines) > 1 {
		lines = lines[1:] // the first one is cut
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// describeFile is a path with its size and modification time, or a word
// on why it has none.
func describeFile(path string) string {
	if path == "" {
		return "(none)"
	}
	st, err := os.Stat(path)
	if os.IsNotExist(err) {
		return path + " (missing)"
	}
	if err != nil {
		return path + " (" + err.Error() + ")"
	}
	return fmt.Sprintf("%s (%s, %s)", path, sizes.Text(st.Size()), st.ModTime().Format("2006-01-02 15:04:05"))
}

// browserVersion is the path of the browser labels are printed with and,
// where the browser prints one, its version.
func browserVersion(ctx context.Context) string {
	path, err := printing.FindBrowser()
	if err != nil {
		return "not found: " + err.Error()
	}
	// Chrome on Windows is a GUI program that prints no version; the path
	// alone tells support which install it is.
	if runtime.GOOS == "windows" {
		return path
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if v := strings.TrimSpace(string(out)); err == nil && v != "" {
		return v + " (" + path + ")"
	}
	return path
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
