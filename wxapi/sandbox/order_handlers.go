package sandbox

import (
	"context"
	"encoding/base64"
	"strings"

	"waybilldesk/wxapi"
)

// orderRoutes registers the order endpoints.
func (s *Sandbox) orderRoutes(t map[string]route) {
	t[wxapi.PathAddOrder] = route{post: true, token: true, handle: s.handleAddOrder}
	t[wxapi.PathGetOrder] = route{post: true, token: true, handle: s.handleGetOrder}
}

type addOrderReply struct {
	status
	wxapi.AddOrderResponse
}

// handleAddOrder serves POST /cgi-bin/express/business/order/add.
func (s *Sandbox) handleAddOrder(ctx context.Context, c *call) (any, error) {
	var req wxapi.AddOrderRequest
	// A field of the wrong JSON type (e.g. a numeric order_id) was observed
	// to give 9300526 rather than 47001.
	if err := decodeBody(c, &req, codeInvalidArgs); err != nil {
		return nil, err
	}
	cr, ok, err := s.db.courier(ctx, req.DeliveryID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, wxErrf(codeBadDelivery, "%q", req.DeliveryID)
	}
	if e := checkOrderArgs(&req); e != nil {
		return nil, e
	}
	o, err := s.db.placeOrder(ctx, &req, cr, c.body)
	if err != nil {
		return nil, err
	}
	s.log.Info("sandbox order placed", "order_id", req.OrderID, "delivery_id", req.DeliveryID, "waybill_id", o.WaybillID)
	return addOrderReply{statusOK, wxapi.AddOrderResponse{
		OrderID:            req.OrderID,
		WaybillID:          o.WaybillID,
		WaybillData:        o.WaybillData,
		DeliveryResultCode: 0,
		DeliveryResultMsg:  "ok",
	}}, nil
}

type getOrderReply struct {
	status
	wxapi.GetOrderResponse
}

// handleGetOrder serves POST /cgi-bin/express/business/order/get.
//
// An unknown order_id, an order of another courier and a waybill_id that
// does not match all answer 9300528 "invalid waybill_id": it is the only
// getOrder error the spec records (930563 "order not exists" belongs to
// cancelOrder).
func (s *Sandbox) handleGetOrder(ctx context.Context, c *call) (any, error) {
	var req wxapi.GetOrderRequest
	if err := decodeBody(c, &req, codeInvalidArgs); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.OrderID) == "" || strings.TrimSpace(req.DeliveryID) == "" {
		return nil, wxErrf(codeInvalidArgs, "order_id and delivery_id are required")
	}
	o, ok, err := s.db.order(ctx, req.OrderID)
	if err != nil {
		return nil, err
	}
	if !ok || o.Request.DeliveryID != req.DeliveryID {
		return nil, wxErrf(codeInvalidWaybill, "no order %q with delivery_id %q", req.OrderID, req.DeliveryID)
	}
	if req.WaybillID != "" && req.WaybillID != o.WaybillID {
		return nil, wxErrf(codeInvalidWaybill, "order %q has another waybill_id", req.OrderID)
	}
	cr, ok, err := s.db.courier(ctx, o.Request.DeliveryID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, wxErrf(codeBadDelivery, "%q", o.Request.DeliveryID)
	}
	// print_type 1 is the one-part label; anything else, like WeChat's
	// default 0, the two-part label.
	printType := wxapi.PrintTypeTwoPart
	if req.PrintType != nil && *req.PrintType == wxapi.PrintTypeOnePart {
		printType = wxapi.PrintTypeOnePart
	}
	html, err := RenderLabel(labelDataFor(o, cr, printType, s.now()))
	if err != nil {
		return nil, err
	}
	return getOrderReply{statusOK, wxapi.GetOrderResponse{
		PrintHTML:   base64.StdEncoding.EncodeToString([]byte(html)),
		WaybillData: o.WaybillData,
		DeliveryID:  o.Request.DeliveryID,
		WaybillID:   o.WaybillID,
		OrderID:     o.Request.OrderID,
		OrderStatus: o.Status,
	}}, nil
}
