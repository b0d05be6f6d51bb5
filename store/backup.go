package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// ErrDamaged means a database file fails SQLite's integrity check or is not
// a database at all. The history is then not opened (writing to a damaged
// file can spread the damage); the user restores a backup instead.
var ErrDamaged = errors.New("the database is damaged")

// BackupDirName is the folder, beside the history file, that holds the
// daily backups and the ones taken before each schema migration.
const BackupDirName = "backups"

// backgroundCheck is the daily integrity check (see Check). quick_check
// finds the same page-level damage as integrity_check (bad pages, broken
// b-trees, wrong page counts) but skips comparing every index entry with
// its table row, which is what makes integrity_check slow: several times
// faster on a big history (backup_test.go's BenchmarkStartupCheck).
// Restore still runs the full integrity_check, because a backup is checked
// once and then trusted.
const backgroundCheck = "quick_check"

// BackupDir is the folder of the automatic backups of the history at dbPath.
func BackupDir(dbPath string) string {
	return filepath.Join(filepath.Dir(dbPath), BackupDirName)
}

// SQLiteVersion is the version of the SQLite library compiled into the
// program (go-sqlite3 bundles its own), for diagnostics.
func SQLiteVersion() string { return sqliteVersion() }

// copyStep is how many pages (4 MiB of 4 KiB pages) one step of a copy
// moves: small enough that cancelling and progress answer within a few
// milliseconds. A variable so that a test can take many small steps.
var copyStep = 1024

// Progress is told how far a long copy has come, in bytes.
type Progress func(done, total int64)

// Backup writes a consistent copy of the history to path while it stays
// open; see BackupWithProgress.
func (db *DB) Backup(ctx context.Context, path string) error {
	return db.BackupWithProgress(ctx, path, nil)
}

// BackupWithProgress writes a consistent copy of the history to path while
// it stays open, telling progress how far it is. The pages are copied
// from one snapshot (WAL-safe: committed transactions still in the -wal
// file are included, later writes are not) through a read-only connection
// of its own, so the window and the print queue go on writing meanwhile,
// and the result is one self-contained file with no -wal beside it. The
// copy is written to a temporary file in path's folder and renamed over
// path only when complete, so path is never a half-written database, even
// after a crash.
func (db *DB) BackupWithProgress(ctx context.Context, path string, progress Progress) error {
	if path == "" {
		return errors.New("back up history: no file name")
	}
	if same, err := samePath(path, db.path); err != nil {
		return fmt.Errorf("back up history to %s: %w", path, err)
	} else if same {
		return fmt.Errorf("back up history to %s: that is the history file itself", path)
	}
	if err := db.health.refuseWrites(); err != nil {
		// A copy of a damaged file would replace a good backup with a bad one.
		return fmt.Errorf("back up history to %s: %w", path, err)
	}
	src := openGuarded(readOnlyDSN(db.path), db.health)
	defer src.Close()
	if err := copyInto(ctx, src, path, progress); err != nil {
		return fmt.Errorf("back up history to %s: %w", path, err)
	}
	return nil
}

// copyInto copies the database read through src into path by way of a
// temporary file beside it, fsyncs the copy and renames it into place.
func copyInto(ctx context.Context, src *sql.DB, path string, progress Progress) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	// A unique name; the dot keeps it out of casual listings, and a crash
	// leaves it to pruneTemporary.
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(tmp)
			os.Remove(tmp + "-journal")
		}
	}()
	if err := copyPages(ctx, src, tmp, progress); err != nil {
		return fmt.Errorf("copy the database: %w", err)
	}
	// The copy is written without syncs (it is a new file); a backup that
	// a power cut can lose is no backup, so sync it once, whole.
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// Integrity runs SQLite's full PRAGMA integrity_check on the open history.
// The result wraps ErrDamaged when the file has a problem.
func (db *DB) Integrity(ctx context.Context) error {
	return checkIntegrity(ctx, db.sql, "integrity_check")
}

