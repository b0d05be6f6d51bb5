package wxapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
)

// Paths of the merchant endpoints (物流助手, /cgi-bin/express/business/...).
const (
	PathGetAllDelivery = "/cgi-bin/express/business/delivery/getall"
	PathGetAllAccount  = "/cgi-bin/express/business/account/getall"
	PathAddOrder       = "/cgi-bin/express/business/order/add"
	PathGetOrder       = "/cgi-bin/express/business/order/get"
)

// GetAllDelivery lists the couriers WeChat supports, with their service types
// and cash biz ids.
//
// WeChat: GET /cgi-bin/express/business/delivery/getall (api_getalldelivery).
func (c *Client) GetAllDelivery(ctx context.Context) (*GetAllDeliveryResponse, error) {
	var out GetAllDeliveryResponse
	if err := c.call(ctx, "getAllDelivery", http.MethodGet, PathGetAllDelivery, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetAllAccount lists the courier accounts bound to the mini program, with
// their remaining label quota.
//
// WeChat: GET /cgi-bin/express/business/account/getall (api_getallaccount).
func (c *Client) GetAllAccount(ctx context.Context) (*GetAllAccountResponse, error) {
	var out GetAllAccountResponse
	if err := c.call(ctx, "getAllAccount", http.MethodGet, PathGetAllAccount, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AddOrder creates a waybill. The request is validated before it is sent.
// It is never retried here: after a timeout the caller must look the order
// up with GetOrder before trying again, or risk two waybills.
//
// WeChat: POST /cgi-bin/express/business/order/add (api_addorder).
func (c *Client) AddOrder(ctx context.Context, req *AddOrderRequest) (*AddOrderResponse, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	var out AddOrderResponse
	if err := c.call(ctx, "addOrder", http.MethodPost, PathAddOrder, req, &out); err != nil {
		return nil, err
	}
	if out.WaybillID == "" {
		return nil, fmt.Errorf("wechat addOrder: answer has no waybill_id for order %s", req.OrderID)
	}
	return &out, nil
}

// GetOrder fetches a waybill and its printable label.
//
// WeChat: POST /cgi-bin/express/business/order/get (api_getorder).
func (c *Client) GetOrder(ctx context.Context, req *GetOrderRequest) (*GetOrderResponse, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	var out GetOrderResponse
	if err := c.call(ctx, "getOrder", http.MethodPost, PathGetOrder, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Label decodes print_html into the HTML document of the label.
func (r *GetOrderResponse) Label() (string, error) {
	return DecodePrintHTML(r.PrintHTML)
}

// DecodePrintHTML decodes a print_html value (standard base64 of an HTML
// document) and checks that it is HTML.
func DecodePrintHTML(b64 string) (string, error) {
	s := strings.TrimSpace(b64)
	if s == "" {
		return "", fmt.Errorf("print_html is empty")
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", fmt.Errorf("print_html is not base64: %w", err)
	}
	html := string(raw)
	head := strings.ToLower(strings.TrimSpace(html))
	if len(head) > 200 {
		head = head[:200]
	}
	if !strings.Contains(head, "<html") && !strings.Contains(head, "<!doctype html") {
		return "", fmt.Errorf("print_html is not an HTML document")
	}
	return html, nil
}
