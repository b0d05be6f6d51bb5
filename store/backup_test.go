package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"waybilldesk/internal/diskfree"
)

// v1Orders are the rows the first-schema history is made with: one of
// each status a v1 program wrote, with Chinese text and a stored label.
var v1Orders = []struct {
	id, status, waybill, name, phone, html string
}{
	{"WD-V1-1", StatusPlaced, "SF1000000001", "张三", "13812345678", "PGh0bWw+PC9odG1sPg=="},
	{"WD-V1-2", StatusFailed, "", "李四", "13900000000", ""},
	{"WD-V1-3", StatusSubmitting, "", "王小蒙", "18610000000", ""},
}

// makeV1History writes a history exactly as the first released program
// did: the frozen schema 1 SQL, its rows, user_version 1.
func makeV1History(t *testing.T, path string) {
	t.Helper()
	schema, err := os.ReadFile(filepath.Join("testdata", "schema_v1.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	conn, err := sql.Open("sqlite3", DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Exec(string(schema)); err != nil {
		t.Fatalf("schema 1: %v", err)
	}
	at := time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC).UnixMilli()
	for i, o := range v1Orders {
		_, err := conn.Exec(`INSERT INTO orders (order_id, delivery_id, biz_id, service_type, service_name, status,
			waybill_id, waybill_data, print_html, request, receiver_name, receiver_phone, receiver_city,
			error_code, error_msg, created_at, updated_at)
			VALUES (?, 'SF', 'SF_CASH', 0, '标准快递', ?, ?, '[{"key":"sortingCode","value":"571-D01"}]', ?, ?, ?, ?, '杭州市', 0, '', ?, ?)`,
			o.id, o.status, o.waybill, o.html, `{"order_id":"`+o.id+`"}`, o.name, o.phone, at+int64(i), at+int64(i))
		if err != nil {
			t.Fatalf("insert %s: %v", o.id, err)
		}
	}
	if _, err := conn.Exec("PRAGMA user_version = 1"); err != nil {
		t.Fatal(err)
	}
}

// checkV1Rows fails unless db holds exactly the v1 orders, field for field.
func checkV1Rows(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	for _, want := range v1Orders {
		o, err := db.Order(ctx, want.id)
		if err != nil {
			t.Fatalf("order %s after upgrade: %v", want.id, err)
		}
		if o.Status != want.status || o.WaybillID != want.waybill || o.ReceiverName != want.name ||
			o.ReceiverPhone != want.phone || o.PrintHTML != want.html || o.ReceiverCity != "杭州市" ||
			len(o.WaybillData) != 1 || o.WaybillData[0].Value != "571-D01" || string(o.Request) != `{"order_id":"`+want.id+`"}` {
			t.Fatalf("order %s after upgrade = %+v", want.id, o)
		}
	}
	var n int
	if err := db.sql.QueryRow("SELECT count(*) FROM orders").Scan(&n); err != nil || n != len(v1Orders) {
		t.Fatalf("orders after upgrade: %d, %v; want %d", n, err, len(v1Orders))
	}
}

func schemaOf(t *testing.T, db *DB) int {
	t.Helper()
	var v int
	if err := db.sql.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestFirstMigrationIsFrozen pins migrations[0] to the released schema 1:
// an edit to a released migration would leave existing histories with a
// schema that no longer matches the code.
func TestFirstMigrationIsFrozen(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "schema_v1.sql"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			lines = append(lines, l)
		}
	}
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	if norm(strings.Join(lines, "\n")) != norm(migrations[0]) {
		t.Fatalf("migrations[0] differs from the released schema 1 in testdata/schema_v1.sql: add a migration instead of editing it")
	}
}

