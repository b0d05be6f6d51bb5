package orders

import (
	"context"
	"errors"
	"fmt"
	"time"

	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// Tracking stages an order's parcel goes through, from its latest event.
const (
	TrackAccepted       = "accepted"         // before pick-up: the outlet took the order, a courier is assigned
	TrackCollected      = "collected"        // 揽收
	TrackInTransit      = "in_transit"       // 运输中
	TrackOutForDelivery = "out_for_delivery" // 派送中 (also: waiting at a pick-up point)
	TrackSigned         = "signed"           // 已签收
	TrackReturned       = "returned"         // 退回
	TrackException      = "exception"        // failed pick-up or delivery, held, refused, problem parcel
)

// TrackStage maps an action_type to the stage the order shows. Unknown
// codes fall back to their leading digits; 500001 (other) keeps no stage.
func TrackStage(actionType int) string {
	switch actionType {
	case 100002, 300004, 400001, 400002, 400004, 400005:
		return TrackException
	case 100003:
		return TrackAccepted
	case 300005, 300006:
		return TrackOutForDelivery
	case 300003, 300007:
		return TrackSigned
	case 400003:
		return TrackReturned
	}
	switch wxapi.Stage(actionType) {
	case "pre-pickup":
		return TrackAccepted
	case "pickup":
		return TrackCollected
	case "transit":
		return TrackInTransit
	case "delivery":
		return TrackOutForDelivery
	case "exception":
		return TrackException
	}
	return ""
}

// Open reports whether tracking still has news to come for the order.
func Open(o *Order) bool {
	if o.Status != StatusPlaced {
		return false
	}
	return o.TrackStatus != TrackSigned && o.TrackStatus != TrackReturned
}

// Path asks WeChat for an order's path, stores the new events, and returns
// the whole stored path.
func (s *Service) Path(ctx context.Context, id string) (*Order, []store.PathEvent, error) {
	o, err := s.Find(ctx, id)
	if err != nil {
		return nil, nil, fmt.Errorf("track: %w", err)
	}
	if o.WaybillID == "" {
		return o, nil, fmt.Errorf("track %s: the order has no waybill (%s)", o.OrderID, o.Status)
	}
	resp, err := s.api.GetPath(ctx, &wxapi.GetPathRequest{OrderID: o.OrderID, DeliveryID: o.DeliveryID, WaybillID: o.WaybillID})
	if err != nil {
		return o, nil, fmt.Errorf("track %s: %w", o.OrderID, err)
	}
	events := make([]store.PathEvent, len(resp.PathItemList))
	for i, p := range resp.PathItemList {
		events[i] = store.PathEvent{ActionTime: time.Unix(p.ActionTime, 0), ActionType: p.ActionType, ActionMsg: p.ActionMsg, Source: "getPath"}
	}
	return s.record(ctx, o, 0, events)
}

// ErrPushMismatch is ApplyPush's error for a push whose order id names an
// order of the history with another waybill: not this history's parcel.
var ErrPushMismatch = errors.New("the push's waybill is not its order's")

// ApplyPush stores the path of an add_express_path push for the order it
// names (by OrderId, else by waybill id). Pushes older than one already
// applied are ignored.
func (s *Service) ApplyPush(ctx context.Context, ev *wxapi.PathEvent) (*Order, error) {
	var o *Order
	var err error
	if ev.OrderID != "" {
		o, err = s.db.Order(ctx, ev.OrderID)
	}
	if o == nil {
		o, err = s.db.OrderByWaybill(ctx, ev.WaybillID)
	}
	if err != nil {
		return nil, fmt.Errorf("push for waybill %s: %w", ev.WaybillID, err)
	}
	if o.WaybillID != ev.WaybillID {
		return nil, fmt.Errorf("%w: push for waybill %s names order %s, whose waybill is %s", ErrPushMismatch, ev.WaybillID, o.OrderID, o.WaybillID)
	}
	events := make([]store.PathEvent, len(ev.Actions))
	for i, a := range ev.Actions {
		events[i] = store.PathEvent{ActionTime: time.Unix(a.ActionTime, 0), ActionType: a.ActionType, ActionMsg: a.ActionMsg, Source: "push"}
	}
	o, _, err = s.record(ctx, o, ev.Version, events)
	return o, err
}

// record stores events and moves the order's tracking stage to its latest
// event that has one.
func (s *Service) record(ctx context.Context, o *Order, version int, events []store.PathEvent) (*Order, []store.PathEvent, error) {
	if _, err := s.db.AddPathEvents(ctx, o.OrderID, version, events); err != nil {
		return o, nil, err
	}
	all, err := s.db.PathEvents(ctx, o.OrderID)
	if err != nil {
		return o, nil, err
	}
	for i := len(all) - 1; i >= 0; i-- {
		stage := TrackStage(all[i].ActionType)
		if stage == "" {
			continue
		}
		if stage != o.TrackStatus || !all[i].ActionTime.Equal(o.TrackTime) {
			if err := s.db.SetTrack(ctx, o.OrderID, stage, all[i].ActionTime, all[i].ActionMsg); err != nil {
				return o, nil, err
			}
			s.publish(o.OrderID, "track")
		}
		break
	}
	o, err = s.db.Order(ctx, o.OrderID)
	return o, all, err
}

// Events returns the stored path of an order, oldest first.
func (s *Service) Events(ctx context.Context, orderID string) ([]store.PathEvent, error) {
	return s.db.PathEvents(ctx, orderID)
}

// Cancel cancels an order's waybill. WeChat refuses once the parcel has
// tracking (9300506); its reason comes back in the error and the order is
// unchanged. A cancelled order keeps its history.
func (s *Service) Cancel(ctx context.Context, id string) (*Order, error) {
	o, err := s.Find(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("cancel: %w", err)
	}
	switch o.Status {
	case StatusCancelled:
		return o, fmt.Errorf("cancel %s: already cancelled", o.OrderID)
	case StatusPlaced:
	default:
		return o, fmt.Errorf("cancel %s: the order is %s, it has no waybill to cancel", o.OrderID, o.Status)
	}
	req, _ := Request(o)
	cancel := &wxapi.CancelOrderRequest{OrderID: o.OrderID, DeliveryID: o.DeliveryID, WaybillID: o.WaybillID}
	if req != nil {
		cancel.OpenID = req.OpenID
	}
	if _, err := s.api.CancelOrder(ctx, cancel); err != nil {
		var we *wxapi.Error
		if errors.As(err, &we) && we.Code == wxapi.CodeCancelFailed {
			// "Cancel failed" usually means cancelled twice, but not
			// always: only getOrder's order_status says it is cancelled.
			resp, gerr := s.api.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: o.OrderID, DeliveryID: o.DeliveryID, WaybillID: o.WaybillID})
			if gerr == nil && resp.OrderStatus == wxapi.OrderStatusCancelled && resp.WaybillID == o.WaybillID {
				if cerr := s.db.Cancelled(ctx, o.OrderID, "getOrder", s.now()); cerr != nil {
					return o, fmt.Errorf("cancel %s: WeChat says it is cancelled but recording failed: %w", o.OrderID, cerr)
				}
				s.audit(ctx, "cancel", o.OrderID, o.WaybillID+" (already cancelled at WeChat)")
				return s.db.Order(ctx, o.OrderID)
			}
			if gerr != nil {
				return o, fmt.Errorf("cancel %s: %w (and getOrder could not tell whether it is cancelled: %v)", o.OrderID, err, gerr)
			}
			return o, fmt.Errorf("cancel %s: %w (getOrder says the waybill is not cancelled)", o.OrderID, err)
		}
		return o, fmt.Errorf("cancel %s: %w", o.OrderID, err)
	}
	if err := s.db.Cancelled(ctx, o.OrderID, "cancelOrder", s.now()); err != nil {
		return o, fmt.Errorf("cancel %s: WeChat cancelled it but recording failed: %w", o.OrderID, err)
	}
	s.log.Info("order cancelled", "order_id", o.OrderID, "waybill_id", o.WaybillID)
	s.audit(ctx, "cancel", o.OrderID, o.WaybillID)
	return s.db.Order(ctx, o.OrderID)
}