// checkIntegrity runs pragma (integrity_check or quick_check) and turns
// anything but "ok" into an error that wraps ErrDamaged and quotes the
// first problems SQLite lists.
func checkIntegrity(ctx context.Context, conn *sql.DB, pragma string) error {
	rows, err := conn.QueryContext(ctx, "PRAGMA "+pragma)
	if err != nil {
		return damaged(fmt.Errorf("%s: %w", pragma, err))
	}
	defer rows.Close()
	var problems []string
	n := 0
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return damaged(fmt.Errorf("%s: %w", pragma, err))
		}
		if line == "ok" {
			continue
		}
		n++
		if len(problems) < 3 {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return damaged(fmt.Errorf("%s: %w", pragma, err))
	}
	if n > 0 {
		more := ""
		if n > len(problems) {
			more = fmt.Sprintf(" (and %d more)", n-len(problems))
		}
		return fmt.Errorf("%w: %s found: %s%s", ErrDamaged, pragma, strings.Join(problems, "; "), more)
	}
	return nil
}

// damaged wraps ErrDamaged around SQLite's "not a database" and
// "malformed" errors, so callers can tell a broken file from, say, a full
// disk; other errors are returned as they are.
func damaged(err error) error {
	if isDamage(err) && !errors.Is(err, ErrDamaged) {
		return fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	return err
}

// damageHint is appended to the error of a damaged history: the user's
// way out, since the program will not touch the file.
func damageHint(path string) string {
	return fmt.Sprintf("restore a backup (waybilldesk restore --file FILE, or Settings); automatic backups are in %s", BackupDir(path))
}

// backupBeforeMigrate copies an existing history whose schema is older
// than this build's into backups/<name>-v<old>-<time>.db before Open
// migrates it, so an update that goes wrong can be undone. A new (empty)
// or current history is not copied.
func (db *DB) backupBeforeMigrate(ctx context.Context) (string, error) {
	var have int
	if err := db.sql.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return "", fmt.Errorf("read schema version: %w", err)
	}
	if have == 0 || have >= SchemaVersion() {
		return "", nil
	}
	name := fmt.Sprintf("%s-v%d-%s.db", historyBase(db.path), have, time.Now().Format("20060102-150405"))
	path := filepath.Join(BackupDir(db.path), name)
	if err := db.Backup(ctx, path); err != nil {
		return "", fmt.Errorf("back up schema %d before migrating to %d (nothing was changed): %w", have, SchemaVersion(), err)
	}
	return path, nil
}

// Backups lists the backup files in the backup folder of the history at
// dbPath, newest first, for a restore picker.
func Backups(dbPath string) ([]string, error) {
	dir := BackupDir(dbPath)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	type file struct {
		path string
		mod  time.Time
	}
	var files []file
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || !strings.HasSuffix(e.Name(), ".db") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		files = append(files, file{filepath.Join(dir, e.Name()), info.ModTime()})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].mod.After(files[j].mod) })
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.path
	}
	return out, nil
}

// BackupInfo describes a backup file that passed Verify.
type BackupInfo struct {
	// Schema is the backup's schema version (PRAGMA user_version).
	Schema int
	// Orders is how many orders it holds.
	Orders int
}

// Verify checks that the file at path is a history this build can open:
// it opens read-only, passes the full PRAGMA integrity_check, has a schema
// version from 1 to SchemaVersion() and an orders table. It changes nothing.
func Verify(ctx context.Context, path string) (BackupInfo, error) {
	conn, err := openReadOnly(path)
	if err != nil {
		return BackupInfo{}, err
	}
	defer conn.Close()
	return verifyConn(ctx, conn)
}

