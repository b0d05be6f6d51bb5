package wxapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
)

// TestEndpointsUseTheRightMethodPathAndBody runs every merchant endpoint
// against a server that checks what WeChat documents: the HTTP method, the
// path (several public SDKs get these wrong), and the body field by field
// against the spec's sample request.
func TestEndpointsUseTheRightMethodPathAndBody(t *testing.T) {
	ctx := context.Background()
	decode := func(name string, v any) {
		if err := json.Unmarshal(fixture(t, name), v); err != nil {
			t.Fatal(name, err)
		}
	}
	var bind BindAccountRequest
	decode("bindAccount.request.json", &bind)
	var quota GetQuotaRequest
	decode("getQuota.request.json", &quota)
	var batch BatchGetOrderRequest
	decode("batchGetOrder.request.json", &batch)
	var cancel CancelOrderRequest
	decode("cancelOrder.request.json", &cancel)
	var path GetPathRequest
	decode("getPath.request.json", &path)
	var printer UpdatePrinterRequest
	decode("updatePrinter.request.json", &printer)
	var test TestUpdateOrderRequest
	decode("testUpdateOrder.request.json", &test)

	tests := []struct {
		name, method, path string
		request            string // fixture the body must equal ("" = no body)
		response           string
		call               func(c *Client) (any, error)
		check              func(t *testing.T, got any)
	}{
		{"bindAccount", http.MethodPost, "/cgi-bin/express/business/account/bind", "bindAccount.request.json", "bindAccount.response.json",
			func(c *Client) (any, error) { return nil, c.BindAccount(ctx, &bind) }, nil},
		{"getQuota", http.MethodPost, "/cgi-bin/express/business/quota/get", "getQuota.request.json", "getQuota.response.json",
			func(c *Client) (any, error) { return c.GetQuota(ctx, &quota) },
			func(t *testing.T, got any) {
				if got.(*GetQuotaResponse).QuotaNum != 210 {
					t.Errorf("quota_num not read: %+v", got)
				}
			}},
		{"batchGetOrder", http.MethodPost, "/cgi-bin/express/business/order/batchget", "batchGetOrder.request.json", "batchGetOrder.response.json",
			func(c *Client) (any, error) { return c.BatchGetOrder(ctx, &batch) },
			func(t *testing.T, got any) {
				l := got.(*BatchGetOrderResponse).OrderList
				if len(l) != 2 || l[1].WaybillID != "123456789_2" || l[0].WaybillData[1].Value != "101- 07-03 509" || l[0].Err() != nil {
					t.Errorf("decoded %+v", l)
				}
			}},
		{"cancelOrder", http.MethodPost, "/cgi-bin/express/business/order/cancel", "cancelOrder.request.json", "cancelOrder.response.json",
			func(c *Client) (any, error) { return c.CancelOrder(ctx, &cancel) }, nil},
		{"getPath", http.MethodPost, "/cgi-bin/express/business/path/get", "getPath.request.json", "getPath.response.json",
			func(c *Client) (any, error) { return c.GetPath(ctx, &path) },
			func(t *testing.T, got any) {
				p := got.(*GetPathResponse)
				if p.PathItemNum != 3 || p.PathItemList[0].ActionType != 100001 || p.PathItemList[2].ActionTime != 1533072800 {
					t.Errorf("decoded %+v", p)
				}
			}},
		{"getPrinter", http.MethodGet, "/cgi-bin/express/business/printer/getall", "", "getPrinter.response.json",
			func(c *Client) (any, error) { return c.GetPrinter(ctx) },
			func(t *testing.T, got any) {
				p := got.(*GetPrinterResponse)
				if p.Count != 2 || !reflect.DeepEqual(p.OpenID, []string{"oABC", "oXYZ"}) || !reflect.DeepEqual(p.TagIDList, []string{"123", "456"}) {
					t.Errorf("decoded %+v", p)
				}
			}},
		{"updatePrinter", http.MethodPost, "/cgi-bin/express/business/printer/update", "updatePrinter.request.json", "updatePrinter.response.json",
			func(c *Client) (any, error) { return nil, c.UpdatePrinter(ctx, &printer) }, nil},
		{"testUpdateOrder", http.MethodPost, "/cgi-bin/express/business/test_update_order", "testUpdateOrder.request.json", "testUpdateOrder.response.json",
			func(c *Client) (any, error) { return nil, c.TestUpdateOrder(ctx, &test) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
				if r.Method != tt.method || r.URL.Path != tt.path {
					t.Errorf("sent %s %s, want %s %s", r.Method, r.URL.Path, tt.method, tt.path)
				}
				if r.URL.Query().Get("access_token") == "" {
					t.Error("no access_token in the query")
				}
				if tt.request == "" {
					if len(body) != 0 {
						t.Errorf("GET with a body: %s", body)
					}
				} else {
					var got, want any
					json.Unmarshal(body, &got)
					json.Unmarshal(fixture(t, tt.request), &want)
					if !reflect.DeepEqual(got, want) {
						t.Errorf("body\n got %s\nwant %s", body, fixture(t, tt.request))
					}
				}
				w.Write(fixture(t, tt.response))
			})
			got, err := tt.call(f.client(Options{}))
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

func TestGetPathSortsByTime(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Write([]byte(`{"path_item_num":2,"path_item_list":[{"action_time":20,"action_type":300003,"action_msg":"签收"},{"action_time":10,"action_type":100001,"action_msg":"揽收"}]}`))
	})
	p, err := f.client(Options{}).GetPath(context.Background(), &GetPathRequest{OrderID: "1", DeliveryID: "SF", WaybillID: "W"})
	if err != nil {
		t.Fatal(err)
	}
	if p.PathItemList[0].ActionType != 100001 {
		t.Fatalf("not sorted by action_time: %+v", p.PathItemList)
	}
}