// TestUpgradeFromFirstSchemaThenRestore is the promise: a history
// made by the first released schema opens with the current program,
// migrated, rows intact, with a backup taken before the migration; that
// backup restores and opens (migrating again) with the same rows.
func TestUpgradeFromFirstSchemaThenRestore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "history.db")
	makeV1History(t, path)

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open a schema 1 history: %v", err)
	}
	if v := schemaOf(t, db); v != SchemaVersion() {
		t.Fatalf("schema after open = %d, want %d", v, SchemaVersion())
	}
	checkV1Rows(t, db)

	backups, _ := filepath.Glob(filepath.Join(dir, BackupDirName, "history-v1-*.db"))
	if len(backups) != 1 {
		t.Fatalf("pre-migration backups: %v, want one history-v1-<time>.db", backups)
	}
	pre := backups[0]
	if !regexp.MustCompile(`history-v1-\d{8}-\d{6}\.db$`).MatchString(pre) {
		t.Fatalf("backup name %s", pre)
	}
	info, err := Verify(ctx, pre)
	if err != nil || info.Schema != 1 || info.Orders != len(v1Orders) {
		t.Fatalf("pre-migration backup: %+v, %v; want a valid schema 1 history with %d orders", info, err, len(v1Orders))
	}
	// A second open of the now-current history takes no new backup.
	db.Close()
	if db, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	if again, _ := filepath.Glob(filepath.Join(dir, BackupDirName, "*.db")); len(again) != 1 {
		t.Fatalf("backups after reopening a current history: %v", again)
	}
	// Work done after the upgrade, which the restore will take back.
	if err := db.CreateOrder(ctx, sampleOrder("WD-NEW", "赵六", "13700000000", time.Now()), Lease{}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, path, pre, nil); !errors.Is(err, ErrInUse) {
		t.Fatalf("restore over an open history: %v, want ErrInUse", err)
	}
	db.Close()

	res, err := Restore(ctx, path, pre, nil)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if res.Replaced != path || res.Schema != 1 || res.Orders != len(v1Orders) ||
		!strings.HasPrefix(filepath.Base(res.KeptAt), "history.db.before-restore-") {
		t.Fatalf("restore info %+v", res)
	}
	kept, err := Verify(ctx, res.KeptAt)
	if err != nil || kept.Orders != len(v1Orders)+1 || kept.Schema != SchemaVersion() {
		t.Fatalf("the replaced history kept at %s: %+v, %v", res.KeptAt, kept, err)
	}
	if _, err := os.Stat(pre); err != nil {
		t.Fatalf("the backup itself is gone after restoring it: %v", err)
	}

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("open the restored history: %v", err)
	}
	defer db.Close()
	if v := schemaOf(t, db); v != SchemaVersion() {
		t.Fatalf("schema of the restored history after open = %d", v)
	}
	checkV1Rows(t, db)
	if _, err := db.Order(ctx, "WD-NEW"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("order made after the backup is still there: %v", err)
	}
}

// garble damages a copy of a good backup in one of the ways a disk, a
// USB stick or an interrupted copy does.
func garble(t *testing.T, good, to, how string) {
	t.Helper()
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	switch how {
	case "truncated":
		b = b[:len(b)/2]
	case "garbled pages":
		// Overwrite everything after the first page (the schema) with a
		// pattern: every table and index page is then nonsense.
		for i := 4096; i < len(b); i++ {
			b[i] = byte(i * 7)
		}
	case "garbled header":
		copy(b, "this is not the sqlite header...")
	case "not a database":
		b = []byte("order_id,waybill_id\nWD-1,SF1\n")
	case "empty":
		b = nil
	default:
		t.Fatalf("unknown damage %q", how)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// bigHistory fills a history with enough orders that its tables span
// many pages, so garbling pages hits table and index data.
func bigHistory(t *testing.T, path string, n int) *DB {
	t.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		o := sampleOrder(fmt.Sprintf("WD-%04d", i), "张三", "13812345678", time.Now())
		if err := db.CreateOrder(context.Background(), o, Lease{}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func TestRestoreRefusesDamagedBackup(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "history.db")
	db := bigHistory(t, path, 300)
	good := filepath.Join(dir, "good.db")
	if err := db.Backup(ctx, good); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before := fileHash(t, path)
	for _, how := range []string{"truncated", "garbled pages", "garbled header", "not a database", "empty"} {
		t.Run(how, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "bad.db")
			garble(t, good, bad, how)
			_, err := Restore(ctx, path, bad, nil)
			if err == nil {
				t.Fatal("restored a damaged backup")
			}
			if !strings.Contains(err.Error(), "the backup cannot be used, nothing was changed") {
				t.Fatalf("error does not say the backup is unusable: %v", err)
			}
			if how != "empty" && !errors.Is(err, ErrDamaged) {
				t.Fatalf("error does not wrap ErrDamaged: %v", err)
			}
			t.Logf("%s: %v", how, err)
			if fileHash(t, path) != before {
				t.Fatal("the current history changed")
			}
			if left, _ := filepath.Glob(filepath.Join(dir, "history.db.*")); len(left) != 0 {
				t.Fatalf("files left beside the history: %v", left)
			}
		})
	}
	if _, err := Restore(ctx, path, filepath.Join(dir, "missing.db"), nil); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("restore from a missing file: %v", err)
	}
	if _, err := Restore(ctx, path, path, nil); err == nil {
		t.Fatal("restored the history over itself")
	}
	if fileHash(t, path) != before {
		t.Fatal("the current history changed")
	}
}

func TestRestoreRefusesForeignOrNewerFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "history.db")
	openDB := func(p string) *sql.DB {
		c, err := sql.Open("sqlite3", DSN(p))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	other := filepath.Join(dir, "other.db")
	c := openDB(other)
	c.Exec("CREATE TABLE notes (x TEXT)")
	c.Close()
	if _, err := Restore(ctx, path, other, nil); err == nil || !strings.Contains(err.Error(), "not a Waybill Desk history") {
		t.Fatalf("restore of another program's database: %v", err)
	}
	newer := filepath.Join(dir, "newer.db")
	db := bigHistory(t, newer, 1)
	db.sql.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion()+1))
	db.Close()
	if _, err := Restore(ctx, path, newer, nil); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("restore of a backup from a newer program: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused restore created the history: %v", err)
	}
}

// TestRestoreKeepsUncheckpointedWAL: a history whose last writes are
// still in its -wal file (the program was killed) is kept complete.
func TestRestoreWithoutPreviousAndWithWAL(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := bigHistory(t, filepath.Join(dir, "src.db"), 5)
	backup := filepath.Join(dir, "b.db")
	if err := src.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	src.Close()

	// No history yet: restore just puts the backup in place.
	path := filepath.Join(dir, "new", "history.db")
	res, err := Restore(ctx, path, backup, nil)
	if err != nil || res.KeptAt != "" || res.Orders != 5 {
		t.Fatalf("restore into an empty folder: %+v, %v", res, err)
	}

	// A history with writes only in its -wal: copy the files of an open
	// database, as a crash would leave them.
	live := bigHistory(t, filepath.Join(dir, "live.db"), 7)
	if _, err := os.Stat(live.path + "-wal"); err != nil {
		t.Fatalf("expected a -wal file: %v", err)
	}
	crashed := filepath.Join(dir, "crashed", "history.db")
	os.MkdirAll(filepath.Dir(crashed), 0o700)
	for _, s := range []string{"", "-wal"} {
		b, err := os.ReadFile(live.path + s)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(crashed+s, b, 0o600)
	}
	live.Close()
	res, err = Restore(ctx, crashed, backup, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(crashed + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the old -wal is still beside the restored history: %v", err)
	}
	kept, err := Verify(ctx, res.KeptAt)
	if err != nil || kept.Orders != 7 {
		t.Fatalf("kept history with its -wal: %+v, %v; want 7 orders", kept, err)
	}
	db, err := Open(ctx, crashed)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	list, err := db.ListOrders(ctx, OrderQuery{Limit: 100})
	if err != nil || len(list) != 5 {
		t.Fatalf("restored history lists %d orders, %v; want 5", len(list), err)
	}
}

// TestBackupIsConsistentWhileOpen: Backup copies committed rows that are
// still only in the -wal file, and the copy is a single file.
func TestBackupIsConsistentWhileOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := bigHistory(t, filepath.Join(dir, "history.db"), 20)
	defer db.Close()
	out := filepath.Join(dir, "copies", "copy.db")
	if err := db.Backup(ctx, out); err != nil {
		t.Fatal(err)
	}
	info, err := Verify(ctx, out)
	if err != nil || info.Orders != 20 || info.Schema != SchemaVersion() {
		t.Fatalf("backup: %+v, %v", info, err)
	}
	// Writing over an existing backup replaces it whole.
	db.CreateOrder(ctx, sampleOrder("WD-LATE", "钱七", "13600000000", time.Now()), Lease{}, time.Now())
	if err := db.Backup(ctx, out); err != nil {
		t.Fatal(err)
	}
	if info, _ := Verify(ctx, out); info.Orders != 21 {
		t.Fatalf("second backup has %d orders", info.Orders)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "copies", ".*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	if err := db.Backup(ctx, db.Path()); err == nil {
		t.Fatal("backed up the history over itself")
	}
}

