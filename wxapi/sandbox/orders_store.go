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
	Status      int
	CreatedAt   time.Time
}

// placeOrder runs the order_id check, the courier checks, the waybill draw,
// the insert and the quota decrement in one write transaction: two
// concurrent calls with one order_id get one waybill and one 9300522, and a
// refused order leaves no trace.
func (st *store) placeOrder(ctx context.Context, req *wxapi.AddOrderRequest, c courier, raw []byte) (*order, error) {
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
		acct, err := accountTx(ctx, tx, req.DeliveryID, req.BizID)
		if err != nil {
			return err
		}
		if e := checkForCourier(req, c, acct); e != nil {
			return e
		}
		wb, err := newWaybillID(ctx, tx, c.DeliveryID)
		if err != nil {
			return err
		}
		now := st.now()
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
	var reqJSON, dataJSON string
	var created int64
	o = &order{}
	err = st.db.QueryRowContext(ctx, `SELECT waybill_id, sorting_code, bag_addr, request_json, waybill_data,
		order_status, created_at FROM orders WHERE order_id = ?`, orderID).
		Scan(&o.WaybillID, &o.Routing.SortingCode, &o.Routing.BagAddr, &reqJSON, &dataJSON, &o.Status, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("load order %s: %w", orderID, err)
	}
	if err := json.Unmarshal([]byte(reqJSON), &o.Request); err != nil {
		return nil, false, fmt.Errorf("decode stored request of order %s: %w", orderID, err)
	}
	if err := json.Unmarshal([]byte(dataJSON), &o.WaybillData); err != nil {
		return nil, false, fmt.Errorf("decode stored waybill_data of order %s: %w", orderID, err)
	}
	o.CreatedAt = time.Unix(created, 0)
	return o, true, nil
}