// VerifyQuick is Verify with quick_check, which reads every page and walks
// every b-tree but does not compare each index entry with its row: what a
// fresh page-by-page copy needs, in a fraction of the time on gigabytes.
func VerifyQuick(ctx context.Context, path string) (BackupInfo, error) {
	conn, err := openReadOnly(path)
	if err != nil {
		return BackupInfo{}, err
	}
	defer conn.Close()
	return verifyWith(ctx, conn, backgroundCheck)
}

func verifyConn(ctx context.Context, conn *sql.DB) (BackupInfo, error) {
	return verifyWith(ctx, conn, "integrity_check")
}

func verifyWith(ctx context.Context, conn *sql.DB, pragma string) (BackupInfo, error) {
	var info BackupInfo
	if err := checkIntegrity(ctx, conn, pragma); err != nil {
		return info, err
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&info.Schema); err != nil {
		return info, damaged(fmt.Errorf("read schema version: %w", err))
	}
	if info.Schema > SchemaVersion() {
		return info, fmt.Errorf("schema version %d is newer than this program knows (%d): it was made by a newer Waybill Desk", info.Schema, SchemaVersion())
	}
	if info.Schema < 1 {
		return info, errors.New("not a Waybill Desk history (schema version 0)")
	}
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM orders").Scan(&info.Orders); err != nil {
		return info, fmt.Errorf("not a Waybill Desk history: %w", damaged(err))
	}
	return info, nil
}

// openReadOnly opens path read-only with one connection, failing when the
// file does not exist (SQLite would otherwise create it).
func openReadOnly(path string) (*sql.DB, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a file", path)
	}
	conn, err := sql.Open("sqlite3", readOnlyDSN(path))
	if err != nil {
		return nil, err
	}
	conn.SetMaxOpenConns(1)
	return conn, nil
}

// readOnlyDSN opens path for reading only: checks and backups read the
// history through such a connection of their own.
func readOnlyDSN(path string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=ro&_busy_timeout=5000"
}

// RestoreInfo says what Restore did.
type RestoreInfo struct {
	// From is the backup that was restored; BackupInfo describes it.
	From string
	BackupInfo
	// Replaced is the history file that now holds the backup's content.
	Replaced string
	// KeptAt is where the previous history went
	// (history.db.before-restore-<time>, with its -wal beside it when it
	// had one); empty when there was no previous history.
	KeptAt string
}

// ErrInUse is returned by Restore when another connection (this program's
// window, or another process) has the history open.
var ErrInUse = errors.New("the history is open in Waybill Desk: close it first")

