package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Print job states. A job is written as JobQueued before anything is
// rendered, so no label is lost; it is JobSent from just before its bytes
// go to the printer until the printer (or spooler) took them, so after a
// crash a job that may have printed is never printed again silently.
const (
	JobQueued    = "queued"    // waiting for its printer's worker
	JobRendering = "rendering" // claimed by a worker: label being rendered and encoded
	JobSent      = "sent"      // bytes being handed to the printer or spooler
	JobDone      = "done"      // the printer or spooler took the whole job
	JobFailed    = "failed"    // not printed (or outcome unknown); Reason says why; can be retried
)

// ErrJobState is returned when a print job is not in the state an operation
// needs (retrying a job that is not failed, advancing a job another worker
// moved on).
var ErrJobState = errors.New("print job is in another state")

// ErrQueueFull is returned when a printer already has as many queued jobs
// as allowed: a printer that is off must not collect jobs without bound.
var ErrQueueFull = errors.New("print queue full")

// ErrPrinterBusy is returned when a printer that still has unfinished jobs
// is removed.
var ErrPrinterBusy = errors.New("printer has unfinished jobs")

// migrationPrinting (schema 8; see the migrations list) stores printers as records, the couriers
// each one prints for by default, the print jobs and the queue runners.
//
// print_jobs.printer is a printer's name, or for a one-off target given on
// the command line ("raw:10.0.0.5:9100", "pdf:/tmp/a.pdf") that target, in
// which case settings holds the printer settings as JSON. There is no
// foreign key to printers or orders: a job outlives a removed printer and
// keeps its history, and a test print has no order.
//
// print_runners lists the processes that run the queue, with a heartbeat:
// only the jobs of a runner whose heartbeat stopped are recovered, so a
// command-line print next to the open console does not disturb its jobs.
const migrationPrinting = `CREATE TABLE printers (
		name       TEXT PRIMARY KEY,
		kind       TEXT NOT NULL,
		address    TEXT NOT NULL DEFAULT '',
		language   TEXT NOT NULL,
		dpi        INTEGER NOT NULL DEFAULT 203,
		width_mm   REAL NOT NULL,
		height_mm  REAL NOT NULL,
		offset_x   REAL NOT NULL DEFAULT 0,
		offset_y   REAL NOT NULL DEFAULT 0,
		rotate     INTEGER NOT NULL DEFAULT 0,
		density    INTEGER NOT NULL DEFAULT 0,
		speed      INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE TABLE printer_couriers (
		delivery_id TEXT PRIMARY KEY,
		printer     TEXT NOT NULL REFERENCES printers(name) ON DELETE CASCADE ON UPDATE CASCADE
	);
	CREATE INDEX printer_couriers_printer ON printer_couriers(printer);
	CREATE TABLE print_jobs (
		id         INTEGER PRIMARY KEY,
		order_id   TEXT NOT NULL,
		waybill_id TEXT NOT NULL,
		printer    TEXT NOT NULL,
		settings   TEXT NOT NULL DEFAULT '',
		copies     INTEGER NOT NULL DEFAULT 1,
		state      TEXT NOT NULL,
		reason     TEXT NOT NULL DEFAULT '',
		attempts   INTEGER NOT NULL DEFAULT 0,
		output     TEXT NOT NULL DEFAULT '',
		reprint_of INTEGER NOT NULL DEFAULT 0,
		owner      TEXT NOT NULL DEFAULT '',
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE INDEX print_jobs_queue ON print_jobs(printer, state, id);
	CREATE INDEX print_jobs_state ON print_jobs(state, id);
	CREATE INDEX print_jobs_order ON print_jobs(order_id, id);
	CREATE TABLE print_runners (
		owner      TEXT PRIMARY KEY,
		pid        INTEGER NOT NULL,
		started_at INTEGER NOT NULL,
		seen_at    INTEGER NOT NULL
	);`

