package cli

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"waybilldesk/store"
)

// TestBackupAndRestoreCommands: back up a history with an order, add
// another, restore the backup: the first order is back alone, and the
// replaced history is kept where restore says.
func TestBackupAndRestoreCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "history.db")
	place := func() string {
		t.Helper()
		out, errOut, code := run(t, "--sandbox", "--db", db, "order", "place", "--file", examplePath(t))
		if code != 0 {
			t.Fatalf("place: exit %d\n%s", code, errOut)
		}
		return regexp.MustCompile(`(?m)^order_id\s+(\S+)$`).FindStringSubmatch(out)[1]
	}
	first := place()
	// A single command waits for no copy of the history: the daily backup
	// is the window's, in the background.
	if daily, _ := filepath.Glob(filepath.Join(dir, "backups", "*.db")); len(daily) != 0 {
		t.Fatalf("daily backups after a command: %v", daily)
	}

	copyFile := filepath.Join(dir, "copies", "before-second.db")
	out, errOut, code := run(t, "--db", db, "backup", "--file", copyFile)
	if code != 0 || !strings.Contains(out, "backed up "+db+" to "+copyFile+" (1 orders, schema ") ||
		!regexp.MustCompile(`(?m)^backup: 100% \(\d+ kB of \d+ kB\)$`).MatchString(errOut) {
		t.Fatalf("backup: exit %d, %q %q", code, out, errOut)
	}
	second := place()

	out, errOut, code = run(t, "--db", db, "restore", "--file", copyFile)
	if code != 0 {
		t.Fatalf("restore: exit %d\n%s", code, errOut)
	}
	m := regexp.MustCompile(`(?m)^restored (.+) from (.+) \(1 orders, schema \d+\)\nthe replaced history is kept at (.+)$`).FindStringSubmatch(out)
	if m == nil || m[1] != db || m[2] != copyFile {
		t.Fatalf("restore printed %q", out)
	}
	kept := m[3]
	if info, err := store.Verify(t.Context(), kept); err != nil || info.Orders != 2 {
		t.Fatalf("kept history %s: %+v, %v", kept, info, err)
	}

	out, _, _ = run(t, "--db", db, "--json", "order", "list")
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || list[0]["order_id"] != first {
		t.Fatalf("orders after restore: %s (want only %s, not %s)", out, first, second)
	}

	// An existing file is not replaced without --force, and stays as it was.
	keptBefore, _ := os.ReadFile(kept)
	_, errOut, code = run(t, "--db", db, "backup", "--file", kept)
	if after, _ := os.ReadFile(kept); code != 1 || !strings.Contains(errOut, "exists") || !strings.Contains(errOut, "--force") ||
		string(after) != string(keptBefore) {
		t.Fatalf("backup over an existing file: exit %d, %q (file changed: %v)", code, errOut, string(after) != string(keptBefore))
	}

	// --json forms.
	out, _, code = run(t, "--db", db, "--json", "backup", "--force", "--file", copyFile)
	var b map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &b) != nil || b["orders"] != 1.0 || b["file"] != copyFile {
		t.Fatalf("backup --json: %s", out)
	}
	out, _, code = run(t, "--db", db, "--json", "restore", "--file", copyFile)
	if code != 0 || json.Unmarshal([]byte(out), &b) != nil || b["kept_at"] == "" || b["history"] != db {
		t.Fatalf("restore --json: %s", out)
	}
}

// TestCheckCommand: check passes on a sound history; on one with a
// damaged page it fails naming the backups, and from then on the history
// is refused, until a backup is restored.
func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "history.db")
	if _, errOut, code := run(t, "--sandbox", "--db", db, "order", "place", "--file", examplePath(t)); code != 0 {
		t.Fatal(errOut)
	}
	out, errOut, code := run(t, "--db", db, "check")
	if code != 0 || !strings.Contains(out, db+": quick_check passed in ") {
		t.Fatalf("check: exit %d, %q %q", code, out, errOut)
	}
	good := filepath.Join(dir, "good.db")
	if _, errOut, code := run(t, "--db", db, "backup", "--file", good); code != 0 {
		t.Fatal(errOut)
	}
	garbleIndexPage(t, db, "orders_phone_rev")
	out, errOut, code = run(t, "--db", db, "--json", "check")
	var rep map[string]any
	if code != 1 || json.Unmarshal([]byte(out), &rep) != nil || rep["ok"] != false ||
		!strings.Contains(errOut, "the database is damaged") || !strings.Contains(errOut, filepath.Join(dir, "backups")) {
		t.Fatalf("check of a damaged history: exit %d, %q %q", code, out, errOut)
	}
	before, _ := os.ReadFile(db)
	_, errOut, code = run(t, "--sandbox", "--db", db, "order", "list")
	if code != 1 || !strings.Contains(errOut, "quick_check") || !strings.Contains(errOut, "restore a backup") {
		t.Fatalf("a command on the damaged history: exit %d, %q", code, errOut)
	}
	if after, _ := os.ReadFile(db); string(after) != string(before) {
		t.Fatal("the damaged history was written to")
	}
	if _, errOut, code := run(t, "--db", db, "restore", "--file", good); code != 0 {
		t.Fatal(errOut)
	}
	if _, errOut, code := run(t, "--sandbox", "--db", db, "order", "list"); code != 0 {
		t.Fatalf("order list after the restore: %s", errOut)
	}
}

