package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// A history belongs to one platform: the sandbox, or WeChat under one
// AppID. Its orders' ids, waybills and labels mean something only there, so
// a history claimed by one platform is never used for another: a sandbox
// order must never block, show as or print as a real one.

// PlatformSandbox names the sandbox (embedded or standalone) as a platform.
const PlatformSandbox = "sandbox"

// WeChatPlatform names WeChat under an AppID as a platform.
func WeChatPlatform(appID string) string { return "wechat:" + appID }

// PlatformLabel words a platform for an operator: "the sandbox" or
// "WeChat (AppID wx12…)".
func PlatformLabel(p string) string {
	if p == PlatformSandbox {
		return "the sandbox"
	}
	if id, ok := strings.CutPrefix(p, "wechat:"); ok {
		return "WeChat (AppID " + id + ")"
	}
	return p
}

// settingPlatform is the settings key holding the platform a history
// belongs to; empty until its first claim.
const settingPlatform = "history.platform"

// ErrOtherPlatform is returned when a history belongs to another platform.
var ErrOtherPlatform = errors.New("this history belongs to another platform")

// PlatformError says which platform a history belongs to.
type PlatformError struct {
	Path string
	Have string // the history's platform
	Want string // the platform asked for
}

func (e *PlatformError) Error() string {
	return fmt.Sprintf("%s holds orders placed on %s, not %s: sandbox and real orders are never kept in one history",
		e.Path, PlatformLabel(e.Have), PlatformLabel(e.Want))
}

// Unwrap makes errors.Is(err, ErrOtherPlatform) true.
func (e *PlatformError) Unwrap() error { return ErrOtherPlatform }

// Platform returns the platform the history belongs to, "" when unclaimed.
func (db *DB) Platform(ctx context.Context) (string, error) {
	p, err := db.Setting(ctx, settingPlatform)
	if err != nil {
		return "", fmt.Errorf("platform of %s: %w", db.path, err)
	}
	return p, nil
}

// ClaimPlatform makes the history belong to platform if it belongs to none
// yet, and returns a *PlatformError when it belongs to another. The check
// and the claim are one transaction, so two programs cannot claim one new
// history for two platforms.
func (db *DB) ClaimPlatform(ctx context.Context, platform string) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("claim %s for %s: %w", db.path, platform, err)
	}
	defer tx.Rollback()
	var have string
	err = tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, settingPlatform).Scan(&have)
	switch {
	case errors.Is(err, sql.ErrNoRows), err == nil && have == "":
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, settingPlatform, platform); err != nil {
			return fmt.Errorf("claim %s for %s: %w", db.path, platform, err)
		}
		return tx.Commit()
	case err != nil:
		return fmt.Errorf("claim %s for %s: %w", db.path, platform, err)
	case have != platform:
		return &PlatformError{Path: db.path, Have: have, Want: platform}
	}
	return nil
}

// CopyPrintersFrom gives a history without printer records the printers of
// another (a station set up while trying the sandbox keeps its printers
// when it goes live). It copies nothing when this history has printers,
// and returns how many it copied.
func (db *DB) CopyPrintersFrom(ctx context.Context, other *DB) (int, error) {
	have, err := db.ListPrinters(ctx)
	if err != nil || len(have) > 0 {
		return 0, err
	}
	list, err := other.ListPrinters(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range list {
		p := list[i]
		if err := db.CreatePrinter(ctx, &p); err != nil && !errors.Is(err, ErrDuplicate) {
			return n, fmt.Errorf("copy printer %s: %w", p.Name, err)
		}
		n++
	}
	return n, nil
}

// OrderKeys returns the order_id and waybill_id ("" when none) of every
// order: what it takes to tell which platform issued each.
func (db *DB) OrderKeys(ctx context.Context) (map[string]string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT order_id, waybill_id FROM orders`)
	if err != nil {
		return nil, fmt.Errorf("order keys: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, wb string
		if err := rows.Scan(&id, &wb); err != nil {
			return nil, fmt.Errorf("order keys: %w", err)
		}
		out[id] = wb
	}
	return out, rows.Err()
}

// DeleteOrders removes orders with everything the history keeps about
// them (path, print jobs, buyer notice, phone pushes, audit entries, import
// rows, and import runs left without rows), in one transaction. It is for
// moving orders to the history of their platform, never for live orders.
func (db *DB) DeleteOrders(ctx context.Context, orderIDs []string) (int, error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("delete orders: %w", err)
	}
	defer tx.Rollback()
	n := 0
	for _, id := range orderIDs {
		for _, q := range []string{
			`DELETE FROM path_events WHERE order_id = ?`,
			`DELETE FROM phone_pushes WHERE order_id = ?`,
			`DELETE FROM notices WHERE order_id = ?`,
			`DELETE FROM print_jobs WHERE order_id = ?`,
			`DELETE FROM import_rows WHERE order_id = ?`,
			`DELETE FROM audit WHERE order_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return 0, fmt.Errorf("delete order %s: %w", id, err)
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM orders WHERE order_id = ?`, id)
		if err != nil {
			return 0, fmt.Errorf("delete order %s: %w", id, err)
		}
		k, _ := res.RowsAffected()
		n += int(k)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM import_runs WHERE NOT EXISTS
		(SELECT 1 FROM import_rows r WHERE r.run_id = import_runs.id AND r.order_id != '')
		AND EXISTS (SELECT 1 FROM import_rows r WHERE r.run_id = import_runs.id)`); err != nil {
		return 0, fmt.Errorf("delete orders: emptied import runs: %w", err)
	}
	return n, tx.Commit()
}