// Printer is a printer record: where a label goes and how it is made.
type Printer struct {
	// Name is unique; the operator picks it ("打包台1", "zebra-left").
	Name string
	// Kind is how jobs reach it: "pdf" (a folder), "raw" (TCP 9100),
	// "cups" (a CUPS queue) or "windows" (the Windows spooler).
	Kind string
	// Address is the folder, "host:port", CUPS queue or Windows printer name.
	Address string
	// Language is what the printer reads: "pdf", "tspl", "zpl" or "escpos".
	Language string
	// DPI is the print head's resolution (203 or 300).
	DPI int
	// WidthMM and HeightMM are the label stock.
	WidthMM, HeightMM float64
	// OffsetXMM and OffsetYMM move the label right and down (negative: left
	// and up) on this printer; millimetres so a change of DPI keeps them.
	OffsetXMM, OffsetYMM float64
	// Rotate turns the label clockwise by 0, 90, 180 or 270 degrees.
	Rotate int
	// Density and Speed are the printer language's settings; 0 keeps the
	// printer's own.
	Density, Speed int
	// Couriers are the delivery_ids this printer is the default for.
	Couriers  []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

const printerColumns = `name, kind, address, language, dpi, width_mm, height_mm, offset_x, offset_y,
	rotate, density, speed, created_at, updated_at,
	COALESCE((SELECT group_concat(delivery_id, ',') FROM (SELECT delivery_id FROM printer_couriers c
		WHERE c.printer = printers.name ORDER BY delivery_id)), '')`

func scanPrinter(r scanner) (*Printer, error) {
	var p Printer
	var created, updated int64
	var couriers string
	if err := r.Scan(&p.Name, &p.Kind, &p.Address, &p.Language, &p.DPI, &p.WidthMM, &p.HeightMM,
		&p.OffsetXMM, &p.OffsetYMM, &p.Rotate, &p.Density, &p.Speed, &created, &updated, &couriers); err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt = time.UnixMilli(created), time.UnixMilli(updated)
	if couriers != "" {
		p.Couriers = strings.Split(couriers, ",")
	}
	return &p, nil
}

// CreatePrinter adds a printer record and makes it the default printer of
// its Couriers (taking them over from other printers). It returns
// ErrDuplicate when the name is taken.
func (db *DB) CreatePrinter(ctx context.Context, p *Printer) error {
	return db.savePrinter(ctx, p, false)
}

// UpdatePrinter replaces a printer record's settings and couriers; it
// returns ErrNotFound when there is no printer of that name.
func (db *DB) UpdatePrinter(ctx context.Context, p *Printer) error {
	return db.savePrinter(ctx, p, true)
}

func (db *DB) savePrinter(ctx context.Context, p *Printer, update bool) error {
	what := "add printer " + p.Name
	if update {
		what = "update printer " + p.Name
	}
	if strings.TrimSpace(p.Name) == "" {
		return fmt.Errorf("%s: empty name", what)
	}
	now := time.Now()
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now
	}
	p.UpdatedAt = now
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return pwrap(what, err)
	}
	defer tx.Rollback()
	var res sql.Result
	if update {
		res, err = tx.ExecContext(ctx, `UPDATE printers SET kind=?, address=?, language=?, dpi=?, width_mm=?, height_mm=?,
			offset_x=?, offset_y=?, rotate=?, density=?, speed=?, updated_at=? WHERE name=?`,
			p.Kind, p.Address, p.Language, p.DPI, p.WidthMM, p.HeightMM, p.OffsetXMM, p.OffsetYMM,
			p.Rotate, p.Density, p.Speed, p.UpdatedAt.UnixMilli(), p.Name)
	} else {
		res, err = tx.ExecContext(ctx, `INSERT INTO printers (name, kind, address, language, dpi, width_mm, height_mm,
			offset_x, offset_y, rotate, density, speed, created_at, updated_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(name) DO NOTHING`,
			p.Name, p.Kind, p.Address, p.Language, p.DPI, p.WidthMM, p.HeightMM, p.OffsetXMM, p.OffsetYMM,
			p.Rotate, p.Density, p.Speed, p.CreatedAt.UnixMilli(), p.UpdatedAt.UnixMilli())
	}
	if err != nil {
		return pwrap(what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if update {
			return fmt.Errorf("%s: %w", what, ErrNotFound)
		}
		return fmt.Errorf("%s: %w", what, ErrDuplicate)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM printer_couriers WHERE printer = ?`, p.Name); err != nil {
		return pwrap(what, err)
	}
	for _, c := range p.Couriers {
		if _, err := tx.ExecContext(ctx, `INSERT INTO printer_couriers (delivery_id, printer) VALUES (?, ?)
			ON CONFLICT(delivery_id) DO UPDATE SET printer = excluded.printer`, c, p.Name); err != nil {
			return pwrap(what, err)
		}
	}
	return pwrap(what, tx.Commit())
}

// DeletePrinter removes a printer record. It refuses (ErrPrinterBusy) while the
// printer has jobs that are not finished, which would otherwise be stranded
// without settings; finished jobs keep their history.
func (db *DB) DeletePrinter(ctx context.Context, name string) error {
	what := "remove printer " + name
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return pwrap(what, err)
	}
	defer tx.Rollback()
	var open int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM print_jobs WHERE printer = ? AND settings = ''
		AND state IN (?, ?, ?)`, name, JobQueued, JobRendering, JobSent).Scan(&open); err != nil {
		return pwrap(what, err)
	}
	if open > 0 {
		return fmt.Errorf("%s: %d job(s) not finished yet: %w", what, open, ErrPrinterBusy)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM printers WHERE name = ?`, name)
	if err != nil {
		return pwrap(what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return pwrap(what, tx.Commit())
}

// GetPrinter returns a printer record by name.
func (db *DB) GetPrinter(ctx context.Context, name string) (*Printer, error) {
	p, err := scanPrinter(db.sql.QueryRowContext(ctx, `SELECT `+printerColumns+` FROM printers WHERE name = ?`, name))
	if err != nil {
		return nil, fmt.Errorf("printer %s: %w", name, notFound(err))
	}
	return p, nil
}

// ListPrinters returns every printer record by name.
func (db *DB) ListPrinters(ctx context.Context) ([]Printer, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+printerColumns+` FROM printers ORDER BY name`)
	if err != nil {
		return nil, pwrap("list printers", err)
	}
	defer rows.Close()
	out := []Printer{}
	for rows.Next() {
		p, err := scanPrinter(rows)
		if err != nil {
			return nil, pwrap("list printers", err)
		}
		out = append(out, *p)
	}
	return out, pwrap("list printers", rows.Err())
}

// CourierPrinter returns the name of the default printer of a courier
// (delivery_id), or ErrNotFound.
func (db *DB) CourierPrinter(ctx context.Context, deliveryID string) (string, error) {
	var name string
	err := db.sql.QueryRowContext(ctx, `SELECT printer FROM printer_couriers WHERE delivery_id = ?`, deliveryID).Scan(&name)
	if err != nil {
		return "", fmt.Errorf("default printer of %s: %w", deliveryID, notFound(err))
	}
	return name, nil
}

// PrintJob is one label to print: the order, the printer, and how far it got.
type PrintJob struct {
	ID int64
	// OrderID and WaybillID name the label; OrderID is "" for a test print.
	OrderID   string
	WaybillID string
	// Printer is the printer's name, or a one-off target such as
	// "raw:10.0.0.5:9100" whose settings are in Settings.
	Printer string
	// Settings is the printer settings as JSON for a one-off target, or ""
	// to use the printer record as it is when the job runs.
	Settings json.RawMessage
	Copies   int
	State    string
	// Reason says why the job failed or was put back; "" when all is well.
	Reason string
	// Attempts counts how often a worker took the job.
	Attempts int
	// Output is the file written, for PDF targets.
	Output string
	// ReprintOf is the job this one prints again (the order's previous
	// job), 0 for a first print.
	ReprintOf int64
	// Owner is the queue runner that last claimed the job.
	Owner     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Final reports whether the job reached done or failed.
func (j *PrintJob) Final() bool { return j.State == JobDone || j.State == JobFailed }

const jobColumns = `id, order_id, waybill_id, printer, settings, copies, state, reason, attempts, output,
	reprint_of, owner, created_at, updated_at`

func scanJob(r scanner) (*PrintJob, error) {
	var j PrintJob
	var settings string
	var created, updated int64
	if err := r.Scan(&j.ID, &j.OrderID, &j.WaybillID, &j.Printer, &settings, &j.Copies, &j.State, &j.Reason,
		&j.Attempts, &j.Output, &j.ReprintOf, &j.Owner, &created, &updated); err != nil {
		return nil, err
	}
	if settings != "" {
		j.Settings = json.RawMessage(settings)
	}
	j.CreatedAt, j.UpdatedAt = time.UnixMilli(created), time.UnixMilli(updated)
	return &j, nil
}

// CreatePrintJob stores a new job as queued and fills in its ID, times and
// ReprintOf (the order's latest earlier job, if any). So that a scanner
// read twice does not print a waybill twice, it refuses with ErrDuplicate
// while the same order has an unfinished job on the same printer, and
// sets j.ID to that job. It refuses with ErrQueueFull when the printer
// already has maxQueued queued jobs (0: no limit).
func (db *DB) CreatePrintJob(ctx context.Context, j *PrintJob, maxQueued int) error {
	what := fmt.Sprintf("queue print of %s on %s", j.WaybillID, j.Printer)
	if j.Printer == "" {
		return fmt.Errorf("%s: no printer", what)
	}
	if j.Copies <= 0 {
		j.Copies = 1
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return pwrap(what, err)
	}
	defer tx.Rollback()
	if j.OrderID != "" {
		var open int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM print_jobs WHERE order_id = ? AND printer = ? AND state IN (?, ?, ?)
			ORDER BY id LIMIT 1`, j.OrderID, j.Printer, JobQueued, JobRendering, JobSent).Scan(&open)
		if err == nil {
			j.ID = open
			return fmt.Errorf("%s: job %d for order %s is not finished yet: %w", what, open, j.OrderID, ErrDuplicate)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return pwrap(what, err)
		}
		err = tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) FROM print_jobs WHERE order_id = ?`, j.OrderID).Scan(&j.ReprintOf)
		if err != nil {
			return pwrap(what, err)
		}
	}
	if maxQueued > 0 {
		var queued int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM print_jobs WHERE printer = ? AND state = ?`,
			j.Printer, JobQueued).Scan(&queued); err != nil {
			return pwrap(what, err)
		}
		if queued >= maxQueued {
			return fmt.Errorf("%s: %d jobs already wait for this printer: %w", what, queued, ErrQueueFull)
		}
	}
	now := time.Now()
	j.State, j.Reason, j.Attempts, j.Owner, j.CreatedAt, j.UpdatedAt = JobQueued, "", 0, "", now, now
	res, err := tx.ExecContext(ctx, `INSERT INTO print_jobs (order_id, waybill_id, printer, settings, copies, state,
		output, reprint_of, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		j.OrderID, j.WaybillID, j.Printer, string(j.Settings), j.Copies, j.State, j.Output, j.ReprintOf,
		now.UnixMilli(), now.UnixMilli())
	if err != nil {
		return pwrap(what, err)
	}
	if j.ID, err = res.LastInsertId(); err != nil {
		return pwrap(what, err)
	}
	return pwrap(what, tx.Commit())
}

// ClaimPrintJob moves the oldest queued job of a printer to rendering for
// owner, counts the attempt and returns it; ErrNotFound when there is none.
// It is one statement, so two workers never take the same job, and it
// takes nothing while another runner has an unfinished job on the printer,
// so one printer's jobs go out in order even across processes.
func (db *DB) ClaimPrintJob(ctx context.Context, printer, owner string) (*PrintJob, error) {
	now := time.Now().UnixMilli()
	j, err := scanJob(db.sql.QueryRowContext(ctx, `UPDATE print_jobs SET state = ?, owner = ?, attempts = attempts + 1,
		reason = '', updated_at = ?
		WHERE id = (SELECT id FROM print_jobs WHERE printer = ? AND state = ? ORDER BY id LIMIT 1)
		AND NOT EXISTS (SELECT 1 FROM print_jobs WHERE printer = ? AND state IN (?, ?) AND owner != ?)
		RETURNING `+jobColumns, JobRendering, owner, now, printer, JobQueued, printer, JobRendering, JobSent, owner))
	if err != nil {
		return nil, fmt.Errorf("claim print job of %s: %w", printer, notFound(err))
	}
	return j, nil
}

// AdvancePrintJob moves a job of owner (the runner that claimed it, "" for
// a job never claimed) from one state to another with a reason (and the
// output file, when not ""). It returns ErrJobState when the job is not in
// state from or no longer owner's: states only move forward, never twice,
// and a runner whose job was recovered from it (it looked dead) cannot
// send that job beside the runner that took it over.
func (db *DB) AdvancePrintJob(ctx context.Context, id int64, owner, from, to, reason, output string) error {
	what := fmt.Sprintf("print job %d %s -> %s", id, from, to)
	res, err := db.sql.ExecContext(ctx, `UPDATE print_jobs SET state = ?, reason = ?,
		output = CASE WHEN ? = '' THEN output ELSE ? END, updated_at = ? WHERE id = ? AND state = ? AND owner = ?`,
		to, reason, output, output, time.Now().UnixMilli(), id, from, owner)
	if err != nil {
		return pwrap(what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s: %w", what, ErrJobState)
	}
	return nil
}

// RetryPrintJob puts a failed job back in its printer's queue, keeping its
// place by id (it was queued before the jobs queued after it), and returns
// it. A job that is not failed gives ErrJobState: a done job is printed
// again with a reprint, a new job.
func (db *DB) RetryPrintJob(ctx context.Context, id int64) (*PrintJob, error) {
	what := fmt.Sprintf("retry print job %d", id)
	j, err := scanJob(db.sql.QueryRowContext(ctx, `UPDATE print_jobs SET state = ?, reason = '', owner = '', updated_at = ?
		WHERE id = ? AND state = ? RETURNING `+jobColumns, JobQueued, time.Now().UnixMilli(), id, JobFailed))
	if err == nil {
		return j, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, pwrap(what, err)
	}
	cur, gerr := db.GetPrintJob(ctx, id)
	if gerr != nil {
		return nil, fmt.Errorf("%s: %w", what, gerr)
	}
	return nil, fmt.Errorf("%s: it is %s, only a failed job can be retried: %w", what, cur.State, ErrJobState)
}

// GetPrintJob returns one job.
func (db *DB) GetPrintJob(ctx context.Context, id int64) (*PrintJob, error) {
	j, err := scanJob(db.sql.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM print_jobs WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("print job %d: %w", id, notFound(err))
	}
	return j, nil
}

// PrintJobQuery filters ListPrintJobs; zero fields match everything.
type PrintJobQuery struct {
	State   string
	Printer string
	OrderID string
	Limit   int // default 200
}

// ListPrintJobs returns the matching jobs, newest first.
func (db *DB) ListPrintJobs(ctx context.Context, q PrintJobQuery) ([]PrintJob, error) {
	var where []string
	var args []any
	for _, f := range []struct{ col, val string }{{"state", q.State}, {"printer", q.Printer}, {"order_id", q.OrderID}} {
		if f.val != "" {
			where = append(where, f.col+" = ?")
			args = append(args, f.val)
		}
	}
	query := `SELECT ` + jobColumns + ` FROM print_jobs`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	if q.Limit <= 0 {
		q.Limit = 200
	}
	query += ` ORDER BY id DESC LIMIT ?`
	args = append(args, q.Limit)
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, pwrap("list print jobs", err)
	}
	defer rows.Close()
	out := []PrintJob{}
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, pwrap("list print jobs", err)
		}
		out = append(out, *j)
	}
	return out, pwrap("list print jobs", rows.Err())
}

// QueuedPrinters returns the printers that have queued jobs.
func (db *DB) QueuedPrinters(ctx context.Context) ([]string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT DISTINCT printer FROM print_jobs WHERE state = ? ORDER BY printer`, JobQueued)
	if err != nil {
		return nil, pwrap("queued printers", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, pwrap("queued printers", err)
		}
		out = append(out, p)
	}
	return out, pwrap("queued printers", rows.Err())
}