// garbleIndexPage overwrites the root page of an index of the closed
// history at path with junk.
func garbleIndexPage(t *testing.T, path, index string) {
	t.Helper()
	conn, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var root int64
	if err := conn.QueryRow(`SELECT rootpage FROM sqlite_master WHERE name = ?`, index).Scan(&root); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte(strings.Repeat("\xa5junk", 4096/5)), (root-1)*4096); err != nil {
		t.Fatal(err)
	}
}

func TestRestoreRefusesDamagedBackupAndChangesNothing(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "history.db")
	if _, errOut, code := run(t, "--sandbox", "--db", db, "order", "place", "--file", examplePath(t)); code != 0 {
		t.Fatal(errOut)
	}
	before, _ := os.ReadFile(db)
	bad := filepath.Join(dir, "bad.db")
	os.WriteFile(bad, []byte("SQLite format 3\x00 but then garbage"), 0o600)
	_, errOut, code := run(t, "--db", db, "restore", "--file", bad)
	if code != 1 || !strings.Contains(errOut, "the backup cannot be used, nothing was changed") {
		t.Fatalf("restore of a damaged file: exit %d, %q", code, errOut)
	}
	if after, _ := os.ReadFile(db); string(after) != string(before) {
		t.Fatal("the history changed")
	}
	if _, errOut, code := run(t, "--db", db, "restore", "--file", filepath.Join(dir, "nope.db")); code != 1 || !strings.Contains(errOut, "nope.db") {
		t.Fatalf("restore of a missing file: exit %d, %q", code, errOut)
	}
}

func TestBackupUsage(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"backup"}, {"restore"}, {"backup", "x.db"}, {"restore", "--file"}} {
		if _, errOut, code := run(t, append([]string{"--db", filepath.Join(dir, "h.db")}, args...)...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, %q; want 2 and a message", args, code, errOut)
		}
	}
	// No history there: backup says so and creates nothing.
	_, errOut, code := run(t, "--db", filepath.Join(dir, "h.db"), "backup", "--file", filepath.Join(dir, "b.db"))
	if code != 1 || !strings.Contains(errOut, "no history at") {
		t.Fatalf("backup without a history: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "h.db")); !os.IsNotExist(err) {
		t.Fatal("backup created a history")
	}
}

func TestVersionFlagAndCommand(t *testing.T) {
	old := Version
	Version = "v9.8.7-3-gdeadbee-dirty"
	defer func() { Version = old }()
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
		out, errOut, code := run(t, args...)
		if code != 0 || out != "waybilldesk v9.8.7-3-gdeadbee-dirty\n" {
			t.Errorf("%v: exit %d, %q %q", args, code, out, errOut)
		}
	}
}

func TestDiagCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "history.db")
	os.WriteFile(filepath.Join(dir, "waybilldesk.log"), []byte("level=INFO msg=hello\n"), 0o600)
	out, errOut, code := run(t, "--db", db, "--appid", "wx1234567890abcdef", "--secret", "topsecretvalue123", "diag")
	if code != 0 {
		t.Fatalf("diag: %d %s", code, errOut)
	}
	for _, want := range []string{"[versions]", "sqlite", "appid          wx12**********cdef", "secret         set (hidden)",
		"history        " + db + " (missing)", "msg=hello"} {
		if !strings.Contains(out, want) {
			t.Errorf("diag lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "topsecretvalue123") || strings.Contains(out, "wx1234567890abcdef") {
		t.Fatalf("diag leaks a secret:\n%s", out)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatal("diag created the history")
	}
}

func TestPeek(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "cfg"))
	tests := []struct {
		args   []string
		dir    string
		window bool
		ok     bool
	}{
		{nil, filepath.Join(home, "cfg", "waybilldesk"), true, true},
		{[]string{"--sandbox"}, filepath.Join(home, "cfg", "waybilldesk"), true, true},
		{[]string{"--db", "/x/y/h.db"}, "/x/y", true, true},
		{[]string{"--db", "/x/y/h.db", "order", "list"}, "/x/y", false, true},
		{[]string{"--version"}, filepath.Join(home, "cfg", "waybilldesk"), false, true},
		{[]string{"help"}, filepath.Join(home, "cfg", "waybilldesk"), false, true},
		{[]string{"--nope"}, "", false, false},
	}
	for _, tt := range tests {
		dir, window, ok := peek(tt.args)
		if dir != tt.dir || window != tt.window || ok != tt.ok {
			t.Errorf("peek(%q) = %q %v %v, want %q %v %v", tt.args, dir, window, ok, tt.dir, tt.window, tt.ok)
		}
		if OpensWindow(tt.args) != (tt.window && tt.ok) {
			t.Errorf("OpensWindow(%q)", tt.args)
		}
	}
}
