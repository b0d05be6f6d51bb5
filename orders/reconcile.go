package orders

import (
	"context"
	"errors"
	"fmt"
	"time"

	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// ErrPending means an order's outcome is still unknown after a check: it
// is being placed by a process that holds its lease, or WeChat does not
// have it yet while the request may still land. PendingError says which,
// and when it is checked again.
var ErrPending = errors.New("outcome still unknown")

// PendingError is why a submitting order was left as it is.
type PendingError struct {
	OrderID string
	// Owner is the process holding the order's lease ("" when none).
	Owner string
	// Until is when the lease expires or the request's time to land ends:
	// from then on a reconcile may settle the order.
	Until time.Time
	// NotAtWeChat is true when getOrder was asked and does not know it yet.
	NotAtWeChat bool
}

func (e *PendingError) Error() string {
	switch {
	case e.NotAtWeChat && e.Owner != "":
		return fmt.Sprintf("%s: %v: WeChat does not have it yet and %s is still waiting on its answer (until %s)",
			e.OrderID, ErrPending, e.Owner, e.Until.Format("15:04:05"))
	case e.NotAtWeChat:
		return fmt.Sprintf("%s: %v: WeChat does not have it yet; the request may still land, so it is checked again after %s",
			e.OrderID, ErrPending, e.Until.Format("15:04:05"))
	case e.Owner != "":
		return fmt.Sprintf("%s: %v: being placed by %s (lease until %s)", e.OrderID, ErrPending, e.Owner, e.Until.Format("15:04:05"))
	}
	return fmt.Sprintf("%s: %v", e.OrderID, ErrPending)
}

// Unwrap makes errors.Is(err, ErrPending) true.
func (e *PendingError) Unwrap() error { return ErrPending }

// heldBy is the PendingError of an order whose lease someone holds.
func heldBy(o *Order) *PendingError {
	return &PendingError{OrderID: o.OrderID, Owner: o.Lease.Owner, Until: o.Lease.Until}
}

// lookUp asks getOrder what WeChat holds for an order: its answer when
// WeChat has a waybill, or the errcode saying WeChat has no such order
// (notFound), or another error (WeChat could not tell).
func (s *Service) lookUp(ctx context.Context, orderID, deliveryID, waybillID string) (resp *wxapi.GetOrderResponse, notFound *wxapi.Error, err error) {
	resp, err = s.api.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: orderID, DeliveryID: deliveryID, WaybillID: waybillID})
	var we *wxapi.Error
	switch {
	case errors.As(err, &we) && we.OrderNotFound():
		return nil, we, nil
	case err != nil:
		return nil, nil, err
	case resp.WaybillID == "":
		return nil, nil, errors.New("getOrder answered without a waybill_id")
	}
	return resp, nil, nil
}

// Reconcile asks WeChat about a submitting order and records what it
// knows. A waybill found settles the order placed (or cancelled, when
// getOrder's order_status is 1) at once, whoever else waits on it.
// "No such order" settles it failed only once nobody holds its lease and
// the request had SettleAfter to land; until then the order stays
// submitting and the error is a *PendingError. Orders in other states are
// returned unchanged.
func (s *Service) Reconcile(ctx context.Context, orderID string) (*Order, error) {
	o, err := s.db.Order(ctx, orderID)
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	if o.Status != StatusSubmitting {
		return o, nil
	}
	return s.settle(ctx, o)
}

// settle is Reconcile of a submitting order as read.
func (s *Service) settle(ctx context.Context, o *Order) (*Order, error) {
	if s.inFlight.has(o.OrderID) {
		return o, &PendingError{OrderID: o.OrderID, Owner: "this program", Until: o.Lease.Until}
	}
	resp, notFound, err := s.lookUp(ctx, o.OrderID, o.DeliveryID, "")
	switch {
	case err != nil:
		return o, fmt.Errorf("reconcile %s: %w", o.OrderID, err)
	case notFound != nil:
		return s.notFound(ctx, o, notFound)
	}
	return s.recordFound(ctx, o.OrderID, resp, "getOrder")
}