// Reasons written by RecoverPrintJobs.
const (
	// ReasonRequeued is the reason of a job put back because its runner
	// stopped while rendering it: nothing reached the printer.
	ReasonRequeued = "interrupted while rendering (the program stopped); queued again"
	// ReasonOutcomeUnknown is the reason of a job whose runner stopped while
	// sending it: the label may or may not have printed, and printing it
	// again unasked could put two labels of one waybill on two parcels.
	ReasonOutcomeUnknown = "outcome unknown: the program stopped while the label was being sent; check the printer, and retry only if no label came out"
)

// TouchPrintRunner records that the queue runner owner is alive.
func (db *DB) TouchPrintRunner(ctx context.Context, owner string, pid int, at time.Time) error {
	_, err := db.sql.ExecContext(ctx, `INSERT INTO print_runners (owner, pid, started_at, seen_at) VALUES (?,?,?,?)
		ON CONFLICT(owner) DO UPDATE SET seen_at = excluded.seen_at`, owner, pid, at.UnixMilli(), at.UnixMilli())
	return pwrap("print runner heartbeat", err)
}

// RemovePrintRunner forgets a runner that stopped cleanly.
func (db *DB) RemovePrintRunner(ctx context.Context, owner string) error {
	_, err := db.sql.ExecContext(ctx, `DELETE FROM print_runners WHERE owner = ?`, owner)
	return pwrap("remove print runner", err)
}