// TestBackupDoesNotStopWriters: while a backup copies, the history takes
// writes (the window places, the queue prints) and they neither wait for
// the copy nor make it start over; the copy is the history as it was when
// the backup started, and its progress reaches the whole.
func TestBackupDoesNotStopWriters(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := bigHistory(t, filepath.Join(dir, "history.db"), 200)
	defer db.Close()
	step := copyStep
	copyStep = 4 // pages per step: many steps even on a small history
	defer func() { copyStep = step }()
	out := filepath.Join(dir, "copy.db")
	var calls, written int
	var last, whole int64
	var slowest time.Duration
	err := db.BackupWithProgress(ctx, out, func(done, total int64) {
		calls++
		last, whole = done, total
		if done*2 >= total && written < 3 {
			// Mid-copy, on the history's own connection.
			t0 := time.Now()
			id := fmt.Sprintf("WD-DURING-%d", written)
			if err := db.CreateOrder(ctx, sampleOrder(id, "赵六", "13700000000", time.Now()), Lease{}, time.Now()); err != nil {
				t.Errorf("write during the backup: %v", err)
			}
			slowest = max(slowest, time.Since(t0))
			written++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if written != 3 || calls < 10 || last != whole {
		t.Fatalf("progress: %d calls, %d writes during the copy, last %d of %d", calls, written, last, whole)
	}
	t.Logf("%d steps; slowest write during the copy %v", calls, slowest)
	if slowest > time.Second {
		t.Errorf("a write waited %v for the backup", slowest)
	}
	info, err := Verify(ctx, out)
	if err != nil || info.Orders != 200 {
		t.Fatalf("the copy: %+v, %v; want the 200 orders of its start", info, err)
	}
	if n, _ := db.CountOrders(ctx, OrderQuery{}); n != 203 {
		t.Fatalf("the history holds %d orders, want 203", n)
	}
}

// TestOpenRefusesDamagedHistory: a damaged history is not opened (and not
// migrated or written), and the error says what to do.
func TestOpenRefusesDamagedHistory(t *testing.T) {
	ctx := context.Background()
	for _, how := range []string{"garbled pages", "garbled header"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			// A closed history in WAL mode, as the program leaves it.
			db := bigHistory(t, filepath.Join(dir, "good.db"), 300)
			db.Close()
			path := filepath.Join(dir, "history.db")
			garble(t, filepath.Join(dir, "good.db"), path, how)
			before := fileHash(t, path)
			_, err := Open(ctx, path)
			if err == nil {
				t.Fatal("opened a damaged history")
			}
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "restore a backup") ||
				!strings.Contains(err.Error(), BackupDir(path)) {
				t.Fatalf("error = %v; want ErrDamaged with the way to restore", err)
			}
			t.Logf("%v", err)
			if fileHash(t, path) != before {
				t.Fatal("open changed the damaged file")
			}
		})
	}
}

