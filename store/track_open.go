package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// OpenOrder is a placed order whose parcel is still on its way, with what
// a tracker needs to decide whether to ask for its path now.
type OpenOrder struct {
	OrderID   string
	CreatedAt time.Time
	TrackTime time.Time // zero before the first path event
	// Cursor is the walk position just after this order.
	Cursor OpenCursor
}

// OpenCursor is a position in the walk over the open orders, by creation
// time then row; the zero value is before the oldest.
type OpenCursor struct {
	createdAt int64 // Unix ms, as stored
	id        int64
}

// OpenQuery selects a page of the walk over the open orders.
type OpenQuery struct {
	// Since leaves out orders created before it (too old to track).
	Since time.Time
	// After resumes the walk after this position.
	After OpenCursor
	// Closed are the track stages that end tracking (signed, returned).
	Closed []string
	// Limit is the page size; default 500.
	Limit int
}

// OpenOrders returns the next page of placed orders created at or after
// q.Since whose track stage is none of q.Closed, oldest first, after
// q.After. Walking page by page from the zero cursor visits every open
// order once, however many there are: the walk is the index
// orders_status(status, created_at) in order (its entries end with the
// row id, so ties sort without a temporary b-tree), and the page reads no
// request or label.
func (db *DB) OpenOrders(ctx context.Context, q OpenQuery) ([]OpenOrder, error) {
	query, args := q.sql()
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("open orders: %w", err)
	}
	defer rows.Close()
	var out []OpenOrder
	for rows.Next() {
		var o OpenOrder
		var tracked int64
		if err := rows.Scan(&o.Cursor.id, &o.OrderID, &o.Cursor.createdAt, &tracked); err != nil {
			return nil, fmt.Errorf("open orders: %w", err)
		}
		o.CreatedAt = time.UnixMilli(o.Cursor.createdAt)
		if tracked > 0 {
			o.TrackTime = time.Unix(tracked, 0)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("open orders: %w", err)
	}
	return out, nil
}

// sql is the page query of q and its arguments.
func (q OpenQuery) sql() (string, []any) {
	if q.Limit <= 0 {
		q.Limit = 500
	}
	query := `SELECT id, order_id, created_at, track_time FROM orders
		WHERE status = ? AND created_at >= ? AND (created_at, id) > (?, ?)`
	args := []any{StatusPlaced, q.Since.UnixMilli(), q.After.createdAt, q.After.id}
	if len(q.Closed) > 0 {
		query += ` AND track_status NOT IN (?` + strings.Repeat(",?", len(q.Closed)-1) + `)`
		for _, s := range q.Closed {
			args = append(args, s)
		}
	}
	query += ` ORDER BY created_at, id LIMIT ?`
	return query, append(args, q.Limit)
}
