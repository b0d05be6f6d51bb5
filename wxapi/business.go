package wxapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Paths of the merchant endpoints (物流助手, /cgi-bin/express/business/...).
const (
	PathGetAllDelivery = "/cgi-bin/express/business/delivery/getall"
	PathGetAllAccount  = "/cgi-bin/express/business/account/getall"
	PathAddOrder       = "/cgi-bin/express/business/order/add"
	PathGetOrder       = "/cgi-bin/express/business/order/get"
	PathBindAccount    = "/cgi-bin/express/business/account/bind"
	PathGetQuota       = "/cgi-bin/express/business/quota/get"
	PathBatchGetOrder  = "/cgi-bin/express/business/order/batchget"
	PathCancelOrder    = "/cgi-bin/express/business/order/cancel"
	PathGetPath        = "/cgi-bin/express/business/path/get"
	PathGetPrinter     = "/cgi-bin/express/business/printer/getall"
	PathUpdatePrinter  = "/cgi-bin/express/business/printer/update"
	PathTestUpdate     = "/cgi-bin/express/business/test_update_order"
)

// GetAllDelivery lists the couriers WeChat supports, with their service types
// and cash biz ids.
//
// WeChat: GET /cgi-bin/express/business/delivery/getall (api_getalldelivery).
func (c *Client) GetAllDelivery(ctx context.Context) (*GetAllDeliveryResponse, error) {
	var out GetAllDeliveryResponse
	if err := c.read(ctx, "getAllDelivery", http.MethodGet, PathGetAllDelivery, nil, &out); err != nil {
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
	if err := c.read(ctx, "getAllAccount", http.MethodGet, PathGetAllAccount, nil, &out); err != nil {
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
	// trans_id is the desk's, kept for buyer notices; addOrder does not
	// document it and the courier has no business seeing a payment id.
	body := *req
	body.TransID = ""
	var out AddOrderResponse
	if err := c.call(ctx, "addOrder", http.MethodPost, PathAddOrder, &body, &out); err != nil {
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
	if err := c.read(ctx, "getOrder", http.MethodPost, PathGetOrder, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// BindAccount binds or unbinds a courier account (EMS goes through review;
// the result shows in GetAllAccount's status_code).
//
// WeChat: POST /cgi-bin/express/business/account/bind (api_bindaccount).
func (c *Client) BindAccount(ctx context.Context, req *BindAccountRequest) error {
	if err := req.Validate(); err != nil {
		return err
	}
	return c.call(ctx, "bindAccount", http.MethodPost, PathBindAccount, req, nil)
}

// GetQuota returns the labels left on a franchise (加盟) courier account.
//
// WeChat: POST /cgi-bin/express/business/quota/get (api_getquota).
func (c *Client) GetQuota(ctx context.Context, req *GetQuotaRequest) (*GetQuotaResponse, error) {
	var ch checker
	ch.required("delivery_id", req.DeliveryID)
	ch.required("biz_id", req.BizID)
	if ch.err != nil {
		return nil, ch.err
	}
	var out GetQuotaResponse
	if err := c.read(ctx, "getQuota", http.MethodPost, PathGetQuota, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// BatchGetOrder fetches up to 100 waybills at once; check each element's
// Err. print_type is not honoured here (two-part labels come back).
//
// WeChat: POST /cgi-bin/express/business/order/batchget (batchGetOrder).
func (c *Client) BatchGetOrder(ctx context.Context, req *BatchGetOrderRequest) (*BatchGetOrderResponse, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	var out BatchGetOrderResponse
	if err := c.read(ctx, "batchGetOrder", http.MethodPost, PathBatchGetOrder, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CancelOrder cancels a waybill; WeChat refuses once the parcel has tracking
// (9300506). A refusal keeps the courier's delivery_resultcode/msg.
//
// WeChat: POST /cgi-bin/express/business/order/cancel (api_cancelorder).
func (c *Client) CancelOrder(ctx context.Context, req *CancelOrderRequest) (*CancelOrderResponse, error) {
	var ch checker
	ch.orderKey(req.OrderID, req.DeliveryID, req.WaybillID)
	if ch.err != nil {
		return nil, ch.err
	}
	var out CancelOrderResponse
	if err := c.call(ctx, "cancelOrder", http.MethodPost, PathCancelOrder, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetPath returns a waybill's tracking events, sorted by action_time (WeChat
// does not promise their order).
//
// WeChat: POST /cgi-bin/express/business/path/get (api_getpath).
func (c *Client) GetPath(ctx context.Context, req *GetPathRequest) (*GetPathResponse, error) {
	var ch checker
	ch.orderKey(req.OrderID, req.DeliveryID, req.WaybillID)
	if ch.err != nil {
		return nil, ch.err
	}
	var out GetPathResponse
	if err := c.read(ctx, "getPath", http.MethodPost, PathGetPath, req, &out); err != nil {
		return nil, err
	}
	sort.SliceStable(out.PathItemList, func(i, j int) bool {
		return out.PathItemList[i].ActionTime < out.PathItemList[j].ActionTime
	})
	return &out, nil
}

// GetPrinter lists the printer operators (打印员) of WeChat's PC label software.
//
// WeChat: GET /cgi-bin/express/business/printer/getall (api_getprinter).
func (c *Client) GetPrinter(ctx context.Context) (*GetPrinterResponse, error) {
	var out GetPrinterResponse
	if err := c.read(ctx, "getPrinter", http.MethodGet, PathGetPrinter, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdatePrinter binds or unbinds a printer operator.
//
// WeChat: POST /cgi-bin/express/business/printer/update (api_updateprinter).
func (c *Client) UpdatePrinter(ctx context.Context, req *UpdatePrinterRequest) error {
	if err := req.Validate(); err != nil {
		return err
	}
	return c.call(ctx, "updatePrinter", http.MethodPost, PathUpdatePrinter, req, nil)
}

// TestUpdateOrder moves a sandbox order (courier TEST) along its path.
//
// WeChat: POST /cgi-bin/express/business/test_update_order (api_testupdateorder).
func (c *Client) TestUpdateOrder(ctx context.Context, req *TestUpdateOrderRequest) error {
	if err := req.Validate(); err != nil {
		return err
	}
	return c.call(ctx, "testUpdateOrder", http.MethodPost, PathTestUpdate, req, nil)
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
