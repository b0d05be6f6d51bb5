package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"waybilldesk/desk"
	"waybilldesk/diag"
	"waybilldesk/internal/sizes"
	"waybilldesk/store"
)

// dbPath is the history file of this invocation: --db, else the default
// in the user's config folder.
func (e *env) dbPath() (string, error) {
	if e.cfg.DBPath != "" {
		return e.cfg.DBPath, nil
	}
	return desk.DefaultDBPath()
}

// runBackup writes a consistent copy of the history (safe while the window
// has it open) to --file.
func runBackup(e *env, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	file := fs.String("file", "", "the backup file to write; an existing file is kept unless --force")
	force := fs.Bool("force", false, "replace --file if it exists")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *file == "" {
		return usagef("usage: waybilldesk backup --file F [--force]")
	}
	// A typo in --file must not replace another backup, or any other file.
	if _, err := os.Lstat(*file); err == nil && !*force {
		return fmt.Errorf("back up: %s exists: give another file name, or --force to replace it", *file)
	}
	path, err := e.dbPath()
	if err != nil {
		return err
	}
	// A backup of nothing would hide a wrong --db: say so instead of
	// creating an empty history.
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("back up: no history at %s: %w", path, err)
	}
	db, err := store.Open(e.ctx, path)
	if err != nil {
		return fmt.Errorf("back up: %w", err)
	}
	defer db.Close()
	if err := db.BackupWithProgress(e.ctx, *file, e.progress("backup")); err != nil {
		return err
	}
	// The pages were copied as they are; a quick check of the copy (every
	// page read, the b-trees walked) says it can be restored.
	stop := e.ticking("backup: checking the copy")
	info, err := store.VerifyQuick(e.ctx, *file)
	stop()
	if err != nil {
		return fmt.Errorf("back up: the copy at %s does not check out: %w", *file, err)
	}
	if e.json {
		return e.printJSON(map[string]any{"history": path, "file": *file, "schema": info.Schema, "orders": info.Orders})
	}
	fmt.Fprintf(e.stdout, "backed up %s to %s (%d orders, schema %d)\n", path, *file, info.Orders, info.Schema)
	return nil
}

// progress returns a store.Progress that prints "what: 37% (1.9 of 5.1 GB)"
// lines on stderr, one per 10% (and the last), so a backup of gigabytes
// shows it is moving without flooding a log.
func (e *env) progress(what string) store.Progress {
	last := -1
	return func(done, total int64) {
		if total <= 0 {
			return
		}
		pct := int(done * 100 / total)
		if pct/10 == last/10 && done < total {
			return
		}
		last = pct
		fmt.Fprintf(e.stderr, "%s: %d%% (%s of %s)\n", what, pct, sizes.Text(done), sizes.Text(total))
	}
}

// ticking prints what on stderr, then the seconds it takes every 5 s,
// until stop is called (stop may be called more than once).
func (e *env) ticking(what string) (stop func()) {
	fmt.Fprintf(e.stderr, "%s…\n", what)
	done := make(chan struct{})
	var once sync.Once
	start := time.Now()
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(e.stderr, "%s… %.0f s\n", what, time.Since(start).Seconds())
			}
		}
	}()
	return func() { once.Do(func() { close(done) }) }
}

// runCheck runs SQLite's integrity check over the whole history and
// records the result, as the window's daily background check does: a
// history that failed a check is refused until a full check passes or a
// backup is restored.
func runCheck(e *env, args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	full := fs.Bool("full", false, "run the full integrity_check (every index entry compared with its row; several times slower) instead of quick_check")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("usage: waybilldesk check [--full]")
	}
	path, err := e.dbPath()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "check: reading every page of %s…\n", path)
	last := time.Now()
	rec, err := store.CheckFile(e.ctx, path, *full, func(elapsed, estimate time.Duration) {
		if time.Since(last) < 5*time.Second {
			return
		}
		last = time.Now()
		if estimate > 0 {
			fmt.Fprintf(e.stderr, "check: %.0f s of about %.0f s\n", elapsed.Seconds(), estimate.Seconds())
		} else {
			fmt.Fprintf(e.stderr, "check: %.0f s\n", elapsed.Seconds())
		}
	})
	if e.json && (err == nil || errors.Is(err, store.ErrDamaged)) {
		if jerr := e.printJSON(map[string]any{"history": path, "kind": rec.Kind, "ok": rec.OK(), "problem": rec.Problem,
			"took_ms": rec.TookMS, "backups": store.BackupDir(path)}); jerr != nil {
			return jerr
		}
	}
	if err != nil {
		return err
	}
	if !e.json {
		fmt.Fprintf(e.stdout, "%s: %s passed in %.1f s\n", path, rec.Kind, float64(rec.TookMS)/1000)
	}
	return nil
}

// runRestore replaces the history with the backup at --file, keeping the
// previous file beside it, and opens the result once so an older backup is
// migrated now rather than at the next start. It asks nothing: it is meant
// for scripts and for support instructions, and it never deletes data.
func runRestore(e *env, args []string) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	file := fs.String("file", "", "the backup file to restore")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *file == "" {
		return usagef("usage: waybilldesk restore --file F")
	}
	path, err := e.dbPath()
	if err != nil {
		return err
	}
	stop := e.ticking("restore: checking the backup")
	copying := e.progress("restore")
	res, err := store.Restore(e.ctx, path, *file, func(done, total int64) {
		stop()
		copying(done, total)
	})
	stop()
	if err != nil {
		if errors.Is(err, store.ErrInUse) {
			return fmt.Errorf("%w (quit the Waybill Desk window, then run restore again)", err)
		}
		return err
	}
	db, err := store.Open(e.ctx, path)
	if err != nil {
		return fmt.Errorf("restored %s, but it does not open: %w", path, err)
	}
	db.Close()
	if e.json {
		return e.printJSON(map[string]any{"history": path, "file": *file, "schema": res.Schema,
			"orders": res.Orders, "kept_at": res.KeptAt, "now_schema": store.SchemaVersion()})
	}
	fmt.Fprintf(e.stdout, "restored %s from %s (%d orders, schema %d", path, *file, res.Orders, res.Schema)
	if res.Schema < store.SchemaVersion() {
		fmt.Fprintf(e.stdout, ", migrated to %d", store.SchemaVersion())
	}
	fmt.Fprintln(e.stdout, ")")
	if res.KeptAt != "" {
		fmt.Fprintf(e.stdout, "the replaced history is kept at %s\n", res.KeptAt)
	} else {
		fmt.Fprintln(e.stdout, "there was no history to replace")
	}
	return nil
}

// runDiag prints what support needs to know: versions, settings without
// secrets, data paths and the end of the log. It opens nothing, so it works
// when the history does not.
func runDiag(e *env, args []string) error {
	fs := flag.NewFlagSet("diag", flag.ContinueOnError)
	lines := fs.Int("log-lines", diag.DefaultLogLines, "how many of the last log lines to include")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("usage: waybilldesk diag [--log-lines N]")
	}
	path, err := e.dbPath()
	if err != nil {
		return err
	}
	cfg := e.cfg
	cfg.DBPath = path
	r := diag.Collect(e.ctx, diag.FromConfig(Version, cfg, *lines))
	if e.json {
		return e.printJSON(r)
	}
	_, err = fmt.Fprint(e.stdout, r.String())
	return err
}
