package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Setting returns the value stored under key, or "" when none is.
func (db *DB) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := db.sql.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting stores value under key ("" deletes it).
func (db *DB) SetSetting(ctx context.Context, key, value string) error {
	var err error
	if value == "" {
		_, err = db.sql.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, key)
	} else {
		_, err = db.sql.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	}
	if err != nil {
		return fmt.Errorf("set setting %s: %w", key, err)
	}
	return nil
}

// SettingJSON decodes the JSON stored under key into v; found is false
// when nothing is stored.
func (db *DB) SettingJSON(ctx context.Context, key string, v any) (found bool, err error) {
	s, err := db.Setting(ctx, key)
	if err != nil || s == "" {
		return false, err
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return false, fmt.Errorf("setting %s: %w", key, err)
	}
	return true, nil
}

// SetSettingJSON stores v as JSON under key.
func (db *DB) SetSettingJSON(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("set setting %s: %w", key, err)
	}
	return db.SetSetting(ctx, key, string(b))
}

// AuditEntry is one line of the audit log: who did what when.
type AuditEntry struct {
	At      time.Time
	Actor   string // the operator (OS user or station name)
	Action  string // e.g. "place", "cancel", "print", "reconcile", "import"
	OrderID string
	Detail  string
}

// Audit appends an entry to the audit log.
func (db *DB) Audit(ctx context.Context, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	_, err := db.sql.ExecContext(ctx, `INSERT INTO audit (at, actor, action, order_id, detail) VALUES (?,?,?,?,?)`,
		e.At.UnixMilli(), e.Actor, e.Action, e.OrderID, e.Detail)
	if err != nil {
		return fmt.Errorf("audit %s %s: %w", e.Action, e.OrderID, err)
	}
	return nil
}

// AuditLog returns the newest entries first, for one order when orderID is
// not empty.
func (db *DB) AuditLog(ctx context.Context, orderID string, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 200
	}
	q := `SELECT at, actor, action, order_id, detail FROM audit`
	var args []any
	if orderID != "" {
		q += ` WHERE order_id = ?`
		args = append(args, orderID)
	}
	q += ` ORDER BY at DESC, id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&at, &e.Actor, &e.Action, &e.OrderID, &e.Detail); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		e.At = time.UnixMilli(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
