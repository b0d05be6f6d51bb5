package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The order state machine. Every process that touches the history (the
// window, a command, an import, the push receiver, another station) moves
// an order only along these transitions, each one UPDATE … WHERE the row is
// still in the state (and version, and lease) the mover read: the row count
// says who won, and the loser reads the row again instead of overwriting it.
//
//	           Create                   Placed (addOrder's answer, or getOrder found it)
//	(none) ───────────▶ submitting ─────────────────────────────▶ placed
//	                     │  ▲   ▲ │                                  │   ▲
//	            Resend   └──┘   │ │ Refused (a code that means       │   │ Placed: a late answer or a later
//	   (same order_id,          │ │ "not created") or NotFound        │   │ getOrder wins over a guess
//	   after getOrder)          │ ▼ (getOrder, lease expired)         │   │
//	                     Resubmit failed ────────────────────────────┼───┘
//	                              │                                  │ Cancelled (cancelOrder, or
//	                              └──── Cancelled ──────────────────▶ cancelled    getOrder's order_status 1)
//
// submitting: the row is written before addOrder is sent, so a crash loses
// nothing. While a process waits on addOrder it holds the order's lease
// (LeaseOwner, LeaseUntil), renewed by a heartbeat; a reconcile elsewhere
// never settles a leased order as failed. sent_at is when addOrder last
// went out: "WeChat has no such order" settles an order only once its lease
// is gone and the request had time to land (see the orders package).
//
// placed is reached from submitting or failed: WeChat holding a waybill is
// the truth, whoever guessed otherwise. cancelled is final. failed may be
// submitted again under the same order_id (corrected data), which WeChat
// answers 9300522 if it had the order after all.
const (
	StatusSubmitting = "submitting" // stored, addOrder sent or about to be
	StatusPlaced     = "placed"     // WeChat issued a waybill
	StatusFailed     = "failed"     // WeChat did not create it; no waybill exists
	StatusCancelled  = "cancelled"  // the waybill was cancelled; history is kept
)

// Transition is one allowed move of the order state machine.
type Transition struct {
	Name string
	From []string
	To   string
}

// The transitions, all of them. Nothing else changes an order's status.
var (
	// TransResubmit sends a refused order again under its order_id.
	TransResubmit = Transition{"resubmit", []string{StatusFailed}, StatusSubmitting}
	// TransResend sends addOrder again for a submitting order, under the
	// same order_id, after getOrder said WeChat does not have it.
	TransResend = Transition{"resend", []string{StatusSubmitting}, StatusSubmitting}
	// TransPlaced records WeChat's waybill.
	TransPlaced = Transition{"placed", []string{StatusSubmitting, StatusFailed}, StatusPlaced}
	// TransRefused records a code that means WeChat did not create the order.
	TransRefused = Transition{"refused", []string{StatusSubmitting}, StatusFailed}
	// TransNotFound records that getOrder found no such order after the
	// lease had expired and the request had time to land.
	TransNotFound = Transition{"not-found", []string{StatusSubmitting}, StatusFailed}
	// TransCancelled records a cancelled waybill.
	TransCancelled = Transition{"cancelled", []string{StatusPlaced, StatusSubmitting, StatusFailed}, StatusCancelled}
)

// Transitions lists every transition, for documentation and tests.
var Transitions = []Transition{TransResubmit, TransResend, TransPlaced, TransRefused, TransNotFound, TransCancelled}

// Allows reports whether the transition may start from status.
func (t Transition) Allows(status string) bool {
	for _, f := range t.From {
		if f == status {
			return true
		}
	}
	return false
}

// ErrOrderState is returned when an order is no longer in the state (or
// version, or lease) a transition expected: another process moved it first.
var ErrOrderState = errors.New("order was changed by someone else")

// StateError says what an order was when a transition could not apply.
type StateError struct {
	OrderID    string
	Transition string
	Status     string // the status found
	Version    int
}

func (e *StateError) Error() string {
	return fmt.Sprintf("order %s: cannot apply %q: it is %s (version %d)", e.OrderID, e.Transition, e.Status, e.Version)
}

// Unwrap makes errors.Is(err, ErrOrderState) true.
func (e *StateError) Unwrap() error { return ErrOrderState }

// Lease is who waits on an order's addOrder, and until when.
type Lease struct {
	Owner string
	Until time.Time
}

// Expect is what a mover read and expects still to be true: the version
// (0: any) and, for moves that depend on a lease, its owner or the lease as
// read.
type Expect struct {
	Version int
	// Owner, when set, must still hold the lease: the sender recording
	// WeChat's refusal.
	Owner string
	// Lease, when set, must still be exactly the lease as read (owner and
	// expiry), so a lease renewed meanwhile defeats the move.
	Lease *Lease
}

// migrationOrderState (schema 9) adds what the state machine needs: a
// version bumped by every transition, the lease of an addOrder in flight,
// when addOrder was last sent, how the order was settled, and a
// fingerprint of the order's data so the same order is not placed twice
// under two order ids while the first one's outcome is unknown.
const migrationOrderState = `ALTER TABLE orders ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE orders ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
	ALTER TABLE orders ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE orders ADD COLUMN sent_at INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE orders ADD COLUMN settled_by TEXT NOT NULL DEFAULT '';
	ALTER TABLE orders ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
	UPDATE orders SET version = 1, sent_at = created_at;
	CREATE INDEX orders_fingerprint ON orders(fingerprint) WHERE status = 'submitting';`

// transition applies t to an order: one UPDATE whose WHERE clause is the
// state machine's guard. set is the SQL assignments beyond status, version
// and updated_at, with their arguments. It returns a *StateError when the
// row was not in a state t allows (or not at the expected version/lease).
func (db *DB) transition(ctx context.Context, orderID string, t Transition, exp Expect, now time.Time, set string, args ...any) error {
	what := fmt.Sprintf("order %s: %s", orderID, t.Name)
	q := `UPDATE orders SET status = ?, version = version + 1, updated_at = ?`
	all := []any{t.To, now.UnixMilli()}
	if set != "" {
		q += ", " + set
		all = append(all, args...)
	}
	q += ` WHERE order_id = ? AND status IN (` + placeholders(len(t.From)) + `)`
	all = append(all, orderID)
	for _, f := range t.From {
		all = append(all, f)
	}
	if exp.Version > 0 {
		q += ` AND version = ?`
		all = append(all, exp.Version)
	}
	if exp.Owner != "" {
		q += ` AND lease_owner = ?`
		all = append(all, exp.Owner)
	}
	if exp.Lease != nil {
		q += ` AND lease_owner = ? AND lease_until = ?`
		all = append(all, exp.Lease.Owner, millis(exp.Lease.Until))
	}
	res, err := db.sql.ExecContext(ctx, q, all...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var status string
	var version int
	err = db.sql.QueryRowContext(ctx, `SELECT status, version FROM orders WHERE order_id = ?`, orderID).Scan(&status, &version)
	if err != nil {
		return fmt.Errorf("%s: %w", what, notFound(err))
	}
	return &StateError{OrderID: orderID, Transition: t.Name, Status: status, Version: version}
}

// millis is a time as stored: Unix milliseconds, 0 for the zero time.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// Placed records the waybill WeChat issued for an order (from addOrder's
// answer or from getOrder), with its label when known. It applies from
// submitting or failed, whoever holds the lease: WeChat's waybill is the
// truth. Recording the same waybill again is not an error; a cancelled
// order stays cancelled (StateError).
func (db *DB) Placed(ctx context.Context, orderID, waybillID string, waybillData []KV, printHTML, by string, now time.Time) error {
	data, err := json.Marshal(nonNil(waybillData))
	if err != nil {
		return fmt.Errorf("order %s: placed: %w", orderID, err)
	}
	set := `waybill_id = ?, waybill_data = ?, error_code = 0, error_msg = '', lease_owner = '', lease_until = 0, settled_by = ?`
	args := []any{waybillID, string(data), by}
	if printHTML != "" {
		set += `, print_html = ?`
		args = append(args, packLabel(printHTML))
	}
	err = db.transition(ctx, orderID, TransPlaced, Expect{}, now, set, args...)
	var se *StateError
	if errors.As(err, &se) && se.Status == StatusPlaced {
		var have string
		if qerr := db.sql.QueryRowContext(ctx, `SELECT waybill_id FROM orders WHERE order_id = ?`, orderID).Scan(&have); qerr == nil && have == waybillID {
			return nil
		}
	}
	return err
}

// Refused records a code meaning WeChat did not create the order. Only the
// sender that holds the lease at the version it sent may record it: a
// waybill found meanwhile wins.
func (db *DB) Refused(ctx context.Context, orderID string, exp Expect, code int, msg string, now time.Time) error {
	return db.transition(ctx, orderID, TransRefused, exp, now,
		`error_code = ?, error_msg = ?, lease_owner = '', lease_until = 0, settled_by = 'addOrder'`, code, msg)
}

// NotFound records that getOrder does not know a submitting order whose
// lease, as read in exp, has expired.
func (db *DB) NotFound(ctx context.Context, orderID string, exp Expect, code int, msg string, now time.Time) error {
	return db.transition(ctx, orderID, TransNotFound, exp, now,
		`error_code = ?, error_msg = ?, lease_owner = '', lease_until = 0, settled_by = 'getOrder'`, code, msg)
}

// Cancelled records that an order's waybill is cancelled.
func (db *DB) Cancelled(ctx context.Context, orderID, by string, now time.Time) error {
	err := db.transition(ctx, orderID, TransCancelled, Expect{}, now, `lease_owner = '', lease_until = 0, settled_by = ?`, by)
	var se *StateError
	if errors.As(err, &se) && se.Status == StatusCancelled {
		return nil
	}
	return err
}

// Resend takes the lease of a submitting order to send its addOrder again
// under the same order_id. exp must carry the version and lease as read;
// the new version is returned.
func (db *DB) Resend(ctx context.Context, orderID string, exp Expect, lease Lease, now time.Time) (int, error) {
	err := db.transition(ctx, orderID, TransResend, exp, now, `lease_owner = ?, lease_until = ?, sent_at = ?, settled_by = ''`,
		lease.Owner, millis(lease.Until), now.UnixMilli())
	if err != nil {
		return 0, err
	}
	return exp.Version + 1, nil
}

// RenewLease extends the lease its owner holds on an order still
// submitting at version; false means the lease was lost (the order was
// settled, or taken over after it expired).
func (db *DB) RenewLease(ctx context.Context, orderID string, version int, lease Lease) (bool, error) {
	res, err := db.sql.ExecContext(ctx, `UPDATE orders SET lease_until = ?
		WHERE order_id = ? AND status = ? AND version = ? AND lease_owner = ?`,
		millis(lease.Until), orderID, StatusSubmitting, version, lease.Owner)
	if err != nil {
		return false, fmt.Errorf("order %s: renew lease: %w", orderID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReleaseLease ends its owner's lease on an order whose outcome is unknown,
// so reconciles elsewhere may settle it; false means it was not held.
func (db *DB) ReleaseLease(ctx context.Context, orderID string, version int, owner string, now time.Time) (bool, error) {
	res, err := db.sql.ExecContext(ctx, `UPDATE orders SET lease_until = ?
		WHERE order_id = ? AND status = ? AND version = ? AND lease_owner = ?`,
		now.UnixMilli(), orderID, StatusSubmitting, version, owner)
	if err != nil {
		return false, fmt.Errorf("order %s: release lease: %w", orderID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SubmittingByFingerprint returns the unsettled orders carrying a
// fingerprint, oldest first: the same order placed before whose outcome is
// still unknown.
func (db *DB) SubmittingByFingerprint(ctx context.Context, fingerprint string) ([]Order, error) {
	if fingerprint == "" {
		return nil, nil
	}
	return db.queryOrders(ctx, "unsettled orders like this one", `SELECT `+listColumns+` FROM orders
		WHERE fingerprint = ? AND status = ? ORDER BY created_at, id`, fingerprint, StatusSubmitting)
}

// Submitting returns the orders whose outcome is unknown, oldest first, at
// most limit (default 1000).
func (db *DB) Submitting(ctx context.Context, limit int) ([]Order, error) {
	if limit <= 0 {
		limit = 1000
	}
	return db.queryOrders(ctx, "submitting orders", `SELECT `+listColumns+` FROM orders
		WHERE status = ? ORDER BY created_at, id LIMIT ?`, StatusSubmitting, limit)
}

func (db *DB) queryOrders(ctx context.Context, what, query string, args ...any) ([]Order, error) {
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []Order
	for rows.Next() {
		o, err := scanOrder(rows, false)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, *o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
