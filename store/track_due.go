package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"
)

// migrationTrackDue (schema 10) keeps the tracker's schedule in the
// history: track_due is when an order's next getPath poll is due (Unix
// ms; 0 = not scheduled yet, trackRetired = never again) and track_wait its
// current back-off (ms). The partial index holds only the open orders
// (placed, not signed or returned), by due time, so finding the due ones
// reads neither the signed majority of a large history nor any label.
// Adding the columns rewrites nothing; the orders are scheduled by the
// tracker (ScheduleNewTracks), a chunk at a time, not by this migration.
const migrationTrackDue = `ALTER TABLE orders ADD COLUMN track_due INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE orders ADD COLUMN track_wait INTEGER NOT NULL DEFAULT 0;
	CREATE INDEX orders_track_due ON orders(track_due, created_at)
		WHERE status = 'placed' AND track_status NOT IN ('signed', 'returned');`

// openWhere is the WHERE clause of the partial index orders_track_due,
// word for word: SQLite uses a partial index only for a query whose WHERE
// contains its terms as written (literals, not parameters), and then
// checks none of them row by row, so the index alone answers.
const openWhere = `status = 'placed' AND track_status NOT IN ('signed', 'returned')`

// fromOpen is the FROM clause of the queries over the open orders. Without
// statistics SQLite prefers orders_status (status, created_at), which walks
// every placed order, the signed majority too, reading each row's label
// pages to check track_status: the very walk this index replaces. INDEXED
// BY pins the plan (and fails loudly, not slowly, without the index).
const fromOpen = `FROM orders INDEXED BY orders_track_due`

// ClosedTrackStages are the tracking stages that end tracking, as the
// partial index orders_track_due spells them; orders.TrackSigned and
// orders.TrackReturned must be these.
var ClosedTrackStages = []string{"signed", "returned"}

// trackRetired is the due time of an order too old to track: after every
// due time, so it never comes due and no poll reads it again.
const trackRetired = math.MaxInt64

// newTrackChunk is how many orders one statement of ScheduleNewTracks
// schedules: each rewrites its row (label included), so a history just
// migrated is scheduled in short transactions, not one long one.
const newTrackChunk = 500

// DueOrder is an open order whose next getPath poll is due.
type DueOrder struct {
	OrderID   string
	CreatedAt time.Time
	TrackTime time.Time // zero before the first path event
	// Due is when the poll was due and Wait the back-off that set it, as
	// read; ClaimTrack compares them.
	Due  time.Time
	Wait time.Duration
	// Cursor is the position just after this order in the due order.
	Cursor DueCursor
	due    int64 // as stored, for ClaimTrack
}

// DueCursor is a position in the open orders by due time; the zero value
// is before the first.
type DueCursor struct {
	due, createdAt, id int64
}

// DueQuery selects a page of the open orders that are due.
type DueQuery struct {
	// Now: orders due at or before it are due.
	Now time.Time
	// Since leaves out orders created before it (too old to track).
	Since time.Time
	// After resumes after this position.
	After DueCursor
	// Limit is the page size; default 500.
	Limit int
}

// DueOrders returns the open orders (placed, not signed or returned)
// created at or after q.Since whose poll is due at q.Now, the longest due
// first (then the oldest), after q.After, at most q.Limit. The walk is the
// partial index orders_track_due in order, so its cost follows the due
// orders, not the history; only the rows returned are read.
func (db *DB) DueOrders(ctx context.Context, q DueQuery) ([]DueOrder, error) {
	query, args := q.sql()
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("due orders: %w", err)
	}
	defer rows.Close()
	var out []DueOrder
	for rows.Next() {
		var o DueOrder
		var tracked, wait int64
		if err := rows.Scan(&o.Cursor.id, &o.OrderID, &o.Cursor.createdAt, &o.due, &wait, &tracked); err != nil {
			return nil, fmt.Errorf("due orders: %w", err)
		}
		o.Cursor.due = o.due
		o.CreatedAt = time.UnixMilli(o.Cursor.createdAt)
		o.Due = time.UnixMilli(o.due)
		o.Wait = time.Duration(wait) * time.Millisecond
		if tracked > 0 {
			o.TrackTime = time.Unix(tracked, 0)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("due orders: %w", err)
	}
	return out, nil
}

