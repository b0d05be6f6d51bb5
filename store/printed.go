package store

import (
	"context"
	"fmt"
	"strings"
)

// ListOrdersPrinted is ListOrders limited to the orders that have (printed
// true) or do not have (false) a print job that is done: the Orders
// screen's "printed / not printed" filter. It lives beside ListOrders
// rather than as an OrderQuery field so the two can be merged when that
// file is next changed; the conditions are ListOrders' own.
func (db *DB) ListOrdersPrinted(ctx context.Context, q OrderQuery, printed bool) ([]Order, error) {
	var where []string
	var args []any
	search := strings.TrimSpace(q.Search)
	if search != "" {
		ids, idArgs := searchIDs(search)
		where = append(where, "id IN ("+ids+")")
		args = append(args, idArgs...)
	}
	if q.Status != "" {
		where = append(where, "status = ?")
		args = append(args, q.Status)
	}
	if q.DeliveryID != "" {
		where = append(where, "delivery_id = ?")
		args = append(args, q.DeliveryID)
	}
	if !q.From.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, q.From.UnixMilli())
	}
	if !q.To.IsZero() {
		where = append(where, "created_at < ?")
		args = append(args, q.To.UnixMilli())
	}
	not := "NOT "
	if printed {
		not = ""
	}
	// print_jobs_order (order_id, id) makes this one index probe per row.
	where = append(where, not+"EXISTS (SELECT 1 FROM print_jobs j WHERE j.order_id = orders.order_id AND j.state = ?)")
	args = append(args, JobDone)
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	query := `SELECT ` + orderColumns + ` FROM orders WHERE ` + strings.Join(where, " AND ")
	if search != "" {
		query += " ORDER BY +created_at DESC, id DESC LIMIT ? OFFSET ?"
	} else {
		query += " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
	}
	args = append(args, limit, q.Offset)
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	defer rows.Close()
	var out []Order
	for rows.Next() {
		o, err := scanOrder(rows, false)
		if err != nil {
			return nil, fmt.Errorf("list orders: %w", err)
		}
		out = append(out, *o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	return out, nil
}
