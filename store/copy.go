package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// CopyOrders writes many orders exactly as given, as CopyOrder does for
// one, in a single transaction: copying a history (or building a big one
// for a benchmark) one transaction per row would spend its time in
// commits. Either every order is written, search data included, or none:
// an order_id already taken fails the whole batch with ErrDuplicate. Empty
// fields are completed as CopyOrder completes them, in the given orders.
func (db *DB) CopyOrders(ctx context.Context, list []Order) error {
	if len(list) == 0 {
		return nil
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("copy %d orders: %w", len(list), err)
	}
	defer tx.Rollback()
	stmts := &stmtCache{tx: tx, stmts: map[string]*sql.Stmt{}}
	defer stmts.close()
	insert, err := stmts.prepare(ctx, `INSERT INTO orders (`+orderColumns+`)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(order_id) DO NOTHING`)
	if err != nil {
		return fmt.Errorf("copy %d orders: %w", len(list), err)
	}
	// A copied history often repeats a label (a test fixture, a benchmark
	// built from one sandbox order): gzip it once, not once per row.
	var lastLabel string
	var lastPacked any
	now := time.Now()
	for i := range list {
		o := &list[i]
		if o.OrderID == "" {
			return errors.New("copy order: empty order_id")
		}
		if o.Status == "" {
			o.Status = StatusSubmitting
		}
		if o.Version == 0 {
			o.Version = 1
		}
		if o.CreatedAt.IsZero() {
			o.CreatedAt = now
		}
		if o.UpdatedAt.IsZero() {
			o.UpdatedAt = o.CreatedAt
		}
		data, err := json.Marshal(nonNil(o.WaybillData))
		if err != nil {
			return fmt.Errorf("copy order %s: %w", o.OrderID, err)
		}
		var leaseUntil, sent, tracked int64
		if !o.Lease.Until.IsZero() {
			leaseUntil = o.Lease.Until.UnixMilli()
		}
		if !o.SentAt.IsZero() {
			sent = o.SentAt.UnixMilli()
		}
		if !o.TrackTime.IsZero() {
			tracked = o.TrackTime.Unix()
		}
		if lastPacked == nil || o.PrintHTML != lastLabel {
			lastLabel, lastPacked = o.PrintHTML, packLabel(o.PrintHTML)
		}
		res, err := insert.ExecContext(ctx,
			o.OrderID, o.DeliveryID, o.BizID, o.ServiceType, o.ServiceName, o.Status,
			o.WaybillID, string(data), lastPacked, string(o.Request), o.ReceiverName, o.ReceiverPhone,
			o.ReceiverCity, o.ErrorCode, o.ErrorMsg, o.CreatedAt.UnixMilli(), o.UpdatedAt.UnixMilli(),
			o.TrackStatus, tracked, o.TrackMsg, o.Version, o.Lease.Owner, leaseUntil, sent, o.SettledBy, o.Fingerprint)
		if err != nil {
			return fmt.Errorf("copy order %s: %w", o.OrderID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("copy order %s: %w", o.OrderID, ErrDuplicate)
		}
		rowID, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("copy order %s: %w", o.OrderID, err)
		}
		if err := indexOrder(ctx, stmts, rowID, o.ReceiverName, o.ReceiverPhone); err != nil {
			return fmt.Errorf("copy order %s: index for search: %w", o.OrderID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("copy %d orders: %w", len(list), err)
	}
	return nil
}

// stmtCache runs each distinct statement of a transaction prepared once:
// indexOrder's few statements run for every copied row, and preparing
// them again each time would cost as much as running them.
type stmtCache struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func (c *stmtCache) prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := c.stmts[query]; ok {
		return s, nil
	}
	s, err := c.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = s
	return s, nil
}

// ExecContext makes stmtCache a txExec.
func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := c.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (c *stmtCache) close() {
	for _, s := range c.stmts {
		s.Close()
	}
}
