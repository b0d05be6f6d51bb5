package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"
)

// A whole-file integrity check reads every page of the history: seconds on
// a small one, minutes on a station's few gigabytes. So it is not done on
// open: a long-running program checks in the background at most once a day
// (CheckDue, Check), on a connection of its own that never blocks the
// window or the print queue, and keeps the result in a small file beside
// the history, history.db.check.json. A failed check (or damage SQLite
// reports at run time, see guard.go) stops writes at once, and Open
// refuses the file from then on, naming the backups, until a backup is
// restored or a full check (waybilldesk check) passes again.

// CheckEvery is how often the background check runs.
const CheckEvery = 24 * time.Hour

// CheckRecord is the last integrity check of a history file.
type CheckRecord struct {
	// At is when the check ended (or when damage was seen at run time).
	At time.Time `json:"at"`
	// Kind is the check: "quick_check" (the background one),
	// "integrity_check" (the full one, and a restored backup's), or
	// "runtime" (SQLite reported damage while working).
	Kind string `json:"kind"`
	// Problem is what was found; empty when the file is sound.
	Problem string `json:"problem,omitempty"`
	// TookMS is how long the check ran, the estimate for the next one's
	// progress.
	TookMS int64 `json:"took_ms,omitempty"`
}

// OK reports whether the check found the file sound.
func (r CheckRecord) OK() bool { return r.Problem == "" }

// checkRecordPath is where the record of the history at dbPath lives.
func checkRecordPath(dbPath string) string { return dbPath + ".check.json" }

// LastCheck returns the last check of the history at dbPath; ok is false
// when it was never checked.
func LastCheck(dbPath string) (rec CheckRecord, ok bool, err error) {
	b, err := os.ReadFile(checkRecordPath(dbPath))
	if errors.Is(err, os.ErrNotExist) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, fmt.Errorf("read the last check of %s: %w", dbPath, err)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		// A torn record says nothing either way: check again.
		return rec, false, nil
	}
	return rec, true, nil
}

// writeCheckRecord replaces the record of the history at dbPath.
func writeCheckRecord(dbPath string, rec CheckRecord) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	path := checkRecordPath(dbPath)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// refuseIfFailed is Open's check, in constant time: a history whose last
// check found damage is not opened.
func refuseIfFailed(dbPath string) error {
	rec, ok, err := LastCheck(dbPath)
	if err != nil || !ok || rec.OK() {
		return err
	}
	return fmt.Errorf("%w: the %s of %s found: %s; %s", ErrDamaged, checkWhat(rec.Kind),
		rec.At.Local().Format("2006-01-02 15:04"), rec.Problem, damageHint(dbPath))
}

func checkWhat(kind string) string {
	if kind == "runtime" {
		return "work"
	}
	return "integrity check (" + kind + ")"
}

// CheckDue reports whether the background check should run now: never
// checked, or the last check is CheckEvery old.
func (db *DB) CheckDue(now time.Time) bool {
	rec, ok, _ := LastCheck(db.path)
	return !ok || now.Sub(rec.At) >= CheckEvery || now.Before(rec.At)
}

// CheckProgress is told how a check goes: elapsed so far, and the
// estimate of the whole (the last check's duration; zero when unknown).
type CheckProgress func(elapsed, estimate time.Duration)

// Check runs an integrity check of the whole file on a read-only
// connection of its own (so the history stays usable meanwhile) and
// records the result beside the file. full runs integrity_check (every
// index entry compared with its row: several times slower) instead of
// quick_check. On damage it stops writes, and the returned error wraps
// ErrDamaged and names the backups. A full check that passes clears an
// earlier failure, so a file repaired by other means opens again.
func (db *DB) Check(ctx context.Context, full bool, progress CheckProgress) (CheckRecord, error) {
	return checkFile(ctx, db.path, db.health, full, progress)
}

// CheckFile is Check on a history that is not open, such as one Open
// refuses: a full check that passes lets it open again.
func CheckFile(ctx context.Context, path string, full bool, progress CheckProgress) (CheckRecord, error) {
	if _, err := os.Stat(path); err != nil {
		return CheckRecord{}, fmt.Errorf("check %s: %w", path, err)
	}
	return checkFile(ctx, path, &health{path: path, log: slog.Default()}, full, progress)
}

func checkFile(ctx context.Context, path string, h *health, full bool, progress CheckProgress) (CheckRecord, error) {
	kind := backgroundCheck
	if full {
		kind = "integrity_check"
	}
	prev, _, _ := LastCheck(path)
	var estimate time.Duration
	if prev.Kind == kind {
		estimate = time.Duration(prev.TookMS) * time.Millisecond
	}
	conn := openGuarded(readOnlyDSN(path), h)
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	start := time.Now()
	done := make(chan struct{})
	if progress != nil {
		go func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					progress(time.Since(start), estimate)
				}
			}
		}()
	}
	err := checkIntegrity(ctx, conn, kind)
	close(done)
	if err != nil && !errors.Is(err, ErrDamaged) {
		return CheckRecord{}, fmt.Errorf("check %s: %w", path, err)
	}
	rec := CheckRecord{At: time.Now(), Kind: kind, TookMS: time.Since(start).Milliseconds()}
	if err != nil {
		rec.Problem = strings.TrimPrefix(err.Error(), ErrDamaged.Error()+": ")
		h.markDamaged(err, rec)
	} else if !prev.OK() && !full {
		// A quick check does not overrule a failure it may not see.
		return prev, h.refuseWrites()
	}
	if werr := writeCheckRecord(path, rec); werr != nil {
		return rec, fmt.Errorf("check %s: record the result: %w", path, werr)
	}
	if err != nil {
		return rec, fmt.Errorf("check %s: %w; %s", path, err, damageHint(path))
	}
	return rec, nil
}