// notFound settles a submitting order WeChat does not know, if nobody
// waits on it and its request had time to land.
func (s *Service) notFound(ctx context.Context, o *Order, we *wxapi.Error) (*Order, error) {
	now := s.now()
	if s.leaseLive(o.Lease, now) {
		return o, &PendingError{OrderID: o.OrderID, Owner: o.Lease.Owner, Until: o.Lease.Until, NotAtWeChat: true}
	}
	if landBy := o.SentAt.Add(s.settleAfter); now.Before(landBy) {
		return o, &PendingError{OrderID: o.OrderID, Until: landBy, NotAtWeChat: true}
	}
	lease := o.Lease
	err := s.db.NotFound(ctx, o.OrderID, store.Expect{Version: o.Version, Lease: &lease}, we.Code,
		"WeChat has no such order: it was never placed", now)
	if errors.Is(err, store.ErrOrderState) {
		// Someone moved it first (its sender's answer, another reconcile,
		// a resend): what the history says now stands.
		cur, gerr := s.db.Order(ctx, o.OrderID)
		if gerr != nil {
			return o, fmt.Errorf("reconcile %s: %w", o.OrderID, gerr)
		}
		if cur.Status == StatusSubmitting {
			return cur, heldBy(cur)
		}
		return cur, nil
	}
	if err != nil {
		return o, fmt.Errorf("reconcile %s: %w", o.OrderID, err)
	}
	s.log.Info("reconciled: never placed", "order_id", o.OrderID)
	s.audit(ctx, "reconcile", o.OrderID, "never placed")
	return s.db.Order(ctx, o.OrderID)
}

// recordFound records a waybill getOrder returned: placed (from
// submitting or failed; WeChat's waybill wins over a guess), then
// cancelled when its order_status says so. The label comes with it.
func (s *Service) recordFound(ctx context.Context, orderID string, resp *wxapi.GetOrderResponse, by string) (*Order, error) {
	before, err := s.db.Order(ctx, orderID)
	if err != nil {
		return nil, fmt.Errorf("reconcile %s: %w", orderID, err)
	}
	now := s.now()
	if before.Status != StatusPlaced && before.Status != StatusCancelled {
		if err := s.db.Placed(ctx, orderID, resp.WaybillID, kvs(resp.WaybillData), resp.PrintHTML, by, now); err != nil {
			return before, fmt.Errorf("reconcile %s: %w", orderID, err)
		}
		s.log.Info("reconciled: placed", "order_id", orderID, "waybill_id", resp.WaybillID, "was", before.Status)
		s.audit(ctx, "reconcile", orderID, "placed "+resp.WaybillID)
	} else if resp.PrintHTML != "" && !before.HasLabel && before.WaybillID == resp.WaybillID {
		if err := s.db.SetLabel(ctx, orderID, resp.WaybillID, resp.PrintHTML); err != nil {
			return before, fmt.Errorf("reconcile %s: %w", orderID, err)
		}
	}
	if resp.OrderStatus == wxapi.OrderStatusCancelled && before.Status != StatusCancelled {
		if err := s.db.Cancelled(ctx, orderID, by, now); err != nil {
			return before, fmt.Errorf("reconcile %s: %w", orderID, err)
		}
		s.log.Info("reconciled: cancelled at WeChat", "order_id", orderID, "waybill_id", resp.WaybillID)
		s.audit(ctx, "cancel", orderID, resp.WaybillID+" (order_status 1 at WeChat)")
	}
	return s.db.Order(ctx, orderID)
}

// Check asks WeChat what it holds for an order of any state (the order
// detail's 向微信核实 / Check with WeChat): a submitting order is
// reconciled; a failed one becomes placed if WeChat has a waybill after
// all; a placed one becomes cancelled if WeChat says so, and gets its label
// if it lacks one. It returns the order as it stands afterwards.
func (s *Service) Check(ctx context.Context, id string) (*Order, error) {
	o, err := s.Find(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("check with WeChat: %w", err)
	}
	switch o.Status {
	case StatusSubmitting:
		return s.settle(ctx, o)
	case StatusCancelled:
		return o, nil
	}
	resp, notFound, err := s.lookUp(ctx, o.OrderID, o.DeliveryID, o.WaybillID)
	switch {
	case notFound != nil && o.Status == StatusFailed:
		return o, nil // WeChat agrees: never placed
	case notFound != nil:
		err = notFound
	case err == nil && o.Status == StatusPlaced && resp.WaybillID != o.WaybillID:
		return o, fmt.Errorf("check %s with WeChat: WeChat's waybill %s is not the history's %s", o.OrderID, resp.WaybillID, o.WaybillID)
	case err == nil:
		return s.recordFound(ctx, o.OrderID, resp, "getOrder")
	}
	return o, fmt.Errorf("check %s with WeChat: %w", o.OrderID, err)
}

