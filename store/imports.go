package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Import run states. A run is written as ImportRunning before its first
// order is sent; a run that is still ImportRunning when no importer works on
// it was cut off (a crash, a kill), and its rows' outcomes are read from the
// orders they point to.
const (
	ImportRunning   = "running"
	ImportDone      = "done"
	ImportCancelled = "cancelled"
)

// migrationImports creates the import runs and their rows. import_rows has
// no foreign key to orders: a row with errors, or one never sent, has no
// order, and that absence is itself the row's outcome.
const migrationImports = `CREATE TABLE import_runs (
		id          INTEGER PRIMARY KEY,
		file_name   TEXT NOT NULL,
		file_hash   TEXT NOT NULL,
		format      TEXT NOT NULL,
		actor       TEXT NOT NULL DEFAULT '',
		started_at  INTEGER NOT NULL,
		finished_at INTEGER NOT NULL DEFAULT 0,
		state       TEXT NOT NULL,
		rows_total  INTEGER NOT NULL DEFAULT 0,
		invalid     INTEGER NOT NULL DEFAULT 0,
		placed      INTEGER NOT NULL DEFAULT 0,
		skipped     INTEGER NOT NULL DEFAULT 0,
		failed      INTEGER NOT NULL DEFAULT 0,
		unknown     INTEGER NOT NULL DEFAULT 0,
		not_sent    INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX import_runs_started ON import_runs(started_at);
	CREATE INDEX import_runs_hash ON import_runs(file_hash);
	CREATE TABLE import_rows (
		run_id   INTEGER NOT NULL REFERENCES import_runs(id) ON DELETE CASCADE,
		row      INTEGER NOT NULL,
		order_id TEXT NOT NULL DEFAULT '',
		error    TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (run_id, row)
	);
	CREATE INDEX import_rows_order ON import_rows(order_id);`

// ImportCounts are the outcomes of a run's rows.
type ImportCounts struct {
	Rows    int // data rows of the file
	Invalid int // rows with errors: nothing was sent for them
	Placed  int // placed by this run
	Skipped int // already in the history with a waybill
	Failed  int // refused by WeChat
	Unknown int // left submitting: reconciled before any retry
	NotSent int // not sent because the run was cancelled
}

// ImportRun is one batch import of a file.
type ImportRun struct {
	ID         int64
	FileName   string
	FileHash   string // hex SHA-256 of the file's bytes
	Format     string // csv, xlsx or jsonl
	Actor      string
	StartedAt  time.Time
	FinishedAt time.Time // zero while running or when cut off
	State      string
	Counts     ImportCounts
}

// ImportRow ties a data row of an imported file to the order_id it was
// given, or to the errors that kept it from being sent.
type ImportRow struct {
	Row     int    // row number as the user sees it, 1-based including the header
	OrderID string // "" for rows that have errors
	Error   string // the row's errors, "" when it was valid
}

// ImportRowState is an imported row with what the history knows of its order
// now: OrderStatus is "" when no order was ever written for it, which means
// nothing was sent to WeChat for it.
type ImportRowState struct {
	ImportRow
	OrderStatus string
	WaybillID   string
	ErrorCode   int
	ErrorMsg    string
}

// CreateImportRun records a run and its rows in one transaction, before any
// of its orders is sent, so that after a crash every row can be matched to
// its order. It returns the run's id.
func (db *DB) CreateImportRun(ctx context.Context, run *ImportRun, rows []ImportRow) (int64, error) {
	if run.StartedAt.IsZero() {
		run.StartedAt = time.Now()
	}
	if run.State == "" {
		run.State = ImportRunning
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("record import of %s: %w", run.FileName, err)
	}
	defer tx.Rollback()
	c := run.Counts
	res, err := tx.ExecContext(ctx, `INSERT INTO import_runs (file_name, file_hash, format, actor, started_at,
		finished_at, state, rows_total, invalid, placed, skipped, failed, unknown, not_sent)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		run.FileName, run.FileHash, run.Format, run.Actor, run.StartedAt.UnixMilli(), 0, run.State,
		c.Rows, c.Invalid, c.Placed, c.Skipped, c.Failed, c.Unknown, c.NotSent)
	if err != nil {
		return 0, fmt.Errorf("record import of %s: %w", run.FileName, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("record import of %s: %w", run.FileName, err)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO import_rows (run_id, row, order_id, error) VALUES (?,?,?,?)`)
	if err != nil {
		return 0, fmt.Errorf("record import of %s: %w", run.FileName, err)
	}
	defer stmt.Close()
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, id, r.Row, r.OrderID, r.Error); err != nil {
			return 0, fmt.Errorf("record import of %s, row %d: %w", run.FileName, r.Row, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("record import of %s: %w", run.FileName, err)
	}
	run.ID = id
	return id, nil
}