// Restore replaces the history at dbPath with the backup at from. The
// caller must close every connection to dbPath first (Restore refuses with
// ErrInUse when it can tell the file is still open; on Windows the renames
// would fail anyway), and open it again afterwards with Open, which
// migrates an older backup.
//
// The backup is checked first (Verify); a damaged, foreign or too new file
// is refused and nothing changes. The restored file is a fresh VACUUM INTO
// copy of the backup, so the backup itself is never modified and a backup
// that had its own -wal file is restored complete. The previous history is
// not deleted: it is renamed to dbPath.before-restore-<time>, together with
// its -wal file (committed data may still sit there after a crash, and
// SQLite finds it under the new name), and its -shm index is removed.
// progress, when set, is told how the copy goes (a station's history is
// gigabytes).
func Restore(ctx context.Context, dbPath, from string, progress Progress) (RestoreInfo, error) {
	info := RestoreInfo{From: from, Replaced: dbPath}
	fail := func(err error) (RestoreInfo, error) {
		return RestoreInfo{}, fmt.Errorf("restore %s from %s: %w", dbPath, from, err)
	}
	if dbPath == "" || from == "" {
		return fail(errors.New("need the history file and the backup file"))
	}
	if same, err := samePath(dbPath, from); err != nil {
		return fail(err)
	} else if same {
		return fail(errors.New("the backup is the history file itself"))
	}
	src, err := openReadOnly(from)
	if err != nil {
		return fail(fmt.Errorf("open the backup: %w", err))
	}
	defer src.Close()
	if info.BackupInfo, err = verifyConn(ctx, src); err != nil {
		return fail(fmt.Errorf("the backup cannot be used, nothing was changed: %w", err))
	}
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o700); err != nil {
		return fail(err)
	}
	if err := checkNotInUse(ctx, dbPath); err != nil {
		return fail(err)
	}
	// Build the complete new file beside the history first: a failure
	// here (disk full) leaves the current history untouched.
	fresh := dbPath + ".restoring"
	os.Remove(fresh)
	if err := copyInto(ctx, src, fresh, progress); err != nil {
		return fail(fmt.Errorf("copy the backup: %w", err))
	}
	src.Close()

	kept, err := moveAside(dbPath, dbPath+".before-restore-"+time.Now().Format("20060102-150405"))
	if err != nil {
		os.Remove(fresh)
		return fail(fmt.Errorf("keep the current history: %w", err))
	}
	if err := os.Rename(fresh, dbPath); err != nil {
		if kept != "" {
			// Put the old history back so the program still starts.
			moveAside(kept, dbPath)
		}
		os.Remove(fresh)
		return fail(fmt.Errorf("put the backup in place (the previous history is back): %w", err))
	}
	syncDir(filepath.Dir(dbPath))
	info.KeptAt = kept
	// The backup passed the full check just now: that is the new file's
	// last check, and any failure recorded for the replaced one is moot.
	if err := writeCheckRecord(dbPath, CheckRecord{At: time.Now(), Kind: "integrity_check"}); err != nil {
		return info, fmt.Errorf("restore %s: record its check: %w", dbPath, err)
	}
	return info, nil
}

// moveAside renames the database at path, with its -wal and -journal
// files, to to (and to-wal, to-journal), and deletes its -shm index, which
// SQLite rebuilds. It returns to, or "" when there was no file at path.
func moveAside(path, to string) (string, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		// A stray -wal without its database must not be applied to the
		// restored file.
		os.Remove(path + "-wal")
		os.Remove(path + "-shm")
		return "", nil
	}
	if err := os.Rename(path, to); err != nil {
		return "", err
	}
	for _, suffix := range []string{"-wal", "-journal"} {
		if err := os.Rename(path+suffix, to+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			os.Rename(to, path) // undo, so the pair stays together
			return "", fmt.Errorf("move %s: %w", path+suffix, err)
		}
	}
	os.Remove(path + "-shm")
	return to, nil
}

// checkNotInUse fails with ErrInUse when some connection has the database
// at path open. It asks SQLite for an exclusive lock on the file, which it
// only gets when no other connection, in this process or another, holds
// one of its shared locks (a WAL connection holds one as long as it is
// open). A file SQLite cannot read at all is not "in use": it is what is
// being replaced.
func checkNotInUse(ctx context.Context, path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	conn, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_locking_mode=EXCLUSIVE&_busy_timeout=0")
	if err != nil {
		return nil
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	if _, err = conn.ExecContext(ctx, "BEGIN EXCLUSIVE; COMMIT"); isBusy(err) {
		return ErrInUse
	}
	return nil
}

// samePath reports whether a and b name the same file (both absolute
// paths compared, and the files themselves when both exist).
func samePath(a, b string) (bool, error) {
	aa, err := filepath.Abs(a)
	if err != nil {
		return false, err
	}
	bb, err := filepath.Abs(b)
	if err != nil {
		return false, err
	}
	if aa == bb || (runtime.GOOS != "linux" && strings.EqualFold(aa, bb)) {
		return true, nil
	}
	sa, errA := os.Stat(aa)
	sb, errB := os.Stat(bb)
	return errA == nil && errB == nil && os.SameFile(sa, sb), nil
}

// syncFile flushes a written file to disk.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir flushes a folder's entries (a rename) to disk where the system
// allows it; Windows cannot open folders for that and needs no such step.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}
