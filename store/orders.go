package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// KV is one entry of a waybill's waybill_data.
type KV struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Order is one row of the history.
type Order struct {
	OrderID     string
	DeliveryID  string
	BizID       string
	ServiceType int
	ServiceName string
	Status      string
	WaybillID   string
	WaybillData []KV
	// PrintHTML is print_html exactly as WeChat sent it (base64), kept so a
	// reprint needs no API call. Lists leave it empty; see HasLabel.
	PrintHTML string
	// HasLabel reports whether the order's label is stored.
	HasLabel bool
	// Request is the addOrder body as sent.
	Request       json.RawMessage
	ReceiverName  string
	ReceiverPhone string
	ReceiverCity  string
	ErrorCode     int
	ErrorMsg      string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// TrackStatus is the stage of the latest path event (see Track*), with
	// its time and message.
	TrackStatus string
	TrackTime   time.Time
	TrackMsg    string
	// Version counts the order's transitions (see orderstate.go); a
	// compare-and-set names the version it read.
	Version int
	// Lease is held by the process waiting on the order's addOrder.
	Lease Lease
	// SentAt is when addOrder was last sent (zero before).
	SentAt time.Time
	// SettledBy says what settled the order: "addOrder" (its answer),
	// "getOrder" (a reconcile), "cancelOrder"; "" while submitting.
	SettledBy string
	// Fingerprint identifies the order's data whatever its order_id, so
	// the same parcel is not placed twice under two ids (see orders).
	Fingerprint string
}

const orderColumns = insertColumns + `, track_status, track_time, track_msg, version, lease_owner, lease_until,
	sent_at, settled_by, fingerprint`

// listColumns are orderColumns with the label cut to a marker: a page of
// the history needs to know a label exists, not to unpack 200 of them.
var listColumns = strings.Replace(orderColumns, "print_html", "substr(print_html, 1, 2)", 1)

// insertColumns are the columns a new order is written with; tracking
// columns start empty.
const insertColumns = `order_id, delivery_id, biz_id, service_type, service_name, status,
	waybill_id, waybill_data, print_html, request, receiver_name, receiver_phone,
	receiver_city, error_code, error_msg, created_at, updated_at`

