package diag

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"waybilldesk/desk"
	"waybilldesk/store"
)

const (
	testSecret = "0123456789abcdef0123456789abcdef"
	testAppID  = "wx1234567890abcdef"
)

func TestReportHasVersionsPathsLogAndNoSecrets(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "history.db")
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.DailyBackup(ctx, store.BackupPolicy{}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Check(ctx, false, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()
	var log strings.Builder
	for i := 1; i <= 300; i++ {
		fmt.Fprintf(&log, "time=2026-11-22T10:00:00 level=INFO msg=line%03d\n", i)
	}
	// A line that should never exist, but if it did, must not leak.
	log.WriteString("level=WARN msg=oops url=\"https://api.weixin.qq.com/x?access_token=ACCESS123&a=1\" secret=" + testSecret + "\n")
	os.WriteFile(filepath.Join(dir, LogFile), []byte(log.String()), 0o600)

	cfg := desk.Config{DBPath: dbPath, AppID: testAppID, Secret: testSecret, TokenMode: "classic"}
	r := Collect(ctx, FromConfig("v1.2.3-4-gabc", cfg, 50))
	text := r.String()
	js, _ := json.Marshal(r)
	for _, out := range []string{text, string(js)} {
		for _, secret := range []string{testSecret, "ACCESS123", testAppID} {
			if strings.Contains(out, secret) {
				t.Fatalf("report contains %q:\n%s", secret, out)
			}
		}
	}
	for _, want := range []string{
		"waybilldesk    v1.2.3-4-gabc", "go             go1.", "sqlite         3.", "browser",
		"appid          wx12**********cdef", "secret         set (hidden)", "mode           WeChat", "token_mode     classic",
		"history        " + dbPath, "backups        " + store.BackupDir(dbPath),
		"history-" + time.Now().Format("20060102") + ".db", "backup policy  the newest 3 daily copies",
		"[integrity checks]", "history.db     quick_check passed " + time.Now().Format("2006-01-02"),
		"[log (last 50 lines)]", "msg=line300", "access_token=***", "secret=***",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(text, "msg=line250\n") {
		t.Error("report has more than the last 50 log lines")
	}
	if len(r.Log) != 50 || r.Crash != nil {
		t.Errorf("log lines %d, crash %v", len(r.Log), r.Crash)
	}
	t.Logf("\n%s", text)
}

func TestReportOnMissingFilesAndSandbox(t *testing.T) {
	dir := t.TempDir()
	r := Collect(context.Background(), FromConfig("", desk.Config{DBPath: filepath.Join(dir, "none", "history.db")}, 0))
	text := r.String()
	for _, want := range []string{"waybilldesk    (unknown)", "mode           sandbox", "appid          (not set)",
		"secret         not set", "(missing)", "[backups]\n(none)", "(empty)"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

func TestMaskAndRedact(t *testing.T) {
	for in, want := range map[string]string{"": "(not set)", "wx1": "***", "wx12345": "wx*****", testAppID: "wx12**********cdef"} {
		if got := MaskAppID(in); got != want {
			t.Errorf("MaskAppID(%q) = %q, want %q", in, got, want)
		}
	}
	if Redact("EncodingAESKey", "abc") != "(hidden)" || Redact("app_secret", "x") != "(hidden)" ||
		Redact("printer", "Zebra") != "Zebra" || Redact("token", "") != "" {
		t.Error("Redact")
	}
}

func TestRotatingLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs", "app.log")
	w, err := OpenLog(path, 100, 2)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x", 39) + "\n" // 40 bytes: two fit in a file
	for i := 0; i < 9; i++ {
		if _, err := w.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	sizes := map[string]int64{}
	for _, n := range []string{"app.log", "app.log.1", "app.log.2", "app.log.3"} {
		if st, err := os.Stat(filepath.Join(filepath.Dir(path), n)); err == nil {
			sizes[n] = st.Size()
		}
	}
	// 9 lines, 2 per file: 1 in the current file, 2 in each of the 2 kept;
	// the rest rotated away.
	if len(sizes) != 3 || sizes["app.log"] != 40 || sizes["app.log.1"] != 80 || sizes["app.log.2"] != 80 {
		t.Fatalf("files after rotation: %v", sizes)
	}
	// Reopening appends to the current file.
	w, _ = OpenLog(path, 100, 2)
	w.Write([]byte(line))
	w.Close()
	if st, _ := os.Stat(path); st.Size() != 80 {
		t.Fatalf("reopened log is %d bytes, want 80", st.Size())
	}
	if got := tailLines(path, 1); len(got) != 1 || got[0] != strings.Repeat("x", 39) {
		t.Fatalf("tail = %q", got)
	}
}

// crashEnv makes the test binary, re-executed by TestCrashOutput, set up
// the crash log at the path it names and then crash.
const crashEnv = "WAYBILLDESK_TEST_CRASH_LOG"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashEnv); path != "" {
		crashNow(path)
	}
	os.Exit(m.Run())
}

// crashNow is what a real crash looks like: a panic in a goroutine that
// nothing recovers, after the program set up its crash log.
func crashNow(path string) {
	if _, err := SetCrashOutput(path); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	go crashingWorker()
	time.Sleep(10 * time.Second)
	os.Exit(4) // not reached: the panic ends the process
}

func crashingWorker() {
	panic("waybilldesk test crash: label queue corrupted")
}

func TestCrashOutput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", CrashFile)
	os.MkdirAll(filepath.Dir(path), 0o700)
	os.WriteFile(path, []byte("an earlier crash\n"), 0o600)
	for round := 1; round <= 2; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+path)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Fatalf("crashing child: %v (want exit status 2 of a Go panic)\n%s", err, out)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got := string(b)
		for _, want := range []string{"an earlier crash\n", "panic: waybilldesk test crash: label queue corrupted",
			"goroutine ", "diag.crashingWorker", "diag_test.go"} {
			if !strings.Contains(got, want) {
				t.Fatalf("crash log lacks %q:\n%s", want, got)
			}
		}
		if n := strings.Count(got, "panic: waybilldesk test crash"); n != round {
			t.Fatalf("crash log has %d crashes after %d, want appended:\n%s", n, round, got)
		}
	}
	// The report shows the end of the crash log.
	r := Collect(context.Background(), Input{DBPath: filepath.Join(filepath.Dir(path), "history.db")})
	if !strings.Contains(strings.Join(r.Crash, "\n"), "label queue corrupted") {
		t.Fatalf("report crash section: %q", r.Crash)
	}
}
