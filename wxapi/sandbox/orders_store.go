package sandbox

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"waybilldesk/wxapi"
)

// order is a stored addOrder with what the courier answered.
type order struct {
	Request     wxapi.AddOrderRequest
	WaybillID   string
	Routing     routing
	WaybillData []wxapi.KV
	Status      int       // wxapi.OrderStatusNormal or OrderStatusCancelled
	CreatedAt   time.Time // sandbox clock
	CancelledAt time.Time // zero unless cancelled
}

// cancelled reports whether cancelOrder succeeded on the order.
func (o *order) cancelled() bool { return o.Status == wxapi.OrderStatusCancelled }

// placeOrder runs the order_id check, the courier checks, the waybill draw,
// the insert and the quota decrement in one write transaction: two
// concurrent calls with one order_id get one waybill and one 9300522, and a
// refused order leaves no trace.
func (st *store) placeOrder(ctx context.Context, req *wxapi.AddOrderRequest, c courier, raw []byte, seed int64) (*order, error) {
	var o *order
	err := st.inTx(ctx, func(tx *sql.Tx) error {
		var repeated bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM orders WHERE order_id = ?)`, req.OrderID).
			Scan(&repeated); err != nil {
			return fmt.Errorf("check order_id: %w", err)
		}
		if repeated {
			return wxErr(codeOrderRepeated)
		}
		now := st.now()
		if err := resolveReviews(ctx, tx, now); err != nil {
			return err
		}
		acct, err := accountTx(ctx, tx, req.DeliveryID, req.BizID)
		if err != nil {
			return err
		}
		if e := checkForCourier(req, c, acct); e != nil {
			return e
		}
		wb, err := newWaybillID(ctx, tx, c.DeliveryID, req.OrderID, seed)
		if err != nil {
			return err
		}
		rt := routeOrder(req)
		o = &order{Request: *req, WaybillID: wb, Routing: rt, WaybillData: waybillData(c.DeliveryID, rt), CreatedAt: now}
		data, err := json.Marshal(o.WaybillData)
		if err != nil {
			return fmt.Errorf("encode waybill_data: %w", err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			return fmt.Errorf("compact request: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO orders (order_id, delivery_id, biz_id, waybill_id,
			service_type, sorting_code, bag_addr, request_json, waybill_data, order_status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			req.OrderID, req.DeliveryID, req.BizID, wb, req.Service.ServiceType, rt.SortingCode, rt.BagAddr,
			compact.String(), string(data), wxapi.OrderStatusNormal, now.Unix()); err != nil {
			return fmt.Errorf("insert order %s: %w", req.OrderID, err)
		}
		// Franchise couriers sell labels per account: one order, one label.
		if c.Model == modelFranchise && acct != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE accounts SET quota_num = quota_num - 1, quota_update_time = ?
				WHERE delivery_id = ? AND biz_id = ?`, now.Unix(), acct.DeliveryID, acct.BizID); err != nil {
				return fmt.Errorf("use label quota of %s/%s: %w", acct.DeliveryID, acct.BizID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// order loads an order by order_id; ok is false when there is none.
func (st *store) order(ctx context.Context, orderID string) (o *order, ok bool, err error) {
	return loadOrder(ctx, st.db, `order_id = ?`, orderID)
}

// orderByWaybill loads the order that got waybillID.
func (st *store) orderByWaybill(ctx context.Context, waybillID string) (o *order, ok bool, err error) {
	return loadOrder(ctx, st.db, `waybill_id = ?`, waybillID)
}

const orderColumns = `waybill_id, sorting_code, bag_addr, request_json, waybill_data,
	order_status, created_at, cancelled_at`

// loadOrder loads the one order matching where (a condition on a unique
// column with one parameter).
func loadOrder(ctx context.Context, q queryer, where string, arg string) (*order, bool, error) {
	o, err := scanOrder(q.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("load order %s: %w", arg, err)
	}
	return o, true, nil
}

func scanOrder(sc scanner) (*order, error) {
	var reqJSON, dataJSON string
	var created int64
	var cancelled sql.NullInt64
	o := &order{}
	if err := sc.Scan(&o.WaybillID, &o.Routing.SortingCode, &o.Routing.BagAddr, &reqJSON, &dataJSON,
		&o.Status, &created, &cancelled); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(reqJSON), &o.Request); err != nil {
		return nil, fmt.Errorf("decode stored request of waybill %s: %w", o.WaybillID, err)
	}
	if err := json.Unmarshal([]byte(dataJSON), &o.WaybillData); err != nil {
		return nil, fmt.Errorf("decode stored waybill_data of waybill %s: %w", o.WaybillID, err)
	}
	o.Routing.OriginCenter = originCenter(o.Request.DeliveryID, o.Request.Sender)
	o.CreatedAt = time.Unix(created, 0)
	if cancelled.Valid {
		o.CancelledAt = time.Unix(cancelled.Int64, 0)
	}
	return o, nil
}

// allOrders lists every order, oldest first.
func (st *store) allOrders(ctx context.Context) ([]*order, error) {
	rows, err := st.db.QueryContext(ctx, `SELECT `+orderColumns+` FROM orders ORDER BY created_at, rowid`)
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	var out []*order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list orders: %w", err)
		}
		out = append(out, o)
	}
	return out, closeRows(rows)
}
