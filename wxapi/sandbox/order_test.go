package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

func TestAddOrderEveryCourier(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	cases := []struct {
		delivery, biz string
		svc           int
		svcName       string
		waybill       string // pattern
		dataKeys      []string
	}{
		{"SF", "SF_CASH", 3, "顺丰标快", `^SF\d{12}$`, []string{"SF_bagAddr", "SF_mark"}},
		{"YTO", "SANDBOX_YTO", 0, "普通快递", `^YT\d{13}$`, []string{"bagAddr", "sortingCode", "packageCenterName"}},
		{"ZTO", "SANDBOX_ZTO", 0, "标准快件", `^7\d{13}$`, []string{"bagAddr", "sortingCode", "packageCenterName"}},
		{"STO", "SANDBOX_STO", 1, "标准快递", `^77\d{13}$`, []string{"bagAddr", "sortingCode", "packageCenterName"}},
		{"YUNDA", "SANDBOX_YUNDA", 0, "标准快件", `^43\d{11}$`, []string{"bagAddr", "sortingCode", "packageCenterName"}},
		{"BEST", "SANDBOX_BEST", 1, "标准快递", `^55\d{12}$`, []string{"bagAddr", "sortingCode", "packageCenterName"}},
		{"EMS", "SANDBOX_EMS", 9, "快递包裹", `^98\d{11}$`, nil},
		{"DB", "DB_CASH", 2, "特准快件", `^DPK\d{12}$`, []string{"bagAddr", "sortingCode", "packageCenterName"}},
		{"OTP", "OTP_CASH", 1, "标准快递", `^63\d{11}$`, []string{"bagAddr", "sortingCode", "packageCenterName"}},
		{"PJ", "PJ_CASH", 1, "标准快递", `^PJ\d{12}$`, []string{"bagAddr", "sortingCode", "packageCenterName"}},
		{"TEST", "test_biz_id", 1, "test_service_name", `^TEST\d{12}$`, []string{"bagAddr", "sortingCode", "packageCenterName"}},
	}
	for i, tc := range cases {
		t.Run(tc.delivery, func(t *testing.T) {
			orderID := fmt.Sprintf("EVERY-%02d", i)
			resp, err := h.client.AddOrder(ctx, sampleOrder(orderID, tc.delivery, tc.biz, tc.svc, tc.svcName))
			if err != nil {
				t.Fatalf("AddOrder: %v", err)
			}
			if !regexp.MustCompile(tc.waybill).MatchString(resp.WaybillID) {
				t.Errorf("waybill_id %q does not match %s", resp.WaybillID, tc.waybill)
			}
			if resp.OrderID != orderID || resp.DeliveryResultCode != 0 || resp.DeliveryResultMsg != "ok" {
				t.Errorf("answer %+v", resp)
			}
			var keys []string
			for _, kv := range resp.WaybillData {
				keys = append(keys, kv.Key)
				if kv.Value == "" {
					t.Errorf("waybill_data %s is empty", kv.Key)
				}
			}
			if strings.Join(keys, ",") != strings.Join(tc.dataKeys, ",") {
				t.Errorf("waybill_data keys %v, want %v", keys, tc.dataKeys)
			}
			got, err := h.client.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: orderID, DeliveryID: tc.delivery, WaybillID: resp.WaybillID})
			if err != nil {
				t.Fatalf("GetOrder: %v", err)
			}
			html, err := got.Label()
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{resp.WaybillID, tc.svcName} {
				if !strings.Contains(html, want) {
					t.Errorf("label lacks %q", want)
				}
			}
		})
	}
}

