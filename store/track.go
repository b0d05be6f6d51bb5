package store

import (
	"context"
	"fmt"
	"time"
)

// PathEvent is one tracking event of an order's parcel.
type PathEvent struct {
	ActionTime time.Time
	ActionType int
	ActionMsg  string
	Source     string // "getPath", "push" or "testUpdateOrder"
}

// AddPathEvents stores the events of an order that are not stored yet and
// returns how many were new. version is the add_express_path Version of a
// push (0 for polled paths): a push not newer than the last one applied is
// ignored, because WeChat may deliver pushes out of order.
func (db *DB) AddPathEvents(ctx context.Context, orderID string, version int, events []PathEvent) (added int, err error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("add path events of %s: %w", orderID, err)
	}
	defer tx.Rollback()
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT path_version FROM orders WHERE order_id = ?`, orderID).Scan(&have); err != nil {
		return 0, fmt.Errorf("add path events of %s: %w", orderID, notFound(err))
	}
	if version > 0 && version <= have {
		return 0, nil
	}
	now := time.Now().UnixMilli()
	for _, e := range events {
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO path_events
			(order_id, action_time, action_type, action_msg, source, received_at) VALUES (?,?,?,?,?,?)`,
			orderID, e.ActionTime.Unix(), e.ActionType, e.ActionMsg, e.Source, now)
		if err != nil {
			return 0, fmt.Errorf("add path events of %s: %w", orderID, err)
		}
		n, _ := res.RowsAffected()
		added += int(n)
	}
	if version > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET path_version = ? WHERE order_id = ?`, version, orderID); err != nil {
			return 0, fmt.Errorf("add path events of %s: %w", orderID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("add path events of %s: %w", orderID, err)
	}
	return added, nil
}

// PathEvents returns an order's events, oldest first.
func (db *DB) PathEvents(ctx context.Context, orderID string) ([]PathEvent, error) {
	return db.queryPathEvents(ctx, "path events of "+orderID, `SELECT action_time, action_type, action_msg, source
		FROM path_events WHERE order_id = ? ORDER BY action_time, id`, orderID)
}

// queryPathEvents runs a query selecting action_time, action_type,
// action_msg and source.
func (db *DB) queryPathEvents(ctx context.Context, what, query string, args ...any) ([]PathEvent, error) {
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []PathEvent
	for rows.Next() {
		var e PathEvent
		var at int64
		if err := rows.Scan(&at, &e.ActionType, &e.ActionMsg, &e.Source); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		e.ActionTime = time.Unix(at, 0)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// SetTrack records the tracking stage of an order's latest event.
func (db *DB) SetTrack(ctx context.Context, orderID, status string, at time.Time, msg string) error {
	return db.update(ctx, "set tracking of "+orderID,
		`UPDATE orders SET track_status = ?, track_time = ?, track_msg = ?, updated_at = ? WHERE order_id = ?`,
		status, at.Unix(), msg, time.Now().UnixMilli(), orderID)
}
