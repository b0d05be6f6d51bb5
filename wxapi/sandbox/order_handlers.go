package sandbox

import (
	"context"
	"encoding/base64"
	"errors"

	"waybilldesk/wxapi"
)

// orderRoutes registers the order endpoints.
func (s *Sandbox) orderRoutes(t map[string]route) {
	t[wxapi.PathAddOrder] = route{post: true, token: true, handle: s.handleAddOrder}
	t[wxapi.PathGetOrder] = route{post: true, token: true, handle: s.handleGetOrder}
	t[wxapi.PathBatchGetOrder] = route{post: true, token: true, handle: s.handleBatchGetOrder}
	t[wxapi.PathCancelOrder] = route{post: true, token: true, handle: s.handleCancelOrder}
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
	o, err := s.db.placeOrder(ctx, &req, cr, c.body, s.seed)
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
	if e := requireFields(codeInvalidArgs, "order_id", req.OrderID, "delivery_id", req.DeliveryID); e != nil {
		return nil, e
	}
	// print_type 1 is the one-part label; anything else, like WeChat's
	// default 0, the two-part label.
	printType := wxapi.PrintTypeTwoPart
	if req.PrintType != nil && *req.PrintType == wxapi.PrintTypeOnePart {
		printType = wxapi.PrintTypeOnePart
	}
	resp, err := s.orderAnswer(ctx, wxapi.OrderKey{OrderID: req.OrderID, DeliveryID: req.DeliveryID, WaybillID: req.WaybillID}, printType)
	if err != nil {
		return nil, err
	}
	return getOrderReply{statusOK, *resp}, nil
}

// orderAnswer is getOrder's answer for one order, label included; an
// empty WaybillID matches any.
func (s *Sandbox) orderAnswer(ctx context.Context, k wxapi.OrderKey, printType int) (*wxapi.GetOrderResponse, error) {
	o, ok, err := s.db.order(ctx, k.OrderID)
	if err != nil {
		return nil, err
	}
	if !ok || o.Request.DeliveryID != k.DeliveryID {
		return nil, wxErrf(codeInvalidWaybill, "no order %q with delivery_id %q", k.OrderID, k.DeliveryID)
	}
	if k.WaybillID != "" && k.WaybillID != o.WaybillID {
		return nil, wxErrf(codeInvalidWaybill, "order %q has another waybill_id", k.OrderID)
	}
	cr, ok, err := s.db.courier(ctx, o.Request.DeliveryID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, wxErrf(codeBadDelivery, "%q", o.Request.DeliveryID)
	}
	size, err := s.db.labelSizeFor(ctx, o.Request.DeliveryID, o.Request.BizID, s.labelSize)
	if err != nil {
		return nil, err
	}
	html, err := RenderLabel(labelDataFor(o, cr, printType, size, s.Now()))
	if err != nil {
		return nil, err
	}
	return &wxapi.GetOrderResponse{
		PrintHTML:   base64.StdEncoding.EncodeToString([]byte(html)),
		WaybillData: o.WaybillData,
		DeliveryID:  o.Request.DeliveryID,
		WaybillID:   o.WaybillID,
		OrderID:     o.Request.OrderID,
		OrderStatus: o.Status,
	}, nil
}

type batchGetOrderReply struct {
	status
	wxapi.BatchGetOrderResponse
}

// handleBatchGetOrder serves POST /cgi-bin/express/business/order/batchget:
// up to 100 orders, each answered with its own errcode; print_type does
// not apply (two-part labels, or the one-part 76x130 where that is set).
func (s *Sandbox) handleBatchGetOrder(ctx context.Context, c *call) (any, error) {
	var req wxapi.BatchGetOrderRequest
	if err := decodeBody(c, &req, codeInvalidArgs); err != nil {
		return nil, err
	}
	if n := len(req.OrderList); n == 0 || n > wxapi.MaxBatchGetOrder {
		return nil, wxErrf(codeInvalidArgs, "order_list has %d orders, 1 to %d allowed", n, wxapi.MaxBatchGetOrder)
	}
	out := make([]wxapi.BatchOrder, len(req.OrderList))
	for i, k := range req.OrderList {
		item := wxapi.BatchOrder{ErrCode: 0, ErrMsg: "ok"}
		var resp *wxapi.GetOrderResponse
		var err error
		if e := requireFields(codeInvalidArgs, "order_id", k.OrderID, "delivery_id", k.DeliveryID, "waybill_id", k.WaybillID); e != nil {
			err = e
		} else {
			resp, err = s.orderAnswer(ctx, k, wxapi.PrintTypeTwoPart)
		}
		var ae *apiError
		switch {
		case err == nil:
			item.GetOrderResponse = *resp
		case errors.As(err, &ae):
			item.ErrCode, item.ErrMsg = ae.Code, ae.message()
			item.GetOrderResponse = wxapi.GetOrderResponse{OrderID: k.OrderID, DeliveryID: k.DeliveryID,
				WaybillID: k.WaybillID, WaybillData: []wxapi.KV{}}
		default:
			return nil, err
		}
		out[i] = item
	}
	return batchGetOrderReply{statusOK, wxapi.BatchGetOrderResponse{OrderList: out}}, nil
}

type cancelOrderReply struct {
	status
	wxapi.CancelOrderResponse
}

// handleCancelOrder serves POST /cgi-bin/express/business/order/cancel.
// Only an order without tracking can be cancelled: once collected it is
// 9300506 with the courier's 30002, once signed 9300506 with 30003; a
// second cancel is 9300524; an unknown order 930563.
func (s *Sandbox) handleCancelOrder(ctx context.Context, c *call) (any, error) {
	var req wxapi.CancelOrderRequest
	if err := decodeBody(c, &req, codeArgError); err != nil {
		return nil, err
	}
	if e := requireFields(codeArgError, "order_id", req.OrderID, "delivery_id", req.DeliveryID, "waybill_id", req.WaybillID); e != nil {
		return nil, e
	}
	cr, ok, err := s.db.courier(ctx, req.DeliveryID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, wxErrf(codeNoDelivery, "%q", req.DeliveryID)
	}
	if err := s.db.cancelOrder(ctx, &req, cr); err != nil {
		return nil, err
	}
	s.log.Info("sandbox order cancelled", "order_id", req.OrderID, "delivery_id", req.DeliveryID)
	return cancelOrderReply{statusOK, wxapi.CancelOrderResponse{DeliveryResultCode: 0, DeliveryResultMsg: ""}}, nil
}