func TestAddOrderUsesQuota(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	before := h.quota("YTO", "SANDBOX_YTO")
	if before != seedQuota {
		t.Fatalf("YTO quota = %d, want %d", before, seedQuota)
	}
	if _, err := h.client.AddOrder(ctx, sampleOrder("Q-1", "YTO", "SANDBOX_YTO", 1, "圆准达")); err != nil {
		t.Fatal(err)
	}
	if got := h.quota("YTO", "SANDBOX_YTO"); got != before-1 {
		t.Errorf("YTO quota = %d after one order, want %d", got, before-1)
	}
	// Direct couriers and the test account keep no stock.
	if _, err := h.client.AddOrder(ctx, sampleOrder("Q-2", "EMS", "SANDBOX_EMS", 6, "标准快递")); err != nil {
		t.Fatal(err)
	}
	if got := h.quota("EMS", "SANDBOX_EMS"); got != 0 {
		t.Errorf("EMS quota = %d", got)
	}
	if got := h.quota("YTO", "SANDBOX_YTO"); got != before-1 {
		t.Errorf("an EMS order changed the YTO quota to %d", got)
	}
}

func TestAddOrderRepeated(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	first, err := h.client.AddOrder(ctx, sampleOrder("DUP-1", "YTO", "SANDBOX_YTO", 0, "普通快递"))
	if err != nil {
		t.Fatal(err)
	}
	// order_id is unique across couriers, not per courier.
	for _, d := range []struct{ delivery, biz string }{{"YTO", "SANDBOX_YTO"}, {"ZTO", "SANDBOX_ZTO"}} {
		svc := 0
		_, err = h.client.AddOrder(ctx, sampleOrder("DUP-1", d.delivery, d.biz, svc, "x"))
		if code := wxapi.Code(err); code != wxapi.CodeOrderRepeated {
			t.Errorf("%s: repeated order_id gave %v (code %d), want 9300522", d.delivery, err, code)
		}
	}
	if got := h.quota("YTO", "SANDBOX_YTO"); got != seedQuota-1 {
		t.Errorf("YTO quota = %d, want %d", got, seedQuota-1)
	}
	got, err := h.client.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: "DUP-1", DeliveryID: "YTO"})
	if err != nil || got.WaybillID != first.WaybillID {
		t.Errorf("the first waybill changed: %v %+v", err, got)
	}
}

