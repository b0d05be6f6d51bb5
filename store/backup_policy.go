package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"waybilldesk/internal/diskfree"
	"waybilldesk/internal/sizes"
)

// A station's history is gigabytes, so its automatic backups are kept by
// count and by disk space: a few full copies at most, and never more than
// a share of the disk they could take. The newest copy taken before a
// schema migration is always kept: it is the way back from a bad update,
// which may be noticed late.

// BackupPolicy says where daily backups go and how many are kept.
type BackupPolicy struct {
	// Dir is the backup folder; default BackupDir of the history.
	Dir string
	// Keep is how many daily copies are kept, today's included; default
	// DefaultBackupKeep.
	Keep int
	// Share is the most of the disk the backup folder may take, as a share
	// of its free space plus what the backups already take; default
	// DefaultBackupShare.
	Share float64
}

const (
	// DefaultBackupKeep is how many daily copies are kept.
	DefaultBackupKeep = 3
	// DefaultBackupShare is the share of the free disk space the backups
	// may take.
	DefaultBackupShare = 0.2
)

// BackupResult says what DailyBackup did.
type BackupResult struct {
	// Path is the copy written; empty when today's was already there or
	// the copy did not fit (Skipped).
	Path string
	// Removed are the older copies deleted to stay within the policy.
	Removed []string
	// Skipped says why no copy was written although none exists for
	// today (it does not fit in the disk budget).
	Skipped string
	// Budget is the most the backup folder may hold, and Need what a copy
	// takes, in bytes.
	Budget, Need int64
}

// ErrBackupBudget means a backup was not taken because it does not fit in
// the disk budget of the policy.
var ErrBackupBudget = errors.New("the backup does not fit in the disk space set aside for backups")

// backupFile is one file of the backup folder.
type backupFile struct {
	name  string
	size  int64
	stamp string // the date (and time) in the name of a daily or manual copy
	kind  backupKind
	mod   time.Time
}

// backupKind tells this history's copies apart by how they were made.
type backupKind int

const (
	kindOther  backupKind = iota // another history's copy
	kindDaily                    // <name>-YYYYMMDD.db
	kindManual                   // <name>-YYYYMMDD-HHMMSS.db
	kindPre                      // <name>-v<schema>-YYYYMMDD-HHMMSS.db, before a migration
)

func kindOf(manual bool) backupKind {
	if manual {
		return kindManual
	}
	return kindDaily
}

