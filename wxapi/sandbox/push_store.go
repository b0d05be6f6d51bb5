package sandbox

import (
	"context"
	"fmt"
	"time"
)

// pushState is where an order's pushes stand.
type pushState struct {
	OrderID     string
	Version     int // last Version the callback accepted
	PushedCount int // events in that snapshot
	Attempts    int // failed deliveries since then
}

// pushesDue lists the orders to look at: not finished and not waiting for
// a retry at now. Orders never pushed have no row yet and start at version 0.
func (st *store) pushesDue(ctx context.Context, now time.Time) ([]pushState, error) {
	rows, err := st.db.QueryContext(ctx, `SELECT o.order_id, COALESCE(p.version, 0), COALESCE(p.pushed_count, 0),
		COALESCE(p.attempts, 0) FROM orders o LEFT JOIN pushes p ON p.order_id = o.order_id
		WHERE COALESCE(p.done, 0) = 0 AND COALESCE(p.next_try_ms, 0) <= ?
		ORDER BY o.created_at, o.rowid`, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("list pushes due: %w", err)
	}
	var out []pushState
	for rows.Next() {
		var p pushState
		if err := rows.Scan(&p.OrderID, &p.Version, &p.PushedCount, &p.Attempts); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read push state: %w", err)
		}
		out = append(out, p)
	}
	return out, closeRows(rows)
}

// pushDelivered records an accepted snapshot; done stops looking at the
// order until a hand-made event wakes it.
func (st *store) pushDelivered(ctx context.Context, orderID string, version, count int, done bool) error {
	if _, err := st.db.ExecContext(ctx, `INSERT INTO pushes (order_id, version, pushed_count, done, attempts, next_try_ms, last_error)
		VALUES (?, ?, ?, ?, 0, 0, '')
		ON CONFLICT (order_id) DO UPDATE SET version = excluded.version, pushed_count = excluded.pushed_count,
			done = excluded.done, attempts = 0, next_try_ms = 0, last_error = ''`,
		orderID, version, count, done); err != nil {
		return fmt.Errorf("record push of %s: %w", orderID, err)
	}
	return nil
}

// pushFailed counts a failed delivery and when to try again.
func (st *store) pushFailed(ctx context.Context, orderID string, next time.Time, reason string) error {
	if _, err := st.db.ExecContext(ctx, `INSERT INTO pushes (order_id, attempts, next_try_ms, last_error)
		VALUES (?, 1, ?, ?)
		ON CONFLICT (order_id) DO UPDATE SET attempts = attempts + 1, next_try_ms = excluded.next_try_ms,
			last_error = excluded.last_error`, orderID, next.UnixMilli(), reason); err != nil {
		return fmt.Errorf("record failed push of %s: %w", orderID, err)
	}
	return nil
}
