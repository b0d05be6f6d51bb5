package store

import (
	"context"
	"errors"

	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// garblePage overwrites one page of the closed database at path: the root
// page of the index named index, which opening the history never reads.
func garblePage(t *testing.T, path, index string) {
	t.Helper()
	conn, err := openReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	var root, size int64
	if err := conn.QueryRow(`SELECT rootpage FROM sqlite_master WHERE name = ?`, index).Scan(&root); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(`PRAGMA page_size`).Scan(&size); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	junk := make([]byte, size)
	for i := range junk {
		junk[i] = byte(i*13 + 5)
	}
	if _, err := f.WriteAt(junk, (root-1)*size); err != nil {
		t.Fatal(err)
	}
}

// damagedHistory is a closed history of 300 orders with a backup taken
// while it was sound, and then one garbled page.
func damagedHistory(t *testing.T) (path, backup string) {
	t.Helper()
	ctx := context.Background()
	path = filepath.Join(t.TempDir(), "history.db")
	db := bigHistory(t, path, 300)
	res, err := db.DailyBackup(ctx, BackupPolicy{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	garblePage(t, path, "orders_phone_rev")
	return path, res.Path
}

// TestBackgroundCheckFindsDamage: a history with a damaged page opens (the
// check is not on the open path), the background check finds the damage,
// writes stop at once, nothing is written to the file, and the next open
// refuses it naming the backups, until a backup is restored.
func TestBackgroundCheckFindsDamage(t *testing.T) {
	ctx := context.Background()
	path, backup := damagedHistory(t)
	before := fileHash(t, path)

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open before any check: %v", err)
	}
	if !db.CheckDue(time.Now()) {
		t.Fatal("a history never checked is not due for a check")
	}
	rec, err := db.Check(ctx, false, nil)
	if !errors.Is(err, ErrDamaged) || rec.OK() || rec.Kind != "quick_check" {
		t.Fatalf("background check = %+v, %v; want the damage found", rec, err)
	}
	t.Logf("check: %v", err)
	if db.CheckDue(time.Now()) {
		t.Fatal("due again right after a check")
	}
	err = db.CreateOrder(ctx, sampleOrder("WD-after", "李四", "13900001111", time.Now()), Lease{}, time.Now())
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), BackupDir(path)) {
		t.Fatalf("a write after the failed check: %v; want refused naming the backups", err)
	}
	if err := db.SetSetting(ctx, "k", "v"); !errors.Is(err, ErrDamaged) {
		t.Fatalf("a setting written after the failed check: %v", err)
	}
	if err := db.Backup(ctx, filepath.Join(t.TempDir(), "copy.db")); !errors.Is(err, ErrDamaged) {
		t.Fatalf("a backup of the damaged file: %v; want refused", err)
	}
	// Reads that do not touch the damage go on: the operator can still
	// look up and reprint.
	if o, err := db.Order(ctx, "WD-0007"); err != nil || o.OrderID != "WD-0007" {
		t.Fatalf("read an order after the failed check: %v, %v", o, err)
	}
	db.Close()
	if fileHash(t, path) != before {
		t.Fatal("the damaged file was written to")
	}

	_, err = Open(ctx, path)
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), BackupDir(path)) ||
		!strings.Contains(err.Error(), "quick_check") {
		t.Fatalf("open after the failed check: %v; want refused naming the check and the backups", err)
	}
	t.Logf("next open: %v", err)

	// A full check of the still damaged file keeps it refused; restoring
	// the backup makes it open again.
	if _, err := CheckFile(ctx, path, true, nil); !errors.Is(err, ErrDamaged) {
		t.Fatalf("full check of the damaged file: %v", err)
	}
	if _, err := Restore(ctx, path, backup, nil); err != nil {
		t.Fatal(err)
	}
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("open after restoring the backup: %v", err)
	}
	defer db.Close()
	if err := db.CreateOrder(ctx, sampleOrder("WD-restored", "李四", "13900001111", time.Now()), Lease{}, time.Now()); err != nil {
		t.Fatalf("write after restoring: %v", err)
	}
}

// TestDamageAtRunTimeStopsWrites: a query that runs into the damaged page
// stops writes at once and the next open refuses the file.
func TestDamageAtRunTimeStopsWrites(t *testing.T) {
	ctx := context.Background()
	path, _ := damagedHistory(t)
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	// A search by the last digits of a phone walks orders_phone_rev.
	_, err = db.ListOrders(ctx, OrderQuery{Search: "5678"})
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), BackupDir(path)) {
		t.Fatalf("search over the damaged index: %v; want ErrDamaged naming the backups", err)
	}
	for i, write := range []func() error{
		func() error {
			return db.CreateOrder(ctx, sampleOrder("WD-x", "王五", "13700001111", time.Now()), Lease{}, time.Now())
		},
		func() error { return db.SetSetting(ctx, "k", "v") },
	} {
		if err := write(); !errors.Is(err, ErrDamaged) {
			t.Fatalf("write %d after damage: %v", i, err)
		}
	}
	db.Close()
	rec, ok, err := LastCheck(path)
	if err != nil || !ok || rec.OK() || rec.Kind != "runtime" {
		t.Fatalf("recorded check = %+v, %v, %v", rec, ok, err)
	}
	if _, err := Open(ctx, path); !errors.Is(err, ErrDamaged) {
		t.Fatalf("open after damage at run time: %v", err)
	}
}

// TestCheckOfSoundHistory: a sound history passes, the result is kept,
// and a passing full check clears an earlier failure.
func TestCheckOfSoundHistory(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "history.db")
	db := bigHistory(t, path, 20)
	rec, err := db.Check(ctx, false, nil)
	if err != nil || !rec.OK() {
		t.Fatalf("check of a sound history: %+v, %v", rec, err)
	}
	db.Close()
	if err := writeCheckRecord(path, CheckRecord{At: time.Now(), Kind: "runtime", Problem: "disk I/O"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, path); !errors.Is(err, ErrDamaged) {
		t.Fatalf("open with a failure on record: %v", err)
	}
	seen := 0
	rec, err = CheckFile(ctx, path, true, func(time.Duration, time.Duration) { seen++ })
	if err != nil || !rec.OK() || rec.Kind != "integrity_check" {
		t.Fatalf("full check: %+v, %v", rec, err)
	}
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("open after a passing full check: %v", err)
	}
	db.Close()

}