// Retry settles a submitting order with getOrder and, when WeChat does not
// have it, sends its stored request again under the same order_id (so
// WeChat itself refuses a second waybill), taking over the lease with a
// compare-and-set. An order leased by another live process is left to it
// (*PendingError); settled orders are returned as they are.
func (s *Service) Retry(ctx context.Context, orderID string) (*Order, error) {
	o, err := s.db.Order(ctx, orderID)
	if err != nil {
		return nil, fmt.Errorf("retry: %w", err)
	}
	if o.Status != StatusSubmitting {
		return o, nil
	}
	if s.inFlight.has(orderID) || (o.Lease.Owner != s.owner && s.leaseLive(o.Lease, s.now())) {
		return o, heldBy(o)
	}
	resp, notFound, err := s.lookUp(ctx, o.OrderID, o.DeliveryID, "")
	switch {
	case err != nil:
		return o, fmt.Errorf("retry %s: %w", orderID, err)
	case notFound == nil:
		return s.recordFound(ctx, orderID, resp, "getOrder")
	}
	r, err := Request(o)
	if err != nil {
		return o, fmt.Errorf("retry: %w", err)
	}
	s.audit(ctx, "reconcile", orderID, "not at WeChat: sending again under the same order_id")
	now := s.now()
	lease := store.Lease{Owner: s.owner, Until: now.Add(s.leaseTTL)}
	read := o.Lease
	version, err := s.db.Resend(ctx, orderID, store.Expect{Version: o.Version, Lease: &read}, lease, now)
	if errors.Is(err, store.ErrOrderState) {
		cur, gerr := s.db.Order(ctx, orderID)
		if gerr == nil && cur.Status == StatusSubmitting {
			return cur, heldBy(cur)
		}
		return cur, gerr
	}
	if err != nil {
		return o, fmt.Errorf("retry %s: %w", orderID, err)
	}
	return s.send(ctx, r, version, lease)
}

// Reconciled is one order a reconcile looked at.
type Reconciled struct {
	Order Order
	// Err is why the order is still submitting: a *PendingError (someone
	// holds it, or WeChat does not have it yet) or WeChat's error.
	Err error
}

// ReconcileAll settles every submitting order whose lease has expired,
// oldest first, and lists each with its outcome; leased orders are listed
// as pending without asking WeChat. It stops early only when WeChat turns
// every call away (rate limits, credentials), returning that error.
func (s *Service) ReconcileAll(ctx context.Context) ([]Reconciled, error) {
	pending, err := s.db.Submitting(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	var out []Reconciled
	for i := range pending {
		o, err := s.reconcileOne(ctx, &pending[i])
		out = append(out, Reconciled{Order: *o, Err: err})
		if stopsAll(err) {
			return out, err
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
	}
	return out, nil
}

// reconcileOne settles o unless its lease is live.
func (s *Service) reconcileOne(ctx context.Context, o *Order) (*Order, error) {
	if s.inFlight.has(o.OrderID) || s.leaseLive(o.Lease, s.now()) {
		return o, heldBy(o)
	}
	return s.settle(ctx, o)
}

// stopsAll reports whether WeChat's error will answer every other call the
// same way: rate limits and credentials.
func stopsAll(err error) bool {
	var we *wxapi.Error
	if !errors.As(err, &we) {
		return false
	}
	return we.Code == wxapi.CodeMinuteQuota || we.Code == wxapi.CodeDailyQuota || we.TokenInvalid() ||
		we.Code == wxapi.CodeInvalidAppID || we.Code == wxapi.CodeInvalidSecret || we.Code == 40164 || we.Code == 48001
}