// FinishImportRun stores a run's final state and counts.
func (db *DB) FinishImportRun(ctx context.Context, id int64, state string, c ImportCounts, at time.Time) error {
	return db.update(ctx, fmt.Sprintf("finish import run %d", id),
		`UPDATE import_runs SET state = ?, finished_at = ?, rows_total = ?, invalid = ?, placed = ?, skipped = ?,
			failed = ?, unknown = ?, not_sent = ? WHERE id = ?`,
		state, at.UnixMilli(), c.Rows, c.Invalid, c.Placed, c.Skipped, c.Failed, c.Unknown, c.NotSent, id)
}

const importRunColumns = `id, file_name, file_hash, format, actor, started_at, finished_at, state,
	rows_total, invalid, placed, skipped, failed, unknown, not_sent`

// ImportRuns returns the newest runs first (at most limit, default 50).
func (db *DB) ImportRuns(ctx context.Context, limit int) ([]ImportRun, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+importRunColumns+` FROM import_runs ORDER BY started_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("import runs: %w", err)
	}
	defer rows.Close()
	var out []ImportRun
	for rows.Next() {
		r, err := scanImportRun(rows)
		if err != nil {
			return nil, fmt.Errorf("import runs: %w", err)
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

// ImportRunByID returns one run.
func (db *DB) ImportRunByID(ctx context.Context, id int64) (*ImportRun, error) {
	r, err := scanImportRun(db.sql.QueryRowContext(ctx, `SELECT `+importRunColumns+` FROM import_runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("import run %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("import run %d: %w", id, err)
	}
	return r, nil
}

// ImportRowStates returns a run's rows in file order, each with the current
// state of its order in the history.
func (db *DB) ImportRowStates(ctx context.Context, runID int64) ([]ImportRowState, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT r.row, r.order_id, r.error,
			COALESCE(o.status, ''), COALESCE(o.waybill_id, ''), COALESCE(o.error_code, 0), COALESCE(o.error_msg, '')
		FROM import_rows r LEFT JOIN orders o ON o.order_id = r.order_id AND r.order_id != ''
		WHERE r.run_id = ? ORDER BY r.row`, runID)
	if err != nil {
		return nil, fmt.Errorf("rows of import run %d: %w", runID, err)
	}
	defer rows.Close()
	var out []ImportRowState
	for rows.Next() {
		var s ImportRowState
		if err := rows.Scan(&s.Row, &s.OrderID, &s.Error, &s.OrderStatus, &s.WaybillID, &s.ErrorCode, &s.ErrorMsg); err != nil {
			return nil, fmt.Errorf("rows of import run %d: %w", runID, err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func scanImportRun(r scanner) (*ImportRun, error) {
	var run ImportRun
	var started, finished int64
	c := &run.Counts
	err := r.Scan(&run.ID, &run.FileName, &run.FileHash, &run.Format, &run.Actor, &started, &finished, &run.State,
		&c.Rows, &c.Invalid, &c.Placed, &c.Skipped, &c.Failed, &c.Unknown, &c.NotSent)
	if err != nil {
		return nil, err
	}
	run.StartedAt = time.UnixMilli(started)
	if finished > 0 {
		run.FinishedAt = time.UnixMilli(finished)
	}
	return &run, nil
}
