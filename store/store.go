// Package store keeps Waybill Desk's history in SQLite: the schema, its
// migrations and every query. No other package writes SQL.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver, registered as "sqlite3"
)

// DB is the order history. It is safe for concurrent use.
type DB struct {
	sql    *sql.DB
	path   string
	health *health
}

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrDuplicate is returned when a row with the same key already exists.
var ErrDuplicate = errors.New("already exists")

// Open opens (creating it and its folder when missing) the history at path
// and brings its schema up to date, in a time that does not grow with the
// history: nothing on this path reads the whole file. The integrity check
// runs in the background instead (see Check); a history whose last check
// found damage is refused with an error wrapping ErrDamaged that says how
// to restore a backup. Before migrating an existing history with an older
// schema it copies it to backups/<name>-v<old>-<time>.db beside it, and
// does not migrate when that copy fails.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("open history: no database path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open history %s: %w", path, err)
	}
	if err := refuseIfFailed(path); err != nil {
		return nil, fmt.Errorf("open history %s: %w", path, err)
	}
	h := &health{path: path, log: slog.Default()}
	db := openGuarded(DSN(path), h)
	// One writer at a time is SQLite's model; a single connection also
	// makes writes from several goroutines queue instead of failing busy.
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		// A damaged file's error says where the backups are (guard.go).
		return nil, fmt.Errorf("open history %s: %w", path, err)
	}
	s := &DB{sql: db, path: path, health: h}
	if _, err := s.backupBeforeMigrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open history %s: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open history %s: %w", path, err)
	}
	if err := s.indexUnsearchable(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open history %s: %w", path, err)
	}
	return s, nil
}

// DSN is the go-sqlite3 data source name used for every database of the
// app: WAL so readers never block the writer, a busy timeout, foreign keys.
func DSN(path string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_journal_mode=WAL&_busy_timeout=5000&_foreign_keys=on&_txlock=immediate&_cache_size=-65536"
}

// Path is the file the history lives in.
func (db *DB) Path() string { return db.path }

// Close closes the database.
func (db *DB) Close() error { return db.sql.Close() }

// migrations are applied in order; PRAGMA user_version counts those done.
// Never edit a released entry: add a new one.
var migrations = []string{
	// 1: orders, with the request as sent and what WeChat answered.
	`CREATE TABLE orders (
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
	CREATE INDEX orders_status ON orders(status, created_at);`,
	// 2: tracking. Each path event is stored once; the order keeps the stage
	// of its latest event so lists need no join.
	`CREATE TABLE path_events (
		id          INTEGER PRIMARY KEY,
		order_id    TEXT NOT NULL REFERENCES orders(order_id),
		action_time INTEGER NOT NULL,
		action_type INTEGER NOT NULL,
		action_msg  TEXT NOT NULL,
		source      TEXT NOT NULL,
		received_at INTEGER NOT NULL,
		UNIQUE (order_id, action_time, action_type, action_msg)
	);
	CREATE INDEX path_events_order ON path_events(order_id, action_time);
	ALTER TABLE orders ADD COLUMN track_status TEXT NOT NULL DEFAULT '';
	ALTER TABLE orders ADD COLUMN track_time INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE orders ADD COLUMN track_msg TEXT NOT NULL DEFAULT '';
	ALTER TABLE orders ADD COLUMN path_version INTEGER NOT NULL DEFAULT 0;`,
	// 3: settings shared by the GUI and the command line, and the audit log.
	`CREATE TABLE settings (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	);
	CREATE TABLE audit (
		id       INTEGER PRIMARY KEY,
		at       INTEGER NOT NULL,
		actor    TEXT NOT NULL,
		action   TEXT NOT NULL,
		order_id TEXT NOT NULL DEFAULT '',
		detail   TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX audit_at ON audit(at);
	CREATE INDEX audit_order ON audit(order_id, at);`,
	// 4: fast search on a large history. phone_rev is the receiver phone
	// reversed, so "last four digits" is an indexed prefix match;
	// order_terms holds every suffix of the receiver name, so a name
	// substring is an indexed prefix match too. search_v marks rows indexed.
	`ALTER TABLE orders ADD COLUMN phone_rev TEXT NOT NULL DEFAULT '';
	ALTER TABLE orders ADD COLUMN search_v INTEGER NOT NULL DEFAULT 0;
	CREATE INDEX orders_phone_rev ON orders(phone_rev);
	CREATE TABLE order_terms (
		term     TEXT NOT NULL,
		order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
		PRIMARY KEY (term, order_id)
	) WITHOUT ROWID;
	CREATE INDEX order_terms_order ON order_terms(order_id);`,
	// 5: which path events the courier gateway pushed to WeChat's phone-number
	// notices (store/courier_push.go).
	migrationPhonePushes,
	// 6: batch import runs and which order each imported row became
	// (store/imports.go).
	migrationImports,
	// 7: buyer notices: the waybill_token of each followed order and what
	// WeChat last said about it (store/notices.go).
	migrationNotices,
	// 8: printer records, default printer per courier, print jobs and
	// queue runners (store/printing.go).
	migrationPrinting,
	// 9: the order state machine: versions, leases, fingerprints
	// (store/orderstate.go).
	migrationOrderState,
	// 10: the tracker's schedule, and the open orders by due time
	// (store/track_due.go).
	migrationTrackDue,
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int { return len(migrations) }

func (db *DB) migrate(ctx context.Context) error {
	var have int
	if err := db.sql.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this program knows (%d): update Waybill Desk", have, len(migrations))
	}
	for v := have; v < len(migrations); v++ {
		// The transaction takes the write lock first (_txlock=immediate);
		// the version is read again under it, because another process
		// opening the same new history may have migrated meanwhile.
		tx, err := db.sql.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		var now int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&now); err != nil {
			tx.Rollback()
			return fmt.Errorf("read schema version: %w", err)
		}
		if now > v {
			tx.Rollback()
			v = now - 1
			continue
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to schema %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to schema %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate to schema %d: %w", v+1, err)
		}
	}
	return nil
}
