package sandbox

import (
	"context"
	"strings"
	"time"

	"waybilldesk/wxapi"
)

// pathRoutes registers getPath and testUpdateOrder.
func (s *Sandbox) pathRoutes(t map[string]route) {
	t[wxapi.PathGetPath] = route{post: true, token: true, handle: s.handleGetPath}
	t[wxapi.PathTestUpdate] = route{post: true, token: true, handle: s.handleTestUpdateOrder}
}

type getPathReply struct {
	status
	wxapi.GetPathResponse
}

// handleGetPath serves POST /cgi-bin/express/business/path/get: the path up
// to the sandbox's now, sorted by action_time.
func (s *Sandbox) handleGetPath(ctx context.Context, c *call) (any, error) {
	var req wxapi.GetPathRequest
	if err := decodeBody(c, &req, codeInvalidArgs); err != nil {
		return nil, err
	}
	if e := requireFields(codeInvalidArgs, "delivery_id", req.DeliveryID, "waybill_id", req.WaybillID); e != nil {
		return nil, e
	}
	// The newest doc makes order_id optional: the waybill finds the order.
	o, ok, err := s.db.orderByWaybill(ctx, req.WaybillID)
	if err != nil {
		return nil, err
	}
	if !ok || o.Request.DeliveryID != req.DeliveryID || (req.OrderID != "" && req.OrderID != o.Request.OrderID) {
		return nil, wxErrf(codeInvalidWaybill, "no waybill %q of %q", req.WaybillID, req.DeliveryID)
	}
	cr, _, err := s.db.courier(ctx, o.Request.DeliveryID)
	if err != nil {
		return nil, err
	}
	events, err := s.db.orderPath(ctx, o, cr)
	if err != nil {
		return nil, err
	}
	openID := req.OpenID
	if openID == "" {
		openID = o.Request.OpenID
	}
	items := pathItems(events)
	return getPathReply{statusOK, wxapi.GetPathResponse{OpenID: openID, DeliveryID: o.Request.DeliveryID,
		WaybillID: o.WaybillID, PathItemNum: len(items), PathItemList: items}}, nil
}

// handleTestUpdateOrder serves POST /cgi-bin/express/business/test_update_order:
// it adds one event to a TEST order, as WeChat's sandbox courier does. Real
// couriers' orders move by themselves on the sandbox clock.
func (s *Sandbox) handleTestUpdateOrder(ctx context.Context, c *call) (any, error) {
	var req wxapi.TestUpdateOrderRequest
	if err := decodeBody(c, &req, codeInvalidArgs); err != nil {
		return nil, err
	}
	if e := requireFields(codeInvalidArgs, "biz_id", req.BizID, "order_id", req.OrderID, "delivery_id", req.DeliveryID,
		"waybill_id", req.WaybillID, "action_msg", req.ActionMsg); e != nil {
		return nil, e
	}
	if req.DeliveryID != wxapi.TestDeliveryID {
		return nil, wxErrf(codeBadDelivery, "only %s orders move by hand", wxapi.TestDeliveryID)
	}
	if req.BizID != wxapi.TestBizID {
		return nil, wxErrf(codeInvalidArgs, "biz_id must be %s", wxapi.TestBizID)
	}
	if req.ActionTime <= 0 || req.ActionType <= 0 {
		return nil, wxErrf(codeInvalidArgs, "action_time and action_type are required")
	}
	e := pathEvent{Time: time.Unix(req.ActionTime, 0), Type: req.ActionType, Msg: strings.TrimSpace(req.ActionMsg)}
	if err := s.db.addTestEvent(ctx, req.OrderID, req.WaybillID, e); err != nil {
		return nil, err
	}
	s.log.Info("sandbox test order moved", "order_id", req.OrderID, "action_type", req.ActionType)
	return statusOK, nil
}