// Each bad request gets WeChat's code and changes nothing: no quota is used
// and the order does not exist afterwards.
func TestAddOrderRejects(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.client.AddOrder(ctx, sampleOrder("TAKEN", "ZTO", "SANDBOX_ZTO", 0, "标准快件")); err != nil {
		t.Fatal(err)
	}
	yto := func(mut func(r *wxapi.AddOrderRequest)) func(id string) any {
		return func(id string) any {
			r := sampleOrder(id, "YTO", "SANDBOX_YTO", 0, "普通快递")
			mut(r)
			return r
		}
	}
	cases := []struct {
		name        string
		body        func(orderID string) any
		setup       func(t *testing.T)
		code        int
		courierCode int
		courierMsg  string
	}{
		{name: "unknown delivery_id", body: yto(func(r *wxapi.AddOrderRequest) { r.DeliveryID = "NOPE" }), code: 9300520},
		{name: "biz_id of another courier", body: yto(func(r *wxapi.AddOrderRequest) { r.BizID = "SANDBOX_ZTO" }),
			code: 9300501, courierCode: 10001, courierMsg: "bizId check error"},
		{name: "test_biz_id on a real courier", body: yto(func(r *wxapi.AddOrderRequest) { r.BizID = "test_biz_id" }),
			code: 9300501, courierCode: 10001, courierMsg: "bizId check error"},
		{name: "cash biz_id of another courier", body: yto(func(r *wxapi.AddOrderRequest) { r.BizID = "SF_CASH" }),
			code: 9300501, courierCode: 10001},
		{name: "service_type not offered", body: yto(func(r *wxapi.AddOrderRequest) { r.Service.ServiceType = 5 }),
			code: 9300501, courierCode: -1, courierMsg: "服务类型 5 不存在"},
		{name: "SF service_type 0 (not in the seed table)", body: func(id string) any {
			return sampleOrder(id, "SF", "SF_CASH", 0, "标准快递")
		}, code: 9300501, courierCode: -1},
		{name: "empty detail_list", body: yto(func(r *wxapi.AddOrderRequest) { r.Cargo.DetailList = nil }),
			code: 9300501, courierCode: 30001, courierMsg: "cargo.detailList is empty"},
		{name: "sender without name", body: yto(func(r *wxapi.AddOrderRequest) { r.Sender.Name = " " }),
			code: 9300501, courierCode: 20002, courierMsg: "寄件人信息异常"},
		{name: "sender without phone", body: yto(func(r *wxapi.AddOrderRequest) { r.Sender.Tel, r.Sender.Mobile = "", "" }),
			code: 9300501, courierCode: 20002, courierMsg: "寄件人信息异常"},
		{name: "sender without city", body: yto(func(r *wxapi.AddOrderRequest) { r.Sender.City = "" }),
			code: 9300501, courierCode: 20002, courierMsg: "寄件人信息异常"},
		{name: "receiver without name", body: yto(func(r *wxapi.AddOrderRequest) { r.Receiver.Name = "" }),
			code: 9300501, courierCode: 20002, courierMsg: "收件人信息异常"},
		{name: "receiver without phone", body: yto(func(r *wxapi.AddOrderRequest) { r.Receiver.Tel, r.Receiver.Mobile = "", "" }),
			code: 9300501, courierCode: 20002, courierMsg: "收件人信息异常"},
		{name: "receiver without province", body: yto(func(r *wxapi.AddOrderRequest) { r.Receiver.Province = "" }),
			code: 9300501, courierCode: 20002, courierMsg: "收件人信息异常"},
		{name: "receiver without area", body: yto(func(r *wxapi.AddOrderRequest) { r.Receiver.Area = "" }),
			code: 9300501, courierCode: 20002, courierMsg: "收件人信息异常"},
		{name: "receiver without address", body: yto(func(r *wxapi.AddOrderRequest) { r.Receiver.Address = "" }),
			code: 9300501, courierCode: 20002, courierMsg: "收件人信息异常"},
		{name: "weight zero", body: yto(func(r *wxapi.AddOrderRequest) { r.Cargo.Weight = 0 }), code: 9300526},
		{name: "weight negative", body: yto(func(r *wxapi.AddOrderRequest) { r.Cargo.Weight = -1.5 }), code: 9300526},
		{name: "SF insured below 100 fen", body: func(id string) any {
			r := sampleOrder(id, "SF", "SF_CASH", 3, "顺丰标快")
			r.Insured = wxapi.Insured{UseInsured: 1, InsuredValue: 99}
			return r
		}, code: 9300501, courierCode: 20008, courierMsg: "can not less then 100 cents"},
		{name: "shop without wxa_path", body: yto(func(r *wxapi.AddOrderRequest) { r.Shop.WxaPath = "" }), code: 9300535},
		{name: "shop without goods", body: yto(func(r *wxapi.AddOrderRequest) {
			r.Shop = wxapi.Shop{WxaPath: "/p", ImgURL: "https://example.com/a.png", GoodsCount: 1}
		}), code: 9300535},
		{name: "shop without img_url", body: yto(func(r *wxapi.AddOrderRequest) {
			r.Shop = wxapi.Shop{WxaPath: "/p", GoodsName: "抱枕", GoodsCount: 1}
		}), code: 9300535},
		{name: "shop without goods_count", body: yto(func(r *wxapi.AddOrderRequest) {
			r.Shop = wxapi.Shop{WxaPath: "/p", GoodsName: "抱枕", ImgURL: "https://example.com/a.png"}
		}), code: 9300535},
		{name: "numeric order_id", body: func(id string) any {
			return strings.Replace(mustJSON(t, sampleOrder(id, "YTO", "SANDBOX_YTO", 0, "普通快递")),
				`"order_id":"`+id+`"`, `"order_id":12345`, 1)
		}, code: 9300526},
		{name: "order_id missing", body: yto(func(r *wxapi.AddOrderRequest) { r.OrderID = "" }), code: 9300526},
		{name: "repeated order_id", body: yto(func(r *wxapi.AddOrderRequest) { r.OrderID = "TAKEN" }), code: 9300522},
		{name: "quota used up", body: yto(func(*wxapi.AddOrderRequest) {}),
			setup: func(t *testing.T) {
				if err := h.sb.db.setQuota(ctx, "YTO", "SANDBOX_YTO", 0); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { h.sb.db.setQuota(ctx, "YTO", "SANDBOX_YTO", seedQuota) })
			},
			code: 9300501, courierCode: -1, courierMsg: "电子面单余额不足"},
	}
	tok := h.token()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup(t)
			}
			orderID := fmt.Sprintf("BAD-%02d", i)
			quotaBefore := h.quota("YTO", "SANDBOX_YTO")
			r := h.do(http.MethodPost, wxapi.PathAddOrder+"?access_token="+tok, tc.body(orderID))
			wantErr(t, r, tc.code)
			if tc.code == 9300501 {
				if r.DeliveryResultCode != tc.courierCode {
					t.Errorf("delivery_resultcode = %d, want %d", r.DeliveryResultCode, tc.courierCode)
				}
				if !strings.Contains(r.DeliveryResultMsg, tc.courierMsg) || r.DeliveryResultMsg == "" {
					t.Errorf("delivery_resultmsg = %q, want it to contain %q", r.DeliveryResultMsg, tc.courierMsg)
				}
				if !strings.HasPrefix(r.ErrMsg, "delivery logic fail rid: ") {
					t.Errorf("errmsg = %q", r.ErrMsg)
				}
			}
			if r.WaybillID != "" {
				t.Errorf("a refused order got waybill %s", r.WaybillID)
			}
			if got := h.quota("YTO", "SANDBOX_YTO"); got != quotaBefore {
				t.Errorf("quota went from %d to %d", quotaBefore, got)
			}
			for _, d := range []string{"YTO", "SF"} {
				_, err := h.client.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: orderID, DeliveryID: d})
				if wxapi.Code(err) != wxapi.CodeInvalidWaybill {
					t.Errorf("getOrder of the refused order %s/%s: %v", d, orderID, err)
				}
			}
		})
	}
}