func TestCancelRefusalKeepsCourierAnswer(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Write([]byte(`{"errcode":9300506,"errmsg":"order already has path rid: 3","delivery_resultcode":30002,"delivery_resultmsg":"已揽件不能取消"}`))
	})
	_, err := f.client(Options{}).CancelOrder(context.Background(), &CancelOrderRequest{OrderID: "1", DeliveryID: "SF", WaybillID: "W"})
	var we *Error
	if Code(err) != 9300506 || !errors.As(err, &we) || we.DeliveryResultCode != 30002 || we.DeliveryResultMsg != "已揽件不能取消" {
		t.Fatalf("err %v", err)
	}
}

func TestRequestValidation(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		field string
	}{
		{"bind type", (&BindAccountRequest{Type: "link", BizID: "b", DeliveryID: "YTO"}).Validate(), "type"},
		{"bind biz", (&BindAccountRequest{Type: "bind", DeliveryID: "YTO"}).Validate(), "biz_id"},
		{"batch empty", (&BatchGetOrderRequest{}).Validate(), "order_list"},
		{"batch over 100", (&BatchGetOrderRequest{OrderList: make([]OrderKey, 101)}).Validate(), "order_list"},
		{"batch item", (&BatchGetOrderRequest{OrderList: []OrderKey{{OrderID: "1", DeliveryID: "SF"}}}).Validate(), "order_list[0].waybill_id"},
		{"printer type", (&UpdatePrinterRequest{OpenID: "o", UpdateType: "add"}).Validate(), "update_type"},
		{"printer tags spaces", (&UpdatePrinterRequest{OpenID: "o", UpdateType: "bind", TagIDList: "123, 456"}).Validate(), "tagid_list"},
		{"printer 11 tags", (&UpdatePrinterRequest{OpenID: "o", UpdateType: "bind", TagIDList: "1,2,3,4,5,6,7,8,9,10,11"}).Validate(), "tagid_list"},
		{"test courier only", (&TestUpdateOrderRequest{BizID: "test_biz_id", DeliveryID: "SF", OrderID: "1", WaybillID: "w", ActionTime: 1, ActionType: 100001, ActionMsg: "m"}).Validate(), "delivery_id"},
		{"test needs time", (&TestUpdateOrderRequest{BizID: "test_biz_id", DeliveryID: "TEST", OrderID: "1", WaybillID: "w", ActionType: 100001, ActionMsg: "m"}).Validate(), "action_time"},
	}
	for _, tt := range tests {
		if got := FieldOf(tt.err); got != tt.field {
			t.Errorf("%s: field %q (%v), want %q", tt.name, got, tt.err, tt.field)
		}
	}
	c := New(Options{BaseURL: "http://127.0.0.1:1", AppID: "a", Secret: "b"})
	if _, err := c.GetQuota(context.Background(), &GetQuotaRequest{DeliveryID: "YTO"}); FieldOf(err) != "biz_id" {
		t.Errorf("getQuota without biz_id: %v", err)
	}
	if _, err := c.CancelOrder(context.Background(), &CancelOrderRequest{OrderID: "1", DeliveryID: "SF"}); FieldOf(err) != "waybill_id" {
		t.Errorf("cancel without waybill: %v", err)
	}
}