// CreateOrder writes a new order as submitting, held by lease, before its
// addOrder is sent, and sets o.Version, o.Lease and o.SentAt. An order_id
// WeChat refused (failed) left no waybill behind, so it may be submitted
// again with corrected data (TransResubmit); any other existing row wins
// and CreateOrder returns ErrDuplicate.
func (db *DB) CreateOrder(ctx context.Context, o *Order, lease Lease, now time.Time) error {
	if o.OrderID == "" {
		return errors.New("create order: empty order_id")
	}
	data, err := json.Marshal(nonNil(o.WaybillData))
	if err != nil {
		return fmt.Errorf("create order %s: %w", o.OrderID, err)
	}
	if o.CreatedAt.IsZero() {
		o.CreatedAt = now
	}
	o.UpdatedAt = now
	o.Status = StatusSubmitting
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create order %s: %w", o.OrderID, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO orders (`+insertColumns+`, version, lease_owner, lease_until, sent_at, fingerprint)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?, 1,?,?,?,?)
		ON CONFLICT(order_id) DO UPDATE SET
			delivery_id = excluded.delivery_id, biz_id = excluded.biz_id,
			service_type = excluded.service_type, service_name = excluded.service_name,
			status = excluded.status, waybill_id = excluded.waybill_id,
			waybill_data = excluded.waybill_data, print_html = excluded.print_html,
			request = excluded.request, receiver_name = excluded.receiver_name,
			receiver_phone = excluded.receiver_phone, receiver_city = excluded.receiver_city,
			error_code = excluded.error_code, error_msg = excluded.error_msg,
			updated_at = excluded.updated_at, track_status = '', track_time = 0, track_msg = '', path_version = 0,
			version = orders.version + 1, lease_owner = excluded.lease_owner, lease_until = excluded.lease_until,
			sent_at = excluded.sent_at, settled_by = '', fingerprint = excluded.fingerprint
		WHERE orders.status = '`+StatusFailed+`'`,
		o.OrderID, o.DeliveryID, o.BizID, o.ServiceType, o.ServiceName, StatusSubmitting,
		o.WaybillID, string(data), packLabel(o.PrintHTML), string(o.Request), o.ReceiverName, o.ReceiverPhone,
		o.ReceiverCity, o.ErrorCode, o.ErrorMsg, o.CreatedAt.UnixMilli(), o.UpdatedAt.UnixMilli(),
		lease.Owner, millis(lease.Until), now.UnixMilli(), o.Fingerprint)
	if err != nil {
		return fmt.Errorf("create order %s: %w", o.OrderID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("create order %s: %w", o.OrderID, ErrDuplicate)
	}
	var rowID int64
	if err := tx.QueryRowContext(ctx, `SELECT id, version FROM orders WHERE order_id = ?`, o.OrderID).Scan(&rowID, &o.Version); err != nil {
		return fmt.Errorf("create order %s: %w", o.OrderID, err)
	}
	if err := indexOrder(ctx, tx, rowID, o.ReceiverName, o.ReceiverPhone); err != nil {
		return fmt.Errorf("create order %s: index for search: %w", o.OrderID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create order %s: %w", o.OrderID, err)
	}
	o.Lease, o.SentAt = lease, now
	return nil
}

// CopyOrder writes an order exactly as given, state, version and lease
// included, for copying a history from one store to another and for test
// fixtures; a live order is written by CreateOrder and moved by the state
// machine only. An empty Status is submitting. It returns ErrDuplicate when
// the order_id is taken.
func (db *DB) CopyOrder(ctx context.Context, o *Order) error {
	list := []Order{*o}
	err := db.CopyOrders(ctx, list)
	*o = list[0] // the completed fields, as the caller's
	return err
}

// SetLabel stores the label (print_html as WeChat sent it, base64) of an
// order that holds that waybill: a label never lands on another waybill's
// order.
func (db *DB) SetLabel(ctx context.Context, orderID, waybillID, printHTML string) error {
	return db.update(ctx, "store label of order "+orderID,
		`UPDATE orders SET print_html = ?, updated_at = ? WHERE order_id = ? AND waybill_id = ? AND waybill_id != ''`,
		packLabel(printHTML), time.Now().UnixMilli(), orderID, waybillID)
}

func (db *DB) update(ctx context.Context, what, query string, args ...any) error {
	res, err := db.sql.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}

// Order returns one order by its order_id.
func (db *DB) Order(ctx context.Context, orderID string) (*Order, error) {
	row := db.sql.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE order_id = ?`, orderID)
	o, err := scanOrder(row, true)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("order %s: %w", orderID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("order %s: %w", orderID, err)
	}
	return o, nil
}

