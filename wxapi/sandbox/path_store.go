package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"waybilldesk/wxapi"
)

// storedEvents are an order's hand-made events, in insertion order.
func storedEvents(ctx context.Context, q queryer, orderID string) ([]pathEvent, error) {
	rows, err := q.QueryContext(ctx, `SELECT action_time, action_type, action_msg FROM path_events
		WHERE order_id = ? ORDER BY seq`, orderID)
	if err != nil {
		return nil, fmt.Errorf("load path of %s: %w", orderID, err)
	}
	var out []pathEvent
	for rows.Next() {
		var e pathEvent
		var t int64
		if err := rows.Scan(&t, &e.Type, &e.Msg); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read path of %s: %w", orderID, err)
		}
		e.Time = time.Unix(t, 0)
		out = append(out, e)
	}
	return out, closeRows(rows)
}

// insertEvent stores a hand-made event and wakes the order's pushes.
func insertEvent(ctx context.Context, ex execer, orderID string, e pathEvent) error {
	if _, err := ex.ExecContext(ctx, `INSERT INTO path_events (order_id, action_time, action_type, action_msg)
		VALUES (?, ?, ?, ?)`, orderID, e.Time.Unix(), e.Type, e.Msg); err != nil {
		return fmt.Errorf("store path event of %s: %w", orderID, err)
	}
	if _, err := ex.ExecContext(ctx, `UPDATE pushes SET done = 0 WHERE order_id = ?`, orderID); err != nil {
		return fmt.Errorf("wake pushes of %s: %w", orderID, err)
	}
	return nil
}

// orderPath loads an order's path as seen at the sandbox's now.
func (st *store) orderPath(ctx context.Context, o *order, c courier) ([]pathEvent, error) {
	stored, err := storedEvents(ctx, st.db, o.Request.OrderID)
	if err != nil {
		return nil, err
	}
	return pathAt(o, c, stored, st.now()), nil
}

// addTestEvent is testUpdateOrder: one hand-made event on a live order.
func (st *store) addTestEvent(ctx context.Context, orderID, waybillID string, e pathEvent) error {
	return st.inTx(ctx, func(tx *sql.Tx) error {
		o, ok, err := loadOrder(ctx, tx, `order_id = ?`, orderID)
		if err != nil {
			return err
		}
		if !ok || o.Request.DeliveryID != wxapi.TestDeliveryID || o.WaybillID != waybillID {
			return wxErrf(codeInvalidWaybill, "no TEST order %q with waybill_id %q", orderID, waybillID)
		}
		if o.cancelled() {
			// A cancelled order stops moving, by hand too.
			return wxErrf(codeInvalidArgs, "order %q is cancelled", orderID)
		}
		return insertEvent(ctx, tx, orderID, e)
	})
}

// cancelOrder cancels an order that has no tracking yet. The path check,
// the status change, the 400001 event and the label refund are one
// transaction, so a parcel collected meanwhile cannot be cancelled.
func (st *store) cancelOrder(ctx context.Context, req *wxapi.CancelOrderRequest, c courier) error {
	return st.inTx(ctx, func(tx *sql.Tx) error {
		o, ok, err := loadOrder(ctx, tx, `order_id = ?`, req.OrderID)
		if err != nil {
			return err
		}
		if !ok || o.Request.DeliveryID != req.DeliveryID {
			return wxErrf(codeOrderNotExist, "%q", req.OrderID)
		}
		if o.WaybillID != req.WaybillID {
			return wxErrf(codeWaybillNotExist, "%q", req.WaybillID)
		}
		if o.cancelled() {
			return withCourier(codeCancelFailed, courierOrderClosed, "订单已取消，不能重复取消")
		}
		stored, err := storedEvents(ctx, tx, req.OrderID)
		if err != nil {
			return err
		}
		now := st.now()
		events := pathAt(o, c, stored, now)
		switch {
		case signed(events):
			return withCourier(codeHasTracking, courierOrderClosed, "运单已签收，不能取消")
		case hasTracking(events):
			return withCourier(codeHasTracking, courierCollected, "已揽件不能取消")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET order_status = ?, cancelled_at = ? WHERE order_id = ?`,
			wxapi.OrderStatusCancelled, now.Unix(), req.OrderID); err != nil {
			return fmt.Errorf("cancel order %s: %w", req.OrderID, err)
		}
		if err := insertEvent(ctx, tx, req.OrderID, pathEvent{Time: now, Type: actCancelled,
			Msg: "订单已取消：商家取消寄件，快递员将不再上门揽收"}); err != nil {
			return err
		}
		// An unused e-waybill goes back to a franchise account's stock.
		if c.Model == modelFranchise {
			if _, err := tx.ExecContext(ctx, `UPDATE accounts SET quota_num = quota_num + 1, quota_update_time = ?
				WHERE delivery_id = ? AND biz_id = ?`, now.Unix(), o.Request.DeliveryID, o.Request.BizID); err != nil {
				return fmt.Errorf("return label of %s: %w", req.OrderID, err)
			}
		}
		return nil
	})
}
