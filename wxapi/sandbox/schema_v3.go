package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrateLifecycleV3 adds what the order lifecycle needs beyond addOrder:
// cancellation, hand-made path events, EMS reviews, buyer notices, printer
// operators, label sizes, push bookkeeping and saved settings.
func migrateLifecycleV3(ctx context.Context, tx *sql.Tx, _ time.Time) error {
	const ddl = `
ALTER TABLE orders ADD COLUMN cancelled_at INTEGER;    -- sandbox Unix seconds; NULL = not cancelled

-- An EMS bind is reviewed: status_code 1 until review_done_at (sandbox
-- Unix seconds), then review_status (0 bound, 2 failed) with review_msg.
ALTER TABLE accounts ADD COLUMN review_done_at INTEGER;
ALTER TABLE accounts ADD COLUMN review_status INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN review_msg TEXT NOT NULL DEFAULT '';

-- Path events that do not come from the simulation: testUpdateOrder and
-- the 400001 of a cancellation.
CREATE TABLE path_events (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	order_id    TEXT NOT NULL REFERENCES orders (order_id),
	action_time INTEGER NOT NULL,
	action_type INTEGER NOT NULL,
	action_msg  TEXT NOT NULL
);
CREATE INDEX path_events_order ON path_events (order_id, action_time);

-- add_express_path deliveries: the last Version the callback accepted and
-- how many events it carried; retries wait until next_try_ms (wall clock).
CREATE TABLE pushes (
	order_id     TEXT PRIMARY KEY REFERENCES orders (order_id),
	version      INTEGER NOT NULL DEFAULT 0,
	pushed_count INTEGER NOT NULL DEFAULT 0,
	done         INTEGER NOT NULL DEFAULT 0,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_try_ms  INTEGER NOT NULL DEFAULT 0,
	last_error   TEXT NOT NULL DEFAULT ''
);

-- Buyer notices (trace_waybill / follow_waybill): one token per family,
-- openid and waybill.
CREATE TABLE notices (
	token       TEXT PRIMARY KEY,
	family      TEXT NOT NULL CHECK (family IN ('trace', 'follow')),
	openid      TEXT NOT NULL,
	waybill_id  TEXT NOT NULL,
	delivery_id TEXT NOT NULL DEFAULT '',
	goods_json  TEXT NOT NULL,
	updates     INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL,
	UNIQUE (family, openid, waybill_id)
);

-- Printer operators (打印员) of WeChat's PC label software.
CREATE TABLE printers (
	openid     TEXT PRIMARY KEY,
	tagid_list TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
);

-- Label size per account (biz_id set) or per courier (biz_id '').
CREATE TABLE label_sizes (
	delivery_id TEXT NOT NULL,
	biz_id      TEXT NOT NULL DEFAULT '',
	size        TEXT NOT NULL,
	PRIMARY KEY (delivery_id, biz_id)
);

-- Small values that outlive a restart, e.g. the sandbox clock's offset.
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);`
	if _, err := tx.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("lifecycle tables: %w", err)
	}
	return nil
}