// sql is the page query of q and its arguments.
func (q DueQuery) sql() (string, []any) {
	if q.Limit <= 0 {
		q.Limit = 500
	}
	// track_due = 0 is "not scheduled yet", not "due since 1970": those
	// wait for ScheduleNewTracks.
	return `SELECT id, order_id, created_at, track_due, track_wait, track_time ` + fromOpen + `
		WHERE ` + openWhere + ` AND track_due > 0 AND track_due <= ? AND created_at >= ?
		AND (track_due, created_at, id) > (?, ?, ?)
		ORDER BY track_due, created_at, id LIMIT ?`,
		[]any{q.Now.UnixMilli(), q.Since.UnixMilli(), q.After.due, q.After.createdAt, q.After.id, q.Limit}
}

// ScheduleNewTracks prepares the open orders for DueOrders: those created
// before since are retired (never due again: too old to track), and those
// not scheduled yet (new, or from before schema 10) become due first after
// they were created or last moved, whichever is later. It returns how many
// it scheduled. Both steps walk only the partial index's entries they
// change.
func (db *DB) ScheduleNewTracks(ctx context.Context, now, since time.Time, first time.Duration) (int, error) {
	// The inner SELECTs read the index alone (created_at is in it); only
	// the rows that change are read and written.
	if _, err := db.sql.ExecContext(ctx, `UPDATE orders SET track_due = ? WHERE id IN (
		SELECT id `+fromOpen+` WHERE `+openWhere+` AND track_due <= ? AND created_at < ?)`,
		int64(trackRetired), now.UnixMilli(), since.UnixMilli()); err != nil {
		return 0, fmt.Errorf("retire orders too old to track: %w", err)
	}
	scheduled := 0
	for {
		// track_time is in seconds, created_at in ms.
		res, err := db.sql.ExecContext(ctx, `UPDATE orders SET track_due = max(created_at, track_time * 1000) + ?, track_wait = 0
			WHERE id IN (SELECT id `+fromOpen+` WHERE `+openWhere+` AND track_due = 0 ORDER BY created_at LIMIT ?)`,
			first.Milliseconds(), newTrackChunk)
		if err != nil {
			return scheduled, fmt.Errorf("schedule new orders for tracking: %w", err)
		}
		n, _ := res.RowsAffected()
		scheduled += int(n)
		if n < newTrackChunk {
			return scheduled, nil
		}
		if err := ctx.Err(); err != nil {
			return scheduled, fmt.Errorf("schedule new orders for tracking: %w", err)
		}
	}
}

// ClaimTrack moves a due order's next poll to due with back-off wait,
// provided it is still open and still due as o read it (compare-and-set),
// and reports whether it did: false means another tracker claimed it
// meanwhile, or it closed. A tracker claims an order before polling it,
// with the schedule it gets if the poll brings no news, so two trackers
// never poll one order twice and a crash during the poll leaves it
// scheduled.
func (db *DB) ClaimTrack(ctx context.Context, o *DueOrder, due time.Time, wait time.Duration) (bool, error) {
	res, err := db.sql.ExecContext(ctx, `UPDATE orders SET track_due = ?, track_wait = ?
		WHERE id = ? AND `+openWhere+` AND track_due = ?`,
		due.UnixMilli(), wait.Milliseconds(), o.Cursor.id, o.due)
	if err != nil {
		return false, fmt.Errorf("claim order %s for tracking: %w", o.OrderID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ScheduleTrack sets when an order's next poll is due and the back-off
// that led there.
func (db *DB) ScheduleTrack(ctx context.Context, orderID string, due time.Time, wait time.Duration) error {
	return db.update(ctx, "schedule tracking of "+orderID,
		`UPDATE orders SET track_due = ?, track_wait = ? WHERE order_id = ?`,
		due.UnixMilli(), wait.Milliseconds(), orderID)
}

// TrackSchedule returns when an order's next poll is due and its current
// back-off; a zero time when it is not tracked (closed, too old, not
// scheduled yet).
func (db *DB) TrackSchedule(ctx context.Context, orderID string) (time.Time, time.Duration, error) {
	var due, wait int64
	var open bool
	err := db.sql.QueryRowContext(ctx, `SELECT track_due, track_wait, `+openWhere+` FROM orders WHERE order_id = ?`,
		orderID).Scan(&due, &wait, &open)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, 0, fmt.Errorf("tracking of %s: %w", orderID, ErrNotFound)
	}
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("tracking of %s: %w", orderID, err)
	}
	if !open || due == 0 || due == trackRetired {
		return time.Time{}, 0, nil
	}
	return time.UnixMilli(due), time.Duration(wait) * time.Millisecond, nil
}