// TestDailyBackupKeepsCountAndBudget: daily copies are kept by count and
// by disk budget; the newest pre-migration copy always stays, older ones
// go; another history's copies and other files are left alone; a copy
// that cannot fit is not written, and says so.
func TestDailyBackupKeepsCountAndBudget(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := bigHistory(t, filepath.Join(dir, "history.db"), 3)
	defer db.Close()
	bdir := BackupDir(db.Path())
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.Local)
	names := func() string {
		entries, _ := os.ReadDir(bdir)
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return strings.Join(out, " ")
	}

	// Ten days of backups, one a day, keeping 3 (the default).
	for d := 0; d < 10; d++ {
		day := now.AddDate(0, 0, d-9)
		res, err := db.dailyBackup(ctx, BackupPolicy{}, nil, day)
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(bdir, "history-"+day.Format("20060102")+".db"); res.Path != want {
			t.Fatalf("day %d wrote %q, want %q", d, res.Path, want)
		}
	}
	if got, want := names(), "history-20261120.db history-20261121.db history-20261122.db"; got != want {
		t.Fatalf("after ten days the folder holds %s, want %s", got, want)
	}
	// A second call on the same day writes nothing.
	if res, err := db.dailyBackup(ctx, BackupPolicy{}, nil, now.Add(5*time.Hour)); err != nil || res.Path != "" {
		t.Fatalf("second backup the same day: %+v, %v", res, err)
	}
	// The newest pre-migration copy stays, an older one goes; another
	// history's copies and other files are not this history's to prune; a
	// stale temporary file from a crash is removed.
	for i, name := range []string{"history-v1-20250101-000000.db", "history-v8-20260101-000000.db"} {
		p := filepath.Join(bdir, name)
		os.WriteFile(p, []byte("x"), 0o600)
		at := now.AddDate(0, -2+i, 0)
		os.Chtimes(p, at, at)
	}
	os.WriteFile(filepath.Join(bdir, "history-sandbox-20261101.db"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(bdir, "notes.txt"), []byte("x"), 0o600)
	stale := filepath.Join(bdir, ".history-20261121.db.123.tmp")
	os.WriteFile(stale, []byte("x"), 0o600)
	old := now.Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)
	if _, err := db.dailyBackup(ctx, BackupPolicy{}, nil, now.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	want := "history-20261121.db history-20261122.db history-20261123.db history-sandbox-20261101.db history-v8-20260101-000000.db notes.txt"
	if got := names(); got != want {
		t.Fatalf("backup folder holds %s, want %s", got, want)
	}
	if info, err := Verify(ctx, filepath.Join(bdir, "history-20261123.db")); err != nil || info.Orders != 3 {
		t.Fatalf("daily backup: %+v, %v", info, err)
	}

	// A budget of two and a half copies keeps two, whatever Keep says.
	size, err := db.copySize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	free, err := diskfree.Bytes(bdir)
	if err != nil {
		t.Fatal(err)
	}
	var held int64
	files, _ := listBackupFiles(bdir, "history")
	for _, f := range files.all {
		held += f.size
	}
	share := float64(held-3*size+size*5/2) / float64(free+held) // the 3 dailies held make way for 2.5
	res, err := db.dailyBackup(ctx, BackupPolicy{Keep: 10, Share: share}, nil, now.AddDate(0, 0, 2))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != 2 || res.Path == "" {
		t.Fatalf("within a budget of 2.5 copies: %+v", res)
	}
	if got, want := names(), "history-20261123.db history-20261124.db history-sandbox-20261101.db history-v8-20260101-000000.db notes.txt"; got != want {
		t.Fatalf("backup folder holds %s, want %s", got, want)
	}

	// A budget smaller than what is held already: the copies over it go,
	// oldest first, but never the newest pre-migration one.
	res, err = db.dailyBackup(ctx, BackupPolicy{Share: 1e-12}, nil, now.AddDate(0, 0, 3))
	if !errors.Is(err, ErrBackupBudget) || len(res.Removed) != 2 || res.Path != "" {
		t.Fatalf("copies beyond the budget: %+v, %v", res, err)
	}
	if got, want := names(), "history-sandbox-20261101.db history-v8-20260101-000000.db notes.txt"; got != want {
		t.Fatalf("backup folder holds %s, want %s", got, want)
	}
	// A budget that holds what is there but not one more copy: nothing is
	// written, nothing is deleted, and the reason is given.
	before := names()
	files, _ = listBackupFiles(bdir, "history")
	held = 0
	for _, f := range files.all {
		held += f.size
	}
	share = float64(held+size/2) / float64(free+held)
	res, err = db.dailyBackup(ctx, BackupPolicy{Share: share}, nil, now.AddDate(0, 0, 3))
	if !errors.Is(err, ErrBackupBudget) || res.Path != "" || res.Skipped == "" || len(res.Removed) != 0 {
		t.Fatalf("copy beyond the budget: %+v, %v", res, err)
	}
	t.Logf("%v", err)
	if got := names(); got != before {
		t.Fatalf("the folder changed from %s to %s", before, got)
	}

	// The exported form writes today's file.
	res, err = db.DailyBackup(ctx, BackupPolicy{Dir: t.TempDir()}, nil)
	if err != nil || !strings.HasSuffix(res.Path, "history-"+time.Now().Format("20060102")+".db") {
		t.Fatalf("DailyBackup = %+v, %v", res, err)
	}
}

func TestSQLiteVersion(t *testing.T) {
	if v := SQLiteVersion(); !regexp.MustCompile(`^3\.\d+\.\d+$`).MatchString(v) {
		t.Fatalf("SQLiteVersion = %q", v)
	}
}