// OrderByWaybill returns the order that got a waybill id.
func (db *DB) OrderByWaybill(ctx context.Context, waybillID string) (*Order, error) {
	row := db.sql.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE waybill_id = ? AND waybill_id != ''`, waybillID)
	o, err := scanOrder(row, true)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("waybill %s: %w", waybillID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("waybill %s: %w", waybillID, err)
	}
	return o, nil
}

// OrderQuery filters ListOrders. Zero values mean "any".
type OrderQuery struct {
	// Search matches the start of an order id or waybill id, the end of the
	// receiver phone (its last four digits), or any part of the receiver name.
	Search     string
	Status     string
	DeliveryID string
	From, To   time.Time // created_at range, To exclusive
	// Printed, when set, keeps the orders that have (true) or do not have
	// (false) a print job that is done: the Orders screen's printed filter.
	Printed *bool
	Limit   int // default 100
	Offset  int
}

// where is the WHERE clause of q (without the keyword; "" for none) and
// its arguments. ListOrders and CountOrders share it, so a count is the
// count of what a list shows.
func (q OrderQuery) where() (string, []any) {
	var where []string
	var args []any
	if search := strings.TrimSpace(q.Search); search != "" {
		ids, idArgs := searchIDs(search)
		where = append(where, "id IN ("+ids+")")
		args = append(args, idArgs...)
	}
	if q.Status != "" {
		where = append(where, "status = ?")
		args = append(args, q.Status)
	}
	if q.DeliveryID != "" {
		where = append(where, "delivery_id = ?")
		args = append(args, q.DeliveryID)
	}
	if !q.From.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, q.From.UnixMilli())
	}
	if !q.To.IsZero() {
		where = append(where, "created_at < ?")
		args = append(args, q.To.UnixMilli())
	}
	if q.Printed != nil {
		not := "NOT "
		if *q.Printed {
			not = ""
		}
		// print_jobs_order (order_id, id) makes this one index probe per row.
		where = append(where, not+"EXISTS (SELECT 1 FROM print_jobs j WHERE j.order_id = orders.order_id AND j.state = ?)")
		args = append(args, JobDone)
	}
	return strings.Join(where, " AND "), args
}

// ListOrders returns matching orders, newest first.
func (db *DB) ListOrders(ctx context.Context, q OrderQuery) ([]Order, error) {
	where, args := q.where()
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	many := false
	if search := strings.TrimSpace(q.Search); search != "" {
		var err error
		if many, err = db.manyMatches(ctx, search); err != nil {
			return nil, err
		}
	}
	query := `SELECT ` + listColumns + ` FROM orders`
	if many {
		query += " INDEXED BY orders_created"
	}
	if where != "" {
		query += " WHERE " + where
	}
	// With a search the matches are usually few: sort them rather than walk
	// the whole date index looking for them ("+" keeps the planner off
	// it); when they are many, the walk finds a page soon (manyMatches).
	if strings.TrimSpace(q.Search) != "" && !many {
		query += " ORDER BY +created_at DESC, id DESC LIMIT ? OFFSET ?"
	} else {
		query += " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
	}
	args = append(args, limit, q.Offset)
	return db.queryOrders(ctx, "list orders", query, args...)
}

// CountOrders counts the orders matching q (Limit and Offset aside): the
// total an export of q writes.
func (db *DB) CountOrders(ctx context.Context, q OrderQuery) (int, error) {
	where, args := q.where()
	query := `SELECT COUNT(*) FROM orders`
	if where != "" {
		query += " WHERE " + where
	}
	var n int
	if err := db.sql.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count orders: %w", err)
	}
	return n, nil
}

type scanner interface{ Scan(dest ...any) error }

// scanOrder reads one row; full rows carry the label, list rows a marker.
func scanOrder(r scanner, full bool) (*Order, error) {
	var o Order
	var data, req, label string
	var created, updated, tracked, leaseUntil, sent int64
	err := r.Scan(&o.OrderID, &o.DeliveryID, &o.BizID, &o.ServiceType, &o.ServiceName, &o.Status,
		&o.WaybillID, &data, &label, &req, &o.ReceiverName, &o.ReceiverPhone,
		&o.ReceiverCity, &o.ErrorCode, &o.ErrorMsg, &created, &updated, &o.TrackStatus, &tracked, &o.TrackMsg,
		&o.Version, &o.Lease.Owner, &leaseUntil, &sent, &o.SettledBy, &o.Fingerprint)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(data), &o.WaybillData); err != nil {
		return nil, fmt.Errorf("waybill_data of %s: %w", o.OrderID, err)
	}
	o.HasLabel = label != ""
	if full {
		if o.PrintHTML, err = unpackLabel(label); err != nil {
			return nil, fmt.Errorf("label of %s: %w", o.OrderID, err)
		}
	}
	o.Request = json.RawMessage(req)
	o.CreatedAt = time.UnixMilli(created)
	o.UpdatedAt = time.UnixMilli(updated)
	if tracked > 0 {
		o.TrackTime = time.Unix(tracked, 0)
	}
	if leaseUntil > 0 {
		o.Lease.Until = time.UnixMilli(leaseUntil)
	}
	if sent > 0 {
		o.SentAt = time.UnixMilli(sent)
	}
	return &o, nil
}

func nonNil(kv []KV) []KV {
	if kv == nil {
		return []KV{}
	}
	return kv
}

// notFound maps sql.ErrNoRows to ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
