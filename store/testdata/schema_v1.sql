-- Schema 1, the first released schema of Waybill Desk's history (store.migrations[0]),
-- frozen: TestFirstMigrationIsFrozen fails if that entry is ever edited, and the upgrade
-- tests build a history from exactly this SQL.
CREATE TABLE orders (
		id             INTEGER PRIMARY KEY,
		order_id       TEXT NOT NULL UNIQUE,
		delivery_id    TEXT NOT NULL,
		biz_id         TEXT NOT NULL,
		service_type   INTEGER NOT NULL,
		service_name   TEXT NOT NULL,
		status         TEXT NOT NULL,
		waybill_id     TEXT NOT NULL DEFAULT '',
		waybill_data   TEXT NOT NULL DEFAULT '[]',
		print_html     TEXT NOT NULL DEFAULT '',
		request        TEXT NOT NULL,
		receiver_name  TEXT NOT NULL DEFAULT '',
		receiver_phone TEXT NOT NULL DEFAULT '',
		receiver_city  TEXT NOT NULL DEFAULT '',
		error_code     INTEGER NOT NULL DEFAULT 0,
		error_msg      TEXT NOT NULL DEFAULT '',
		created_at     INTEGER NOT NULL,
		updated_at     INTEGER NOT NULL
	);
	CREATE INDEX orders_waybill ON orders(waybill_id);
	CREATE INDEX orders_created ON orders(created_at);
	CREATE INDEX orders_status ON orders(status, created_at);