// TestMeasureBigHistory times the start-up check, the backups and the
// restore on a 100k-order history with realistic labels (print_html of
// ~16 KB each, about 1.9 GB in all), and a schema 1 upgrade of 10k orders.
// It takes minutes and needs that much disk, so it runs only with
// WAYBILLDESK_MEASURE=1; its numbers decided backgroundCheck (quick_check).
func TestMeasureBigHistory(t *testing.T) {
	if os.Getenv("WAYBILLDESK_MEASURE") == "" {
		t.Skip("set WAYBILLDESK_MEASURE=1 to time checks and backups on a 100k-order history")
	}
	ctx := context.Background()
	dir := t.TempDir()
	timed := func(what string, f func() error) {
		t.Helper()
		start := time.Now()
		if err := f(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		t.Logf("%-52s %v", what, time.Since(start).Round(time.Millisecond))
	}
	label := strings.Repeat("PGRpdiBjbGFzcz0ibGFiZWwiPjxzdmc+PHJlY3QgeD0iMSIgeT0iMiIgd2lkdGg9IjIiLz48L3N2Zz48L2Rpdj4K", 200) // 16.8 KB
	fill := func(path string, n int, current bool) {
		conn, err := sql.Open("sqlite3", DSN(path))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		extra, extraV := "", ""
		if current {
			// Rows as the current program writes them, already indexed for
			// search, so Open has nothing to catch up on.
			extra, extraV = ", search_v", fmt.Sprintf(", %d", searchVersion)
		}
		tx, _ := conn.Begin()
		at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("WD%08d", i)
			if _, err := tx.Exec(`INSERT INTO orders (order_id, delivery_id, biz_id, service_type, service_name, status,
				waybill_id, print_html, request, receiver_name, receiver_phone, receiver_city, created_at, updated_at`+extra+`)
				VALUES (?, 'SF', 'SF_CASH', 0, '标准快递', 'placed', ?, ?, ?, ?, ?, '杭州市', ?, ?`+extraV+`)`,
				id, fmt.Sprintf("SF%010d", i), label, `{"order_id":"`+id+`"}`, fmt.Sprintf("收件人%d", i%997),
				fmt.Sprintf("138%08d", i), at+int64(i)*60000, at+int64(i)*60000); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}

	path := filepath.Join(dir, "history.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	timed("build a current history of 100k orders", func() error { fill(path, 100_000, true); return nil })
	st, _ := os.Stat(path)
	t.Logf("history: %.0f MB", float64(st.Size())/1e6)
	timed("Open", func() (err error) { db, err = Open(ctx, path); return })
	timed("PRAGMA quick_check", func() error { return checkIntegrity(ctx, db.sql, "quick_check") })
	timed("PRAGMA integrity_check", func() error { return checkIntegrity(ctx, db.sql, "integrity_check") })
	b := filepath.Join(dir, "b.db")
	timed("Backup (page copy)", func() error { return db.Backup(ctx, b) })
	timed("DailyBackup when today's exists", func() error {
		os.MkdirAll(BackupDir(path), 0o700)
		os.Link(b, filepath.Join(BackupDir(path), "history-"+time.Now().Format("20060102")+".db"))
		_, err := db.DailyBackup(ctx, BackupPolicy{}, nil)
		return err
	})
	timed("Verify backup (integrity_check)", func() error { _, err := Verify(ctx, b); return err })
	db.Close()
	timed("Restore (verify + copy + swap)", func() error { _, err := Restore(ctx, path, b, nil); return err })
	os.RemoveAll(dir)

	dir = t.TempDir()
	v1 := filepath.Join(dir, "history.db")
	makeV1History(t, v1)
	fill(v1, 10_000, false)
	timed("Open schema 1 history of 10k orders (backup, migrate, index)", func() (err error) { db, err = Open(ctx, v1); return })
	db.Close()
}

// TestBackupCutOffLeavesNothing: a backup stopped half way (the window
// closed, the command interrupted) leaves no file at the target and no
// temporary beside it, and an earlier backup there is kept whole.
func TestBackupCutOffLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	db := bigHistory(t, filepath.Join(dir, "history.db"), 200)
	defer db.Close()
	step := copyStep
	copyStep = 4
	defer func() { copyStep = step }()
	out := filepath.Join(dir, "copies", "copy.db")
	if err := db.Backup(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	before := fileHash(t, out)
	db.CreateOrder(context.Background(), sampleOrder("WD-LATER", "钱七", "13600000000", time.Now()), Lease{}, time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := db.BackupWithProgress(ctx, out, func(done, total int64) {
		if done*2 >= total {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a backup cut off half way: %v", err)
	}
	if fileHash(t, out) != before {
		t.Fatal("the earlier backup was changed by the one cut off")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "copies", ".*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
