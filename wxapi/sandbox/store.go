package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// store is the sandbox's SQLite state: tokens, couriers, bound accounts,
// orders and their paths, buyer notices, printers, pushes, bound phones and
// courier path notices. Nothing else
// in the package writes SQL outside the *_store.go files.
type store struct {
	db *sql.DB
	// now is the sandbox clock (orders, paths, accounts); wall is the real
	// clock (tokens, push retries). They are equal unless Options.Speed or
	// an Advance moved the sandbox clock.
	now  func() time.Time
	wall func() time.Time
}

// dsnParams: WAL lets getOrder read while addOrder writes; busy_timeout
// makes concurrent writers wait instead of failing; _txlock=immediate takes
// the write lock at BEGIN, so two read-then-write transactions (check the
// order_id, then insert) cannot deadlock on a lock upgrade.
const dsnParams = "?_journal_mode=WAL&_busy_timeout=5000&_foreign_keys=on&_txlock=immediate"

// openStore opens and migrates the file. Both clocks start as wall; Open
// switches now to the sandbox clock once the saved offset is read.
func openStore(ctx context.Context, path string, wall func() time.Time) (*store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create directory of %s: %w", path, err)
		}
	}
	db, err := sql.Open("sqlite3", path+dsnParams)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	st := &store{db: db, now: wall, wall: wall}
	if err := st.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	return st, nil
}

func (st *store) close() error { return st.db.Close() }

// inTx runs fn in one write transaction, committed when fn returns nil.
func (st *store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// migration moves the schema from version i to i+1 (index i of migrations).
type migration func(ctx context.Context, tx *sql.Tx, now time.Time) error

// migrations, in order; PRAGMA user_version counts how many ran. Append
// only: a released database has run the earlier ones.
var migrations = []migration{
	migrateSchemaV1,
	migrateSeedV2,
	migrateLifecycleV3,
	migrateCourierV4,
}

// migrate runs the missing migrations, each in its own transaction together
// with the version bump, so a crash leaves a consistent version.
func (st *store) migrate(ctx context.Context) error {
	for {
		done, err := st.migrateOne(ctx)
		if err != nil || done {
			return err
		}
	}
}

func (st *store) migrateOne(ctx context.Context) (done bool, err error) {
	err = st.inTx(ctx, func(tx *sql.Tx) error {
		// Read the version inside the write transaction: another process
		// opening the same file may have migrated in the meantime.
		var v int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		switch {
		case v > len(migrations):
			return fmt.Errorf("schema version %d is newer than this program (%d)", v, len(migrations))
		case v == len(migrations):
			done = true
			return nil
		}
		if err := migrations[v](ctx, tx, st.now()); err != nil {
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
		// PRAGMA takes no bind parameters; v is an int we control.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			return fmt.Errorf("set schema version %d: %w", v+1, err)
		}
		return nil
	})
	return done, err
}

func migrateSchemaV1(ctx context.Context, tx *sql.Tx, _ time.Time) error {
	const ddl = `
CREATE TABLE tokens (
	token      TEXT PRIMARY KEY,
	kind       TEXT NOT NULL CHECK (kind IN ('stable', 'classic')),
	created_ms INTEGER NOT NULL,
	expires_ms INTEGER NOT NULL,       -- natural end of life: 42001 after it
	revoked_ms INTEGER                 -- superseded: 40001 from then on
);
CREATE INDEX tokens_kind ON tokens (kind, created_ms);

CREATE TABLE couriers (
	delivery_id   TEXT PRIMARY KEY,
	delivery_name TEXT NOT NULL,
	can_use_cash  INTEGER NOT NULL,
	can_get_quota INTEGER NOT NULL,
	cash_biz_id   TEXT NOT NULL DEFAULT '',
	model         TEXT NOT NULL CHECK (model IN ('franchise', 'direct', 'test')),
	position      INTEGER NOT NULL
);

CREATE TABLE services (
	delivery_id  TEXT NOT NULL REFERENCES couriers (delivery_id),
	service_type INTEGER NOT NULL,
	service_name TEXT NOT NULL,
	PRIMARY KEY (delivery_id, service_type)
);

CREATE TABLE accounts (
	delivery_id       TEXT NOT NULL REFERENCES couriers (delivery_id),
	biz_id            TEXT NOT NULL,
	alias             TEXT NOT NULL DEFAULT '',
	status_code       INTEGER NOT NULL DEFAULT 0,
	remark_wrong_msg  TEXT NOT NULL DEFAULT '',
	remark_content    TEXT NOT NULL DEFAULT '',
	quota_num         INTEGER NOT NULL DEFAULT 0,
	quota_update_time INTEGER NOT NULL,
	create_time       INTEGER NOT NULL,
	update_time       INTEGER NOT NULL,
	PRIMARY KEY (delivery_id, biz_id)
);

CREATE TABLE orders (
	order_id     TEXT PRIMARY KEY,     -- unique across couriers, like WeChat's
	delivery_id  TEXT NOT NULL REFERENCES couriers (delivery_id),
	biz_id       TEXT NOT NULL,
	waybill_id   TEXT NOT NULL UNIQUE,
	service_type INTEGER NOT NULL,
	sorting_code TEXT NOT NULL,
	bag_addr     TEXT NOT NULL,
	request_json TEXT NOT NULL,        -- the addOrder body as received
	waybill_data TEXT NOT NULL,        -- JSON array of {key, value}
	order_status INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL      -- Unix seconds
);`
	if _, err := tx.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("create tables: %w", err)
	}
	return nil
}
