package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrateCourierV4 adds the courier side of 手机号物流消息推送 (seed 003):
// the phones bound to WeChat's express service by hand (the others follow
// the default rule of phoneBoundByDefault) and the path notices WeChat
// accepted from gateway couriers, after their back-check.
func migrateCourierV4(ctx context.Context, tx *sql.Tx, _ time.Time) error {
	const ddl = `
CREATE TABLE bound_phones (
	phone      TEXT PRIMARY KEY,        -- digits only, without +86
	bound      INTEGER NOT NULL,        -- 1 bound, 0 unbound
	updated_at INTEGER NOT NULL         -- sandbox Unix seconds
);

CREATE TABLE courier_notices (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	delivery_id TEXT NOT NULL,          -- the gateway courier that pushed
	waybill_id  TEXT NOT NULL,
	phone       TEXT NOT NULL,          -- the receiver's, masked
	action_time INTEGER NOT NULL,
	action_type INTEGER NOT NULL,
	action_msg  TEXT NOT NULL,
	result      TEXT NOT NULL,          -- message_sent or path_updated
	created_at  INTEGER NOT NULL,       -- sandbox Unix seconds
	UNIQUE (waybill_id, action_time, action_type, action_msg)
);
CREATE INDEX courier_notices_waybill ON courier_notices (waybill_id, seq);`
	if _, err := tx.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("courier tables: %w", err)
	}
	return nil
}