func TestGetOrder(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	placed, err := h.client.AddOrder(ctx, sampleOrder("GET-1", "SF", "SF_CASH", 3, "顺丰标快"))
	if err != nil {
		t.Fatal(err)
	}
	get := func(printType *int) (*wxapi.GetOrderResponse, string) {
		t.Helper()
		resp, err := h.client.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: "GET-1", DeliveryID: "SF", WaybillID: placed.WaybillID, PrintType: printType})
		if err != nil {
			t.Fatalf("GetOrder: %v", err)
		}
		html, err := wxapi.DecodePrintHTML(resp.PrintHTML)
		if err != nil {
			t.Fatalf("print_html: %v", err)
		}
		return resp, html
	}
	resp, two := get(nil)
	if resp.OrderID != "GET-1" || resp.DeliveryID != "SF" || resp.WaybillID != placed.WaybillID || resp.OrderStatus != 0 {
		t.Errorf("answer %+v", resp)
	}
	if fmt.Sprint(resp.WaybillData) != fmt.Sprint(placed.WaybillData) {
		t.Errorf("waybill_data %v, addOrder said %v", resp.WaybillData, placed.WaybillData)
	}
	for _, want := range []string{placed.WaybillID, "顺丰速运", "顺丰标快", "138****5678", "186****6666", "收件人联", "GET-1"} {
		if !strings.Contains(two, want) {
			t.Errorf("two-part label lacks %q", want)
		}
	}
	for _, full := range []string{receiverMobile, senderMobile, receiverTel, senderTel, "88888888", "12345678"} {
		if strings.Contains(two, full) {
			t.Errorf("label shows the full phone %s", full)
		}
	}
	one := 1
	_, single := get(&one)
	if strings.Contains(single, "收件人联") || !strings.Contains(single, placed.WaybillID) {
		t.Errorf("print_type 1 should be the one-part label")
	}
	zero := 0
	if _, again := get(&zero); again != two {
		t.Errorf("print_type 0 differs from the default")
	}

	bad := []struct {
		name string
		req  wxapi.GetOrderRequest
	}{
		{"unknown order", wxapi.GetOrderRequest{OrderID: "NOPE", DeliveryID: "SF"}},
		{"other courier", wxapi.GetOrderRequest{OrderID: "GET-1", DeliveryID: "YTO"}},
		{"wrong waybill", wxapi.GetOrderRequest{OrderID: "GET-1", DeliveryID: "SF", WaybillID: "SF000000000000"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.client.GetOrder(ctx, &tc.req)
			if wxapi.Code(err) != 9300528 {
				t.Errorf("err = %v, want errcode 9300528", err)
			}
		})
	}
	t.Run("missing delivery_id", func(t *testing.T) {
		wantErr(t, h.do(http.MethodPost, wxapi.PathGetOrder+"?access_token="+h.token(), `{"order_id":"GET-1"}`), 9300526)
	})
}

