package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// A history's connections go through a thin wrapper of the SQLite driver
// so that damage is noticed wherever it shows: a "malformed" or "not a
// database" answer to any statement, on any connection of the history
// (the window's, a background check's, a backup's), stops every write to
// the file at once (writing to a damaged file can spread the damage),
// is recorded beside the file so that the next open refuses it (see
// CheckRecord), and comes back to the caller saying where the backups are.

// health is what the connections of one history file know about it.
type health struct {
	path string
	log  *slog.Logger

	mu       sync.Mutex
	damage   error // the first damage SQLite reported; nil while healthy
	onDamage []func(CheckRecord)
}

// note passes err through, turning SQLite damage into ErrDamaged with the
// way out, and stops writes the first time damage is seen.
func (h *health) note(err error) error {
	if err == nil || !isDamage(err) {
		return err
	}
	rec := CheckRecord{At: time.Now(), Kind: "runtime", Problem: err.Error()}
	if h.markDamaged(err, rec) {
		h.log.Error("the history is damaged: writes stopped", "file", h.path, "err", err)
		if werr := writeCheckRecord(h.path, rec); werr != nil {
			h.log.Error("the damage could not be recorded beside the history", "file", h.path, "err", werr)
		}
	}
	if errors.Is(err, ErrDamaged) {
		return err
	}
	return fmt.Errorf("%w: %w; %s", ErrDamaged, err, damageHint(h.path))
}

// markDamaged stops writes after rec found problem and, the first time,
// tells whoever asked to know (OnDamage); it reports whether it was the
// first damage seen.
func (h *health) markDamaged(problem error, rec CheckRecord) (first bool) {
	h.mu.Lock()
	first = h.damage == nil
	if first {
		h.damage = problem
	}
	fns := append([]func(CheckRecord){}, h.onDamage...)
	h.mu.Unlock()
	if first {
		for _, fn := range fns {
			fn(rec)
		}
	}
	return first
}

// OnDamage has fn called once, when the history is first found damaged
// (by a check or at run time), with what was found: the window says so at
// once, not only at the next failed save.
func (db *DB) OnDamage(fn func(CheckRecord)) {
	db.health.mu.Lock()
	defer db.health.mu.Unlock()
	db.health.onDamage = append(db.health.onDamage, fn)
}

// damaged is the first damage seen, nil while the file is healthy.
func (h *health) damaged() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.damage
}

// refuseWrites is the error a write gets once the file is damaged.
func (h *health) refuseWrites() error {
	d := h.damaged()
	if d == nil {
		return nil
	}
	return fmt.Errorf("%w: nothing more is written to it (SQLite reported: %v); %s", ErrDamaged, d, damageHint(h.path))
}

// connector opens guarded SQLite connections to one history.
type connector struct {
	dsn string
	h   *health
}

// openGuarded returns a database handle on dsn whose connections report
// to h.
func openGuarded(dsn string, h *health) *sql.DB {
	return sql.OpenDB(&connector{dsn: dsn, h: h})
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := (&sqlite3.SQLiteDriver{}).Open(c.dsn)
	if err != nil {
		return nil, c.h.note(err)
	}
	return &guardConn{Conn: conn, h: c.h}, nil
}

func (c *connector) Driver() driver.Driver { return &sqlite3.SQLiteDriver{} }

// guardConn is one SQLite connection of a history. Once the history is
// damaged it refuses writes itself, and also sets PRAGMA query_only so
// that SQLite refuses any write this wrapper cannot tell from a read (an
// UPDATE … RETURNING run as a query).
type guardConn struct {
	driver.Conn
	h         *health
	queryOnly bool
}

// guard makes the connection read-only once the history is damaged.
func (c *guardConn) guard(ctx context.Context) {
	if c.queryOnly || c.h.damaged() == nil {
		return
	}
	if ex, ok := c.Conn.(driver.ExecerContext); ok {
		if _, err := ex.ExecContext(ctx, "PRAGMA query_only = ON", nil); err == nil {
			c.queryOnly = true
		}
	}
}

func (c *guardConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *guardConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.guard(ctx)
	st, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, c.h.note(err)
	}
	return &guardStmt{Stmt: st, h: c.h}, nil
}

func (c *guardConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.guard(ctx)
	if err := c.h.refuseWrites(); err != nil && !opts.ReadOnly {
		return nil, err
	}
	tx, err := c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
	if err != nil {
		return nil, c.h.note(err)
	}
	return &guardTx{Tx: tx, h: c.h}, nil
}

func (c *guardConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.guard(ctx)
	if err := c.h.refuseWrites(); err != nil {
		return nil, err
	}
	r, err := c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
	return r, c.h.note(err)
}

func (c *guardConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.guard(ctx)
	r, err := c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	if err != nil {
		return nil, c.h.note(err)
	}
	return &guardRows{Rows: r, h: c.h}, nil
}

func (c *guardConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return c.h.note(p.Ping(ctx))
	}
	return nil
}

type guardStmt struct {
	driver.Stmt
	h *health
}

func (s *guardStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if err := s.h.refuseWrites(); err != nil {
		return nil, err
	}
	r, err := s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
	return r, s.h.note(err)
}

func (s *guardStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	r, err := s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, s.h.note(err)
	}
	return &guardRows{Rows: r, h: s.h}, nil
}

type guardTx struct {
	driver.Tx
	h *health
}

func (t *guardTx) Commit() error { return t.h.note(t.Tx.Commit()) }

type guardRows struct {
	driver.Rows
	h *health
}

func (r *guardRows) Next(dest []driver.Value) error {
	err := r.Rows.Next(dest)
	if err == io.EOF {
		return err
	}
	return r.h.note(err)
}
