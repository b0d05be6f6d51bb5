package store

import (
	"context"
	"fmt"
	"time"
)

// migrationPhonePushes (schema 5) remembers which path events were pushed
// through WeChat's phone-number notices (手机号物流消息推送, pathnotify), so a
// courier pushes each event once however often `courier notify --all-new`
// runs. Rows are keyed like path_events, whose ids are not exposed.
const migrationPhonePushes = `CREATE TABLE phone_pushes (
	order_id    TEXT NOT NULL REFERENCES orders(order_id),
	action_time INTEGER NOT NULL,
	action_type INTEGER NOT NULL,
	action_msg  TEXT NOT NULL,
	pushed_at   INTEGER NOT NULL,
	PRIMARY KEY (order_id, action_time, action_type, action_msg)
);`

// UnpushedPathEvents returns an order's path events that were not pushed
// through pathnotify yet, oldest first.
func (db *DB) UnpushedPathEvents(ctx context.Context, orderID string) ([]PathEvent, error) {
	return db.queryPathEvents(ctx, "unpushed path events of "+orderID, `SELECT e.action_time, e.action_type, e.action_msg, e.source
		FROM path_events e LEFT JOIN phone_pushes p ON p.order_id = e.order_id
			AND p.action_time = e.action_time AND p.action_type = e.action_type AND p.action_msg = e.action_msg
		WHERE e.order_id = ? AND p.order_id IS NULL ORDER BY e.action_time, e.id`, orderID)
}

// MarkPathEventPushed records that an order's path event was pushed through
// pathnotify at a time. Marking it again changes nothing.
func (db *DB) MarkPathEventPushed(ctx context.Context, orderID string, e PathEvent, at time.Time) error {
	_, err := db.sql.ExecContext(ctx, `INSERT OR IGNORE INTO phone_pushes
		(order_id, action_time, action_type, action_msg, pushed_at) VALUES (?,?,?,?,?)`,
		orderID, e.ActionTime.Unix(), e.ActionType, e.ActionMsg, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("mark path event of %s pushed: %w", orderID, err)
	}
	return nil
}

// OrdersWithUnpushedEvents returns the order ids of placed orders that have
// path events not pushed through pathnotify yet, oldest order first.
func (db *DB) OrdersWithUnpushedEvents(ctx context.Context) ([]string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT o.order_id FROM orders o
		WHERE o.status = ? AND EXISTS (SELECT 1 FROM path_events e WHERE e.order_id = o.order_id
			AND NOT EXISTS (SELECT 1 FROM phone_pushes p WHERE p.order_id = e.order_id
				AND p.action_time = e.action_time AND p.action_type = e.action_type AND p.action_msg = e.action_msg))
		ORDER BY o.created_at, o.id`, StatusPlaced)
	if err != nil {
		return nil, fmt.Errorf("orders with unpushed events: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("orders with unpushed events: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("orders with unpushed events: %w", err)
	}
	return out, nil
}