func TestOrderSurvivesRestart(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	placed, err := h.client.AddOrder(ctx, sampleOrder("KEEP-1", "YTO", "SANDBOX_YTO", 0, "普通快递"))
	if err != nil {
		t.Fatal(err)
	}
	h.restart()
	resp, err := h.client.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: "KEEP-1", DeliveryID: "YTO"})
	if err != nil {
		t.Fatalf("GetOrder after restart: %v", err)
	}
	if resp.WaybillID != placed.WaybillID {
		t.Errorf("waybill %s after restart, was %s", resp.WaybillID, placed.WaybillID)
	}
	html, err := resp.Label()
	if err != nil || !strings.Contains(html, placed.WaybillID) {
		t.Errorf("label after restart: %v", err)
	}
	if got := h.quota("YTO", "SANDBOX_YTO"); got != seedQuota-1 {
		t.Errorf("quota after restart = %d, want %d (seeding must run once)", got, seedQuota-1)
	}
	_, err = h.client.AddOrder(ctx, sampleOrder("KEEP-1", "YTO", "SANDBOX_YTO", 0, "普通快递"))
	if wxapi.Code(err) != wxapi.CodeOrderRepeated {
		t.Errorf("re-adding after restart: %v", err)
	}
}

// Concurrent orders each take one label; racing duplicates get one waybill.
func TestConcurrentOrders(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	const distinct, dups = 12, 6
	var wg sync.WaitGroup
	var mu sync.Mutex
	waybills := map[string]bool{}
	var dupOK, dupRepeated int
	add := func(orderID string, dup bool) {
		defer wg.Done()
		resp, err := h.client.AddOrder(ctx, sampleOrder(orderID, "YTO", "SANDBOX_YTO", 0, "普通快递"))
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			if waybills[resp.WaybillID] {
				t.Errorf("waybill %s issued twice", resp.WaybillID)
			}
			waybills[resp.WaybillID] = true
			if dup {
				dupOK++
			}
		case dup && wxapi.Code(err) == wxapi.CodeOrderRepeated:
			dupRepeated++
		default:
			t.Errorf("%s: %v", orderID, err)
		}
	}
	start := time.Now()
	for i := range distinct {
		wg.Add(1)
		go add(fmt.Sprintf("CC-%d", i), false)
	}
	for range dups {
		wg.Add(1)
		go add("CC-DUP", true)
	}
	wg.Wait()
	t.Logf("%d concurrent addOrders in %v", distinct+dups, time.Since(start))
	if dupOK != 1 || dupRepeated != dups-1 {
		t.Errorf("duplicates: %d placed, %d repeated; want 1 and %d", dupOK, dupRepeated, dups-1)
	}
	if got, want := h.quota("YTO", "SANDBOX_YTO"), seedQuota-distinct-1; got != want {
		t.Errorf("quota = %d, want %d", got, want)
	}
}