// RecoverPrintJobs re-examines the unfinished jobs of runners that are gone
// (no heartbeat since staleBefore, or never registered): a job that was
// rendering goes back to queued (nothing reached the printer); a job that
// was sent becomes failed with ReasonOutcomeUnknown, to be retried by a
// person who looked at the printer, never reprinted silently. It returns
// the jobs it changed, in their new state, and forgets the dead runners.
func (db *DB) RecoverPrintJobs(ctx context.Context, staleBefore time.Time) ([]PrintJob, error) {
	const what = "recover print jobs"
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, pwrap(what, err)
	}
	defer tx.Rollback()
	stale := staleBefore.UnixMilli()
	if _, err := tx.ExecContext(ctx, `DELETE FROM print_runners WHERE seen_at < ?`, stale); err != nil {
		return nil, pwrap(what, err)
	}
	now := time.Now().UnixMilli()
	var out []PrintJob
	for _, m := range []struct{ from, to, reason string }{
		{JobRendering, JobQueued, ReasonRequeued},
		{JobSent, JobFailed, ReasonOutcomeUnknown},
	} {
		rows, err := tx.QueryContext(ctx, `UPDATE print_jobs SET state = ?, reason = ?, updated_at = ?
			WHERE state = ? AND owner NOT IN (SELECT owner FROM print_runners) RETURNING `+jobColumns,
			m.to, m.reason, now, m.from)
		if err != nil {
			return nil, pwrap(what, err)
		}
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				rows.Close()
				return nil, pwrap(what, err)
			}
			out = append(out, *j)
		}
		if err := rows.Close(); err != nil {
			return nil, pwrap(what, err)
		}
	}
	return out, pwrap(what, tx.Commit())
}

// pwrap adds what was being done to an error, and keeps nil nil.
func pwrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// PrintRunnerPIDs returns the process id of every registered queue runner.
func (db *DB) PrintRunnerPIDs(ctx context.Context) (map[string]int, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT owner, pid FROM print_runners`)
	if err != nil {
		return nil, pwrap("print runners", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var owner string
		var pid int
		if err := rows.Scan(&owner, &pid); err != nil {
			return nil, pwrap("print runners", err)
		}
		out[owner] = pid
	}
	return out, pwrap("print runners", rows.Err())
}