// historyBase is the name backups of the history at path start with:
// history.db -> history, history-sandbox.db -> history-sandbox.
func historyBase(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// DailyBackup writes today's copy of the history, <dir>/<name>-YYYYMMDD.db
// (local date), unless it exists, within policy: before writing, it
// deletes this history's oldest daily copies (and pre-migration copies but
// the newest) until Keep-1 remain and the new copy fits in the budget. A
// copy that does not fit even then is not written: the result says so
// and the error wraps ErrBackupBudget. progress follows the copy.
// Temporary files a crash left behind are removed.
func (db *DB) DailyBackup(ctx context.Context, policy BackupPolicy, progress Progress) (BackupResult, error) {
	return db.dailyBackup(ctx, policy, progress, time.Now())
}

func (db *DB) dailyBackup(ctx context.Context, policy BackupPolicy, progress Progress, now time.Time) (BackupResult, error) {
	policy = policy.orDefaults(db.path)
	path := filepath.Join(policy.Dir, historyBase(db.path)+"-"+now.Format("20060102")+".db")
	if _, err := os.Stat(path); err == nil {
		pruneTemporary(policy.Dir, now)
		return BackupResult{}, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return BackupResult{}, fmt.Errorf("daily backup: %w", err)
	}
	res, err := db.backupWithin(ctx, policy, path, false, progress, now)
	if err != nil {
		return res, fmt.Errorf("daily backup: %w", err)
	}
	return res, nil
}

// ManualBackup writes a copy of the history now (the operator's "back up
// now"), <dir>/<name>-YYYYMMDD-HHMMSS.db, within the same policy: the
// newest Keep such copies are kept, apart from the daily ones, and all of
// them count towards the disk budget.
func (db *DB) ManualBackup(ctx context.Context, policy BackupPolicy, progress Progress) (BackupResult, error) {
	now := time.Now()
	policy = policy.orDefaults(db.path)
	path := filepath.Join(policy.Dir, historyBase(db.path)+"-"+now.Format("20060102-150405")+".db")
	res, err := db.backupWithin(ctx, policy, path, true, progress, now)
	if err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	return res, nil
}

// orDefaults fills in the policy's zero values for the history at dbPath.
func (p BackupPolicy) orDefaults(dbPath string) BackupPolicy {
	if p.Dir == "" {
		p.Dir = BackupDir(dbPath)
	}
	if p.Keep < 1 {
		p.Keep = DefaultBackupKeep
	}
	if p.Share <= 0 || p.Share > 1 {
		p.Share = DefaultBackupShare
	}
	return p
}

// backupWithin writes a copy to path (a daily copy, or a manual one) after
// making room for it within policy: it deletes this history's older
// pre-migration copies, then its copies of the same kind, oldest first,
// until Keep-1 remain and the new one fits in the budget. A copy that does
// not fit even then is not written (ErrBackupBudget).
func (db *DB) backupWithin(ctx context.Context, policy BackupPolicy, path string, manual bool, progress Progress, now time.Time) (BackupResult, error) {
	var res BackupResult
	if err := os.MkdirAll(policy.Dir, 0o700); err != nil {
		return res, err
	}
	pruneTemporary(policy.Dir, now)
	need, err := db.copySize(ctx)
	if err != nil {
		return res, err
	}
	res.Need = need
	files, err := listBackupFiles(policy.Dir, historyBase(db.path))
	if err != nil {
		return res, err
	}
	var held int64
	for _, f := range files.all {
		held += f.size
	}
	free, err := diskfree.Bytes(policy.Dir)
	if err != nil {
		return res, err
	}
	res.Budget = int64(policy.Share * float64(free+held))
	// Deletion candidates, first to go first: the older pre-migration
	// copies (always: each is a full copy, and the newest is the way back),
	// then the copies of the new one's kind, then those of the other kind,
	// oldest first. Copies of the new one's kind go while Keep or more
	// remain; any copy goes while the new one does not fit.
	same, other := files.daily, files.manual
	if manual {
		same, other = other, same
	}
	var doomed []backupFile
	if len(files.pre) > 1 {
		doomed = append(doomed, files.pre[1:]...)
	}
	for _, list := range [][]backupFile{same, other} {
		for i := len(list) - 1; i >= 0; i-- {
			doomed = append(doomed, list[i])
		}
	}
	// When even deleting every candidate leaves no room for the new copy,
	// the old copies are worth more than none: only what exceeds the
	// budget already goes.
	floor := held
	for _, f := range doomed {
		floor -= f.size
	}
	fits := floor+need <= res.Budget
	room := need // what the new copy needs kept free
	if !fits {
		room = 0
	}
	kind := len(same)
	for _, f := range doomed {
		keep := f.kind != kindPre && held+room <= res.Budget
		if fits && f.kind == kindOf(manual) {
			keep = keep && kind < policy.Keep
		}
		if keep {
			continue
		}
		if err := os.Remove(filepath.Join(policy.Dir, f.name)); err != nil {
			return res, fmt.Errorf("delete an old copy: %w", err)
		}
		res.Removed = append(res.Removed, filepath.Join(policy.Dir, f.name))
		held -= f.size
		if f.kind == kindOf(manual) {
			kind--
		}
	}
	if !fits {
		res.Skipped = fmt.Sprintf("a copy takes %s; the backups may take %s (%.0f%% of the free space)",
			sizes.Text(need), sizes.Text(res.Budget), policy.Share*100)
		return res, fmt.Errorf("%w: %s", ErrBackupBudget, res.Skipped)
	}
	if err := db.BackupWithProgress(ctx, path, progress); err != nil {
		return res, err
	}
	res.Path = path
	return res, nil
}

// copySize is how big a copy of the history will be: its pages in use.
func (db *DB) copySize(ctx context.Context) (int64, error) {
	// The page copy takes free pages along, so it is the whole file.
	var pages, size int64
	if err := db.sql.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return 0, err
	}
	if err := db.sql.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size); err != nil {
		return 0, err
	}
	return pages * size, nil
}

// backupFiles are a backup folder's files: all of them (every history's),
// and this history's daily, manual and pre-migration copies, newest first.
type backupFiles struct {
	all                []backupFile
	daily, manual, pre []backupFile
}

// listBackupFiles reads dir; base names the history whose copies are
// sorted out.
func listBackupFiles(dir, base string) (backupFiles, error) {
	var out backupFiles
	entries, err := os.ReadDir(dir)
	if err != nil {
		return out, err
	}
	daily := regexp.MustCompile(`^` + regexp.QuoteMeta(base) + `-(\d{8})\.db$`)
	manual := regexp.MustCompile(`^` + regexp.QuoteMeta(base) + `-(\d{8}-\d{6})\.db$`)
	pre := regexp.MustCompile(`^` + regexp.QuoteMeta(base) + `-v\d+-\d{8}-\d{6}\.db$`)
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || !strings.HasSuffix(e.Name(), ".db") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		f := backupFile{name: e.Name(), size: info.Size(), mod: info.ModTime()}
		out.all = append(out.all, f)
		if m := daily.FindStringSubmatch(f.name); m != nil {
			f.stamp, f.kind = m[1], kindDaily
			out.daily = append(out.daily, f)
		} else if m := manual.FindStringSubmatch(f.name); m != nil {
			f.stamp, f.kind = m[1], kindManual
			out.manual = append(out.manual, f)
		} else if pre.MatchString(f.name) {
			f.kind = kindPre
			out.pre = append(out.pre, f)
		}
	}
	sort.Slice(out.daily, func(i, j int) bool { return out.daily[i].stamp > out.daily[j].stamp })
	sort.Slice(out.manual, func(i, j int) bool { return out.manual[i].stamp > out.manual[j].stamp })
	sort.Slice(out.pre, func(i, j int) bool { return out.pre[i].mod.After(out.pre[j].mod) })
	return out, nil
}

// pruneTemporary deletes the temporary files of copies that a crash cut
// off (older than an hour, so a copy in progress is left alone).
func pruneTemporary(dir string, now time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") && (strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".tmp-journal")) {
			if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > time.Hour {
				os.Remove(filepath.Join(dir, name))
			}
		}
	}
}
