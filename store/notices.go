package store

import (
	"context"
	"fmt"
	"time"
)

const migrationNotices = `CREATE TABLE notices (
	order_id      TEXT PRIMARY KEY REFERENCES orders(order_id),
	family        TEXT NOT NULL,
	waybill_token TEXT NOT NULL DEFAULT '',
	status        INTEGER NOT NULL DEFAULT -1,
	error         TEXT NOT NULL DEFAULT '',
	updated_at    INTEGER NOT NULL
);`

// Notice is the buyer-notice state of an order: the waybill_token WeChat
// gave when the waybill was registered, and the last status it reported
// (-1 before any query).
type Notice struct {
	OrderID      string
	Family       string // "follow" or "trace"
	WaybillToken string
	Status       int
	Error        string // why registration failed, when it did
	UpdatedAt    time.Time
}

// SetNotice records an order's buyer-notice state.
func (db *DB) SetNotice(ctx context.Context, n Notice) error {
	if n.UpdatedAt.IsZero() {
		n.UpdatedAt = time.Now()
	}
	_, err := db.sql.ExecContext(ctx, `INSERT INTO notices (order_id, family, waybill_token, status, error, updated_at)
		VALUES (?,?,?,?,?,?) ON CONFLICT(order_id) DO UPDATE SET family = excluded.family,
		waybill_token = excluded.waybill_token, status = excluded.status, error = excluded.error, updated_at = excluded.updated_at`,
		n.OrderID, n.Family, n.WaybillToken, n.Status, n.Error, n.UpdatedAt.UnixMilli())
	if err != nil {
		return wrap("set notice of "+n.OrderID, err)
	}
	return nil
}

// Notice returns an order's buyer-notice state, or ErrNotFound.
func (db *DB) Notice(ctx context.Context, orderID string) (*Notice, error) {
	var n Notice
	var at int64
	err := db.sql.QueryRowContext(ctx, `SELECT order_id, family, waybill_token, status, error, updated_at FROM notices
		WHERE order_id = ?`, orderID).Scan(&n.OrderID, &n.Family, &n.WaybillToken, &n.Status, &n.Error, &at)
	if err != nil {
		return nil, wrap("notice of "+orderID, notFound(err))
	}
	n.UpdatedAt = time.UnixMilli(at)
	return &n, nil
}

func wrap(what string, err error) error { return fmt.Errorf("%s: %w", what, err) }
