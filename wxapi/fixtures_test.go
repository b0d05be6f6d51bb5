package wxapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestEveryFixtureDecodes is the one table over testdata/fixtures (a copy of
// ../shared/spec/fixtures): every sample is decoded the way the client or
// the push receiver does and checked value by value. A file without a row
// fails the test, so a new sample cannot be forgotten.
//
// Requests are read strictly (unknown fields refused, as --file does) and
// re-encoded with marshal; the result must be the sample field by field,
// apart from the omitempty zero values and always-sent fields each row
// names. Answers go through decodeAnswer into the client's type, and every
// field of the sample must land in it. Refusals must come back as *Error.
func TestEveryFixtureDecodes(t *testing.T) {
	one := PrintTypeOnePart
	table := map[string]fixtureCheck{
		"README.md":         readmeListsEveryFixture,
		"crypto-vectors.md": vectorsAreTheFilesValues,

		// Tokens.
		"stable_token.request.json": request(nil, nil, func(t *testing.T, r *StableTokenRequest) {
			want(t, *r, StableTokenRequest{GrantType: "client_credential", AppID: "APPID", Secret: "APPSECRET", ForceRefresh: false})
		}),
		"token.response.json": answer("token", nil, func(t *testing.T, r *TokenResponse) {
			want(t, *r, TokenResponse{AccessToken: "ACCESS_TOKEN", ExpiresIn: 7200})
		}),
		"token.response.error-40013.json": refusal[TokenResponse](Error{Endpoint: "token", Code: CodeInvalidAppID, Msg: "invalid appid"}),

		// Couriers and accounts.
		"getAllDelivery.response.json": answer("getAllDelivery", nil, func(t *testing.T, r *GetAllDeliveryResponse) {
			want(t, r.Count, 7)
			want(t, deliveryIDs(r.Data), "BEST 百世快递, EMS 中国邮政速递物流, PJ 品骏物流, SF 顺丰速运, YTO 圆通速递, YUNDA 韵达快递, ZTO 中通快递")
		}),
		"getAllDelivery.response.count8.weapp.json": answer("getAllDelivery", nil, func(t *testing.T, r *GetAllDeliveryResponse) {
			want(t, r.Count, 8)
			want(t, deliveryIDs(r.Data), "BEST 百世快递, EMS 中国邮政速递物流, OTP 承诺达特快, PJ 品骏物流, SF 顺丰速运, YTO 圆通速递, YUNDA 韵达快递, ZTO 中通快递")
		}),
		"getAllAccount.response.json": answer("getAllAccount", nil, func(t *testing.T, r *GetAllAccountResponse) {
			want(t, r.Count, 1)
			want(t, r.List, []Account{{BizID: "123456789", DeliveryID: "YUNDA", CreateTime: 1555482786, UpdateTime: 1556594799,
				StatusCode: AccountBound, QuotaNum: 55, QuotaUpdateTime: 1556594799}})
			want(t, r.List[0].Usable(), true)
		}),
		"bindAccount.request.json": request(nil, nil, func(t *testing.T, r *BindAccountRequest) {
			want(t, *r, BindAccountRequest{Type: BindTypeBind, BizID: "123456", DeliveryID: "YUNDA", Password: "123456789123456789"})
			want(t, r.Validate(), nil)
		}),
		"bindAccount.response.json": statusOnly("bindAccount"),
		"bindAccount.response.error-9300520.community.json": refusal[struct{}](Error{Endpoint: "bindAccount", Code: CodeInvalidDelivery,
			Msg: "invalid delivery id hint: [gOGFTa08902283] rid: 5f295f4a-21fe25c1-09c3f07c"}),
		"getQuota.request.json": request(nil, nil, func(t *testing.T, r *GetQuotaRequest) {
			want(t, *r, GetQuotaRequest{DeliveryID: "YTO", BizID: "xyz"})
		}),
		"getQuota.response.json": answer("getQuota", nil, func(t *testing.T, r *GetQuotaResponse) {
			want(t, r.QuotaNum, 210)
		}),

		// Orders.
		"addOrder.request.json": request([]string{"take_mode"}, map[string]any{"expect_time": json.Number("0")}, func(t *testing.T, r *AddOrderRequest) {
			want(t, r.OrderID, "01234567890123456789")
			want(t, r.OpenID, "oABC123456")
			want(t, r.DeliveryID+"/"+r.BizID, "SF/xyz")
			want(t, r.Sender.Phone()+" "+r.Receiver.Name+" "+r.Receiver.Phone(), "18666666666 王小蒙 18610000000")
			want(t, r.Cargo, Cargo{Count: 2, Weight: 5.5, SpaceX: 30.5, SpaceY: 20, SpaceZ: 20,
				DetailList: []CargoDetail{{"微信气泡狗抱枕", 1}, {"微信气泡狗钥匙扣", 1}}})
			want(t, r.Insured, Insured{UseInsured: 1, InsuredValue: 10000})
			want(t, r.Service, Service{ServiceType: 0, ServiceName: "标准快递"})
			want(t, r.Shop.GoodsName, "微信气泡狗抱枕&微信气泡狗钥匙扣")
			want(t, len(r.Shop.DetailList), 2)
			want(t, r.Shop.DetailList[1].GoodsDesc, "50cm * 50cm尺寸")
			want(t, r.Validate(), nil)
		}),
		"addOrder.response.json": answer("addOrder", nil, func(t *testing.T, r *AddOrderResponse) {
			want(t, *r, AddOrderResponse{OrderID: "01234567890123456789", WaybillID: "123456789", WaybillData: sfWaybillData,
				DeliveryResultCode: 0, DeliveryResultMsg: "ok"})
		}),
		"addOrder.response.success.easywechat.json": answer("addOrder", nil, func(t *testing.T, r *AddOrderResponse) {
			want(t, *r, AddOrderResponse{OrderID: "01234567890123456789", WaybillID: "123456789", WaybillData: sfWaybillData})
		}),
		// is_correct_sender/receiver are undocumented; nothing reads them.
		"addOrder.response.sf-success.community.json": answer("addOrder", []string{"is_correct_sender", "is_correct_receiver"}, func(t *testing.T, r *AddOrderResponse) {
			want(t, r.OrderID+" "+r.WaybillID, "81694 SF6026144710480")
			want(t, len(r.WaybillData), 16)
			data := map[string]string{}
			for _, kv := range r.WaybillData {
				data[kv.Key] = kv.Value
			}
			want(t, data["destRouteLabel"]+" "+data["codeMapping"]+" "+data["destcode"], "AC4-023GJ-070 F7 023")
			want(t, data["twoDimensionCode"], "MMM={'k1':'023WA','k2':'023GJ','k3':'070','k4':'T4','k5':'SF6026144710480','k6':'','k7':'bd8e49d1'}")
			if v, ok := data["abFlag"]; !ok || v != "" {
				t.Errorf("abFlag with an empty value lost: %q %v", v, ok)
			}
		}),
		// The courier's own refusals (9300501) keep its delivery_resultcode.
		"addOrder.response.error-9300501.easywechat.json": refusal[AddOrderResponse](Error{Endpoint: "addOrder", Code: CodeCourierFailure,
			Msg: "delivery logic fail", DeliveryResultCode: 10002, DeliveryResultMsg: "客户密码不正确"}),
		// The old doc sample carries order and waybill data beside 9300501:
		// it is a refusal all the same.
		"addOrder.response.error-9300501.weapp.json": refusal[AddOrderResponse](Error{Endpoint: "addOrder", Code: CodeCourierFailure,
			Msg: "delivery logic fail", DeliveryResultCode: 10002, DeliveryResultMsg: "客户密码不正确"}),
		"addOrder.response.error-30001-detaillist.community.json": refusal[AddOrderResponse](Error{Endpoint: "addOrder", Code: CodeCourierFailure,
			Msg: "delivery logic fail rid: 650d4ec8-2d09ae0d-37be0820", DeliveryResultCode: 30001, DeliveryResultMsg: "cargo.detailList is empty"}),
		"addOrder.response.error-20008-insured.community.json": refusal[AddOrderResponse](Error{Endpoint: "addOrder", Code: CodeCourierFailure,
			Msg: "delivery logic fail rid: 63bd225a-1b6e7927-3258c344", DeliveryResultCode: 20008, DeliveryResultMsg: "can not less then 100 cents"}),
		"addOrder.response.error-9300522-repeated.community.json": refusal[AddOrderResponse](Error{Endpoint: "addOrder", Code: CodeOrderRepeated,
			Msg: "this orderid is repeated rid: 634a7668-29413020-384372ce"}),
		"addOrder.response.error-9300535-shop.community.json": refusal[AddOrderResponse](Error{Endpoint: "addOrder", Code: CodeInvalidShop,
			Msg: "invalid shop args hint: [mJWEIA08781485]"}),
		"getOrder.request.json": request(nil, nil, func(t *testing.T, r *GetOrderRequest) {
			want(t, *r, GetOrderRequest{OrderID: "01234567890123456789", OpenID: "oABC123456", DeliveryID: "SF", WaybillID: "123456789", PrintType: &one})
			want(t, r.Validate(), nil)
		}),
		// print_html is a 74-character placeholder: Label must refuse it.
		// waybill_id/order_id differ from the request's (a quirk of the sample).
		"getOrder.response.json": answer("getOrder", nil, func(t *testing.T, r *GetOrderResponse) {
			want(t, *r, GetOrderResponse{PrintHTML: placeholderHTML, WaybillData: sfWaybillData, DeliveryID: "SF",
				WaybillID: "123456", OrderID: "123456", OrderStatus: OrderStatusNormal})
			labelRefused(t, r)
		}),
		"getOrder.response.error-9300528.community.json": refusal[GetOrderResponse](Error{Endpoint: "getOrder", Code: CodeInvalidWaybill,
			Msg: "invalid waybill_id rid: 634cf7a0-211d4efa-7fadeeba"}),
		"batchGetOrder.request.json": request(nil, nil, func(t *testing.T, r *BatchGetOrderRequest) {
			key := OrderKey{OrderID: "01234567890123456789", DeliveryID: "SF", WaybillID: "123456789"}
			want(t, r.OrderList, []OrderKey{key, key})
			want(t, r.Validate(), nil)
		}),
		"batchGetOrder.response.json": answer("batchGetOrder", nil, func(t *testing.T, r *BatchGetOrderResponse) {
			item := func(suffix string) BatchOrder {
				return BatchOrder{ErrCode: 0, ErrMsg: "ok", GetOrderResponse: GetOrderResponse{PrintHTML: placeholderHTML,
					WaybillData: sfWaybillData, DeliveryID: "SF", WaybillID: "123456789" + suffix, OrderID: "01234567890123456789" + suffix,
					OrderStatus: OrderStatusNormal}}
			}
			want(t, r.OrderList, []BatchOrder{item(""), item("_2")})
			for _, o := range r.OrderList {
				want(t, o.Err(), nil)
				labelRefused(t, &o.GetOrderResponse)
			}
		}),
		"cancelOrder.request.json": request(nil, nil, func(t *testing.T, r *CancelOrderRequest) {
			want(t, *r, CancelOrderRequest{OrderID: "01234567890123456789", OpenID: "oABC123456", DeliveryID: "SF", WaybillID: "123456789"})
		}),
		"cancelOrder.response.json": answer("cancelOrder", nil, func(t *testing.T, r *CancelOrderResponse) {
			want(t, *r, CancelOrderResponse{DeliveryResultCode: 0, DeliveryResultMsg: ""})
		}),
		"cancelOrder.response.error-930563.community.json": refusal[CancelOrderResponse](Error{Endpoint: "cancelOrder", Code: 930563,
			Msg: "order not exists rid: 634d008f-220e85ee-7a047ea5"}),
		"getPath.request.json": request(nil, nil, func(t *testing.T, r *GetPathRequest) {
			want(t, *r, GetPathRequest{OrderID: "01234567890123456789", OpenID: "oABC123456", DeliveryID: "SF", WaybillID: "123456789"})
		}),
		"getPath.response.json": answer("getPath", nil, func(t *testing.T, r *GetPathResponse) {
			want(t, *r, GetPathResponse{OpenID: "OPENID", DeliveryID: "SF", WaybillID: "12345678901234567890", PathItemNum: 3,
				PathItemList: []PathItem{
					{ActionTime: 1533052800, ActionType: 100001, ActionMsg: "快递员已成功取件"},
					{ActionTime: 1533062800, ActionType: 200001, ActionMsg: "快件已到达xxx集散中心，准备发往xxx"},
					{ActionTime: 1533072800, ActionType: 300001, ActionMsg: "快递员已出发，联系电话xxxxxx"},
				}})
		}),
		"testUpdateOrder.request.json": request(nil, nil, func(t *testing.T, r *TestUpdateOrderRequest) {
			want(t, *r, TestUpdateOrderRequest{BizID: TestBizID, OrderID: "xxxxxxxxxxxx", DeliveryID: TestDeliveryID, WaybillID: "xxxxxxxxxx",
				ActionTime: 123456789, ActionType: 100001, ActionMsg: "揽件阶段"})
			want(t, r.Validate(), nil)
		}),
		"testUpdateOrder.response.json": statusOnly("testUpdateOrder"),

		// Printer operators.
		"getPrinter.response.json": answer("getPrinter", nil, func(t *testing.T, r *GetPrinterResponse) {
			want(t, *r, GetPrinterResponse{Count: 2, OpenID: []string{"oABC", "oXYZ"}, TagIDList: []string{"123", "456"}})
		}),
		"updatePrinter.request.json": request(nil, nil, func(t *testing.T, r *UpdatePrinterRequest) {
			want(t, *r, UpdatePrinterRequest{OpenID: "oJ4v0wRAfiXcnIbM3SgGEUkTw3Qw", UpdateType: PrinterBind, TagIDList: "123,456"})
			want(t, r.Validate(), nil)
		}),
		"updatePrinter.response.json": statusOnly("updatePrinter"),

		// Buyer notices, both families.
		"open_msg.trace_waybill.request.json": request(nil, map[string]any{"trans_id": ""}, func(t *testing.T, r *FollowRequest) {
			want(t, *r, FollowRequest{OpenID: "ovtZW4yB7DIj3CxOb6ii-nk4HhFo", SenderPhone: "12345678901", ReceiverPhone: "123456566",
				WaybillID: "WXTESTEXPRESS0000014", DeliveryID: "KYSY", GoodsInfo: goods("www.qq.com", "测试名字", "测试名字2")})
			// WeChat's own sample leaves out trans_id, which its field
			// table marks required: the client asks for it.
			want(t, FieldOf(r.Validate()), "trans_id")
		}),
		"open_msg.trace_waybill.response.json": answer("trace_waybill", nil, func(t *testing.T, r *FollowResponse) {
			want(t, r.WaybillToken, "o_ARWHaxIxzWHmdui-AIw9KBr8qNnbmc08V0KhDyXE-IMLo6AcOqJkPsNLcLzfTb")
		}),
		// No trans_id although the field table calls it required: the
		// sample is not sendable as it stands.
		"open_msg.follow_waybill.request.json": request(nil, map[string]any{"trans_id": ""}, func(t *testing.T, r *FollowRequest) {
			want(t, *r, FollowRequest{OpenID: "ovtZW4yB7DIj3CxOb6ii-nk4HhFo", SenderPhone: "12345678901", ReceiverPhone: "123456566",
				WaybillID: "WXTESTEXPRESS0000014", GoodsInfo: GoodsInfo{DetailList: []NoticeGoods{
					{GoodsName: "测试名字", GoodsImgURL: "www.baidu1.com"}, {GoodsName: "测试名字2", GoodsImgURL: "www.baidu2.com"}}}})
			want(t, FieldOf(r.Validate()), "trans_id")
			paid := *r
			paid.TransID = "4200001234202503140000000001"
			want(t, paid.Validate(), nil)
		}),
		"open_msg.follow_waybill.response.json": answer("follow_waybill", nil, func(t *testing.T, r *FollowResponse) {
			want(t, r.WaybillToken, "o_ARWHaxIxzWHmdui-AIw9KBr8qNnbmc08V0KhDyXE-IMLo6AcOqJkPsNLcLzfTb")
		}),
		"open_msg.query_trace.request.json": request(nil, nil, func(t *testing.T, r *QueryTraceRequest) {
			want(t, *r, QueryTraceRequest{WaybillToken: "o_ARWHaxIxzWHmdui-AIw8SuE1QtaUZK8aUnZguAn1nsZ72ZjWlq8btV8j-wAc94", OpenID: "ovtZW4yB7DIj3CxOb6ii-nk4HhFo"})
		}),
		"open_msg.query_trace.response.json": answer("query_trace", nil, func(t *testing.T, r *QueryTraceResponse) {
			want(t, r.WaybillInfo.Status, NoticeStatusNotFound)
			want(t, r.WaybillInfo.WaybillID, "WXTESTEXPRESS0000014")
			want(t, r.ShopInfo.GoodsInfo, goods("www.qq.com", "测试名字", "测试名字2"))
		}),
		"open_msg.query_follow_trace.request.json": request(nil, nil, func(t *testing.T, r *QueryTraceRequest) {
			want(t, *r, QueryTraceRequest{WaybillToken: "o_ARWHaxIxzWHmdui-AIw8SuE1QtaUZK8aUnZguAn1nsZ72ZjWlq8btV8j-wAc94", OpenID: "ovtZW4yB7DIj3CxOb6ii-nk4HhFo"})
		}),
		"open_msg.query_follow_trace.response.json": answer("query_follow_trace", nil, func(t *testing.T, r *QueryTraceResponse) {
			want(t, r.WaybillInfo.Status, NoticeStatusNotFound)
			want(t, r.WaybillInfo.WaybillID, "WXTESTEXPRESS0000014")
			want(t, r.ShopInfo.GoodsInfo, GoodsInfo{DetailList: []NoticeGoods{
				{GoodsName: "测试名字", GoodsImgURL: "www.baidu1.com"}, {GoodsName: "测试名字2", GoodsImgURL: "www.baidu2.com"}}})
		}),
		"open_msg.update_waybill_goods.request.json": request(nil, nil, func(t *testing.T, r *UpdateGoodsRequest) {
			want(t, *r, UpdateGoodsRequest{WaybillToken: "o_ARWHaxIxzWHmdui-AIw8SuE1QtaUZK8aUnZguAn1nsZ72ZjWlq8btV8j-wAc94",
				OpenID: "ovtZW4yB7DIj3CxOb6ii-nk4HhFo", GoodsInfo: goods("www.qq.com", "测试更新商品")})
		}),
		"open_msg.update_follow_waybill_goods.request.json": request(nil, nil, func(t *testing.T, r *UpdateGoodsRequest) {
			want(t, *r, UpdateGoodsRequest{WaybillToken: "o_ARWHaxIxzWHmdui-AIw8SuE1QtaUZK8aUnZguAn1nsZ72ZjWlq8btV8j-wAc94",
				OpenID: "ovtZW4yB7DIj3CxOb6ii-nk4HhFo", GoodsInfo: goods("www.baidu.com", "测试更新商品")})
		}),
		// The sample is truncated to 3 of the 1379 couriers it counts.
		"open_msg.get_delivery_list.response.json": answer("get_delivery_list", nil, func(t *testing.T, r *GetDeliveryListResponse) {
			want(t, *r, GetDeliveryListResponse{Count: 1379, DeliveryList: []NoticeDelivery{
				{DeliveryID: "(AU)", DeliveryName: "Interparcel"}, {DeliveryID: "BDT", DeliveryName: "八达通"}, {DeliveryID: "YD", DeliveryName: "韵达速递"}}})
		}),
		"open_msg.response.error-931023.community.json": refusal[QueryTraceResponse](Error{Endpoint: "query_follow_trace", Code: CodeNoticeNoWaybillSeen,
			Msg: "waybill not exist detail: [运单不存在] rid: 66557522-735e87a4-648726cc"}),

		// add_express_path pushes, JSON and XML. OrderId and Version differ
		// between the twins; the weapp samples have no OrderId.
		"add_express_path.event.json":       pathEvent("123456789", 2),
		"add_express_path.event.xml":        pathEvent("123456", 3),
		"add_express_path.event.weapp.json": pathEvent("", 2),
		"add_express_path.event.weapp.xml":  pathEvent("", 3),

		// Message push (crypto-vectors.md set A).
		"messagepush.plain.debug_demo.json":     pushBody(pushURL("signature=899cf89e464efb63f54ddac96b0a0a235f53aa78&timestamp=1714037059&nonce=486452656"), "", 1714037059),
		"messagepush.encrypted.debug_demo.json": pushBody(pushURL("signature=6c5c811b55cc85e0e1b54100749188c20beb3f5d&timestamp=1714112445&nonce=415670741&openid=o9AgO5Kd5ggOC-bXrbNODIiE3bGY&encrypt_type=aes&msg_signature=046e02f8204d34f8ba5fa3b1db94908f3df2e9b3"), msgA3, 1714112445),
		"messagepush.encrypted.reply.json":      sealedReply,
	}

	entries, err := os.ReadDir(filepath.Join("testdata", "fixtures"))
	if err != nil {
		t.Fatal(err)
	}
	onDisk := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		onDisk[e.Name()] = true
		if table[e.Name()] == nil {
			t.Errorf("testdata/fixtures/%s has no row in TestEveryFixtureDecodes: add one that decodes it and checks its values", e.Name())
		}
	}
	names := make([]string, 0, len(table))
	for name := range table {
		names = append(names, name)
		if !onDisk[name] {
			t.Errorf("the table names %s, which is not in testdata/fixtures", name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		if !onDisk[name] {
			continue
		}
		t.Run(name, func(t *testing.T) { table[name](t, fixture(t, name)) })
	}
}

// fixtureCheck decodes one sample and checks its values.
type fixtureCheck func(t *testing.T, raw []byte)

// sfWaybillData is the waybill_data of the SF samples.
var sfWaybillData = []KV{{Key: "SF_bagAddr", Value: "广州"}, {Key: "SF_mark", Value: "101- 07-03 509"}}

// placeholderHTML is the official samples' print_html: not a label.
const placeholderHTML = "jh7DjipP4ul4CQYUh69cniskrQZuOPwa1inAbXIqKbU0t71c0s65Au54cdWBZW0QJY4LYeofdM"

func goods(img string, names ...string) GoodsInfo {
	var g GoodsInfo
	for _, n := range names {
		g.DetailList = append(g.DetailList, NoticeGoods{GoodsName: n, GoodsImgURL: img})
	}
	return g
}

func deliveryIDs(list []Delivery) string {
	var s []string
	for _, d := range list {
		s = append(s, d.DeliveryID+" "+d.DeliveryName)
	}
	return strings.Join(s, ", ")
}

func labelRefused(t *testing.T, r *GetOrderResponse) {
	t.Helper()
	if html, err := r.Label(); err == nil || !strings.Contains(err.Error(), "print_html") {
		t.Errorf("the %d-character placeholder print_html gave a label: %q %v", len(r.PrintHTML), html, err)
	}
}

// want fails the test when got is not (deeply) wanted.
func want[T any](t *testing.T, got, wanted T) {
	t.Helper()
	if !reflect.DeepEqual(got, wanted) {
		t.Errorf("got  %+v\nwant %+v", got, wanted)
	}
}

// request reads a request sample strictly, checks it, and re-encodes it
// with marshal, the client's encoder: the body sent must be the sample's
// JSON, except omitted (zero values dropped by omitempty) and added (fields
// always sent, with their values).
func request[T any](omitted []string, added map[string]any, check func(*testing.T, *T)) fixtureCheck {
	return func(t *testing.T, raw []byte) {
		var req T
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			t.Fatalf("decode as %T: %v", req, err)
		}
		check(t, &req)
		body, err := MarshalJSON(&req)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(body, []byte(`\u00`)) && !bytes.Contains(raw, []byte(`\u00`)) {
			t.Errorf("the body escapes characters the sample has plain (WeChat rejects \\uXXXX on some endpoints): %s", body)
		}
		expectOmitted, expectAdded := map[string]bool{}, map[string]any{}
		for _, p := range omitted {
			expectOmitted[p] = true
		}
		for p, v := range added {
			expectAdded[p] = v
		}
		failed := t.Failed()
		sample := generic(t, raw)
		for _, d := range jsonDiff("", generic(t, body), sample) {
			switch {
			case d.kind == "dropped" && expectOmitted[d.path]:
				if !zeroJSON(d.want) {
					t.Errorf("%s: %v dropped, but omitempty drops only zero values", d.path, d.want)
				}
				delete(expectOmitted, d.path)
			case d.kind == "added" && expectAdded[d.path] != nil:
				if !reflect.DeepEqual(d.got, expectAdded[d.path]) {
					t.Errorf("%s: sent as %v, want %v", d.path, d.got, expectAdded[d.path])
				}
				delete(expectAdded, d.path)
			default:
				t.Errorf("body differs from the sample at %s", d)
			}
		}
		for p := range expectOmitted {
			t.Errorf("%s was expected to be dropped (omitempty) but was sent", p)
		}
		for p := range expectAdded {
			t.Errorf("%s was expected to be sent although the sample lacks it", p)
		}
		if !failed && t.Failed() {
			t.Logf("body   %s\nsample %s", body, compact(raw))
		}
	}
}

// statusKeys are read by decodeAnswer's status, whatever the answer type.
var statusKeys = map[string]bool{"errcode": true, "errmsg": true, "delivery_resultcode": true, "delivery_resultmsg": true}

// answer decodes a response sample through decodeAnswer into T, checks it,
// and makes sure every field of the sample landed in T (re-encoding T must
// give back each of the sample's values), apart from unread top-level keys.
func answer[T any](endpoint string, unread []string, check func(*testing.T, *T)) fixtureCheck {
	return func(t *testing.T, raw []byte) {
		var out T
		if err := decodeAnswer(endpoint, raw, &out); err != nil {
			t.Fatalf("decodeAnswer: %v", err)
		}
		check(t, &out)
		skip := map[string]bool{}
		for _, k := range unread {
			skip[k] = true
		}
		reencoded, err := MarshalJSON(&out)
		if err != nil {
			t.Fatal(err)
		}
		got, sample := generic(t, reencoded), generic(t, raw)
		for _, d := range jsonDiff("", got, sample) {
			if d.kind == "added" || statusKeys[d.path] || skip[d.path] {
				continue
			}
			t.Errorf("%T does not keep the sample's %s", out, d)
		}
		for k := range skip {
			if _, ok := sample.(map[string]any)[k]; !ok {
				t.Errorf("unread key %s is not in the sample", k)
			}
		}
	}
}

// statusOnly is an answer without a body of its own: {"errcode":0,"errmsg":"ok"}.
func statusOnly(endpoint string) fixtureCheck {
	return func(t *testing.T, raw []byte) {
		if err := decodeAnswer(endpoint, raw, nil); err != nil {
			t.Fatalf("decodeAnswer: %v", err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		want(t, m, map[string]any{"errcode": 0.0, "errmsg": "ok"})
	}
}

// refusal decodes an error sample as the client does for the endpoint:
// the answer must be exactly the *Error given, say so in its message with
// the operator's text for the code, and fill nothing of T.
func refusal[T any](wanted Error) fixtureCheck {
	return func(t *testing.T, raw []byte) {
		var out T
		err := decodeAnswer(wanted.Endpoint, raw, &out)
		var we *Error
		if !errors.As(err, &we) {
			t.Fatalf("decodeAnswer = %v, want *wxapi.Error", err)
		}
		want(t, *we, wanted)
		if Code(err) != wanted.Code || Message(wanted.Code) == "" {
			t.Errorf("Code(err) = %d; Message(%d) = %q", Code(err), wanted.Code, Message(wanted.Code))
		}
		msg := err.Error()
		for _, part := range []string{fmt.Sprintf("errcode %d", wanted.Code), Message(wanted.Code), wanted.Msg} {
			if !strings.Contains(msg, part) {
				t.Errorf("message %q lacks %q", msg, part)
			}
		}
		if wanted.DeliveryResultCode != 0 {
			if courier := fmt.Sprintf("[courier %d: %s]", wanted.DeliveryResultCode, wanted.DeliveryResultMsg); !strings.Contains(msg, courier) {
				t.Errorf("message %q lacks the courier's answer %q", msg, courier)
			}
		}
		if we.TokenInvalid() || we.Retryable() {
			t.Errorf("errcode %d is taken for a token or retryable error", we.Code)
		}
		var zero T
		want(t, out, zero)
	}
}

// pathEvent checks an add_express_path sample through ParsePathEvent.
func pathEvent(orderID string, version int) fixtureCheck {
	return func(t *testing.T, raw []byte) {
		ev, err := ParsePathEvent(raw)
		if err != nil {
			t.Fatal(err)
		}
		want(t, *ev, PathEvent{
			EventHeader: EventHeader{ToUserName: "toUser", FromUserName: "fromUser", CreateTime: 1546924844, MsgType: "event", Event: EventAddExpressPath},
			DeliveryID:  "SF", WaybillID: "123456789", OrderID: orderID, Version: version, Count: 3,
			Actions: []PathAction{
				{ActionTime: 1546924840, ActionType: 100001, ActionMsg: "小哥A揽件成功"},
				{ActionTime: 1546924841, ActionType: 200001, ActionMsg: "到达广州集包地"},
				{ActionTime: 1546924842, ActionType: 200001, ActionMsg: "运往目的地"},
			}})
		want(t, Stage(ev.Actions[0].ActionType)+" "+Stage(ev.Actions[2].ActionType), "pickup transit")
	}
}

// pushURL is the receiver's URL with a published query.
func pushURL(query string) string { return "/push?" + query }

// pushBody posts a message-push sample with its published URL query to a
// PushHandler (Token AAAAA, the clock at the sample's timestamp; in safe
// mode set A's key and AppID) and checks what OpenRequest hands on: the
// body itself in plaintext mode, the published plaintext (plain) in safe
// mode.
func pushBody(target, plain string, now int64) fixtureCheck {
	return func(t *testing.T, raw []byte) {
		crypto := &PushCrypto{Token: "AAAAA"}
		if plain != "" {
			crypto = mustCrypto(t, "AAAAA", keyA, appA)
		}
		h := &PushHandler{Crypto: crypto, Now: func() time.Time { return time.Unix(now, 0) }}
		body, status, err := h.OpenRequest(httptest.NewRequest("POST", target, bytes.NewReader(raw)))
		if err != nil {
			t.Fatalf("OpenRequest: HTTP %d %v", status, err)
		}
		if plain == "" {
			want(t, string(body), string(raw))
		} else {
			want(t, string(body), plain)
		}
		var hdr struct {
			EventHeader
			DebugStr string `json:"debug_str"`
		}
		if err := decodeBody(body, &hdr); err != nil {
			t.Fatal(err)
		}
		want(t, hdr.EventHeader, EventHeader{ToUserName: "gh_97417a04a28d", FromUserName: "o9AgO5Kd5ggOC-bXrbNODIiE3bGY",
			CreateTime: now, MsgType: "event", Event: "debug_demo"})
		want(t, hdr.DebugStr, "hello world")

		// The same request again is a replay; a changed signature a forgery.
		if _, status, err := h.OpenRequest(httptest.NewRequest("POST", target, bytes.NewReader(raw))); !errors.Is(err, ErrStale) || status != 401 {
			t.Errorf("replayed sample: HTTP %d %v", status, err)
		}
		forged := regexp.MustCompile(`signature=[0-9a-f]{40}`).ReplaceAllString(target, "signature="+strings.Repeat("0", 40))
		h2 := &PushHandler{Crypto: h.Crypto, Now: h.Now}
		if _, status, err := h2.OpenRequest(httptest.NewRequest("POST", forged, bytes.NewReader(raw))); !errors.Is(err, ErrBadSignature) || status != 401 {
			t.Errorf("forged signature: HTTP %d %v", status, err)
		}
	}
}

// sealedReply opens the published safe-mode reply (set A4).
func sealedReply(t *testing.T, raw []byte) {
	var s SealedReply
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	want(t, s.TimeStamp, int64(1713424427))
	want(t, s.Nonce, "415670741")
	want(t, s.MsgSignature, Signature("AAAAA", "1713424427", "415670741", s.Encrypt))
	msg, err := mustCrypto(t, "AAAAA", keyA, appA).OpenReply(raw)
	if err != nil {
		t.Fatal(err)
	}
	want(t, string(msg), `{"demo_resp":"good luck"}`)
}

// vectorsAreTheFilesValues: the vectors push_test.go uses are copied from
// crypto-vectors.md, so the file stays their one source.
func vectorsAreTheFilesValues(t *testing.T, raw []byte) {
	doc := string(raw)
	for name, v := range map[string]string{"keyA": keyA, "appA": appA, "encA3": encA3, "msgA3": msgA3, "keyB": keyB,
		"appB": appB, "encB1": encB1, "encC": encC, "keyD": keyD, "encD2": encD2, "tokenD": tokenD} {
		if !strings.Contains(doc, "`"+v+"`") {
			t.Errorf("%s = %q is not in crypto-vectors.md", name, v)
		}
	}
}

// readmeListsEveryFixture: README.md's table names each file of the
// directory and nothing else.
func readmeListsEveryFixture(t *testing.T, raw []byte) {
	entries, err := os.ReadDir(filepath.Join("testdata", "fixtures"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| ([^ |]+\\.(?:json|xml|md)) \\|").FindAllStringSubmatch(string(raw), -1) {
		listed[m[1]] = true
	}
	for _, e := range entries {
		if e.Name() != "README.md" && !listed[e.Name()] {
			t.Errorf("README.md does not list %s", e.Name())
		}
		delete(listed, e.Name())
	}
	for name := range listed {
		t.Errorf("README.md lists %s, which is not there", name)
	}
}

// generic decodes JSON keeping numbers as written.
func generic(t *testing.T, raw []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return v
}

func compact(raw []byte) string {
	var b bytes.Buffer
	json.Compact(&b, raw)
	return b.String()
}

func zeroJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case json.Number:
		f, err := x.Float64()
		return err == nil && f == 0
	case string:
		return x == ""
	case bool:
		return !x
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// diff is one difference between two decoded JSON values at a path such
// as "cargo.detail_list[1].name".
type diff struct {
	path, kind string // kind: dropped (only in want), added (only in got), changed
	got, want  any
}

func (d diff) String() string {
	switch d.kind {
	case "dropped":
		return fmt.Sprintf("%s: dropped (sample has %v)", d.path, d.want)
	case "added":
		return fmt.Sprintf("%s: added (%v, not in the sample)", d.path, d.got)
	}
	return fmt.Sprintf("%s: %#v, sample has %#v", d.path, d.got, d.want)
}

// jsonDiff lists where got differs from want, field by field.
func jsonDiff(path string, got, want any) []diff {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	gm, gok := got.(map[string]any)
	wm, wok := want.(map[string]any)
	if gok && wok {
		var out []diff
		keys := map[string]bool{}
		for k := range gm {
			keys[k] = true
		}
		for k := range wm {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			gv, inGot := gm[k]
			wv, inWant := wm[k]
			switch {
			case !inGot:
				out = append(out, diff{join(k), "dropped", nil, wv})
			case !inWant:
				out = append(out, diff{join(k), "added", gv, nil})
			default:
				out = append(out, jsonDiff(join(k), gv, wv)...)
			}
		}
		return out
	}
	ga, gok := got.([]any)
	wa, wok := want.([]any)
	if gok && wok && len(ga) == len(wa) {
		var out []diff
		for i := range ga {
			out = append(out, jsonDiff(fmt.Sprintf("%s[%d]", path, i), ga[i], wa[i])...)
		}
		return out
	}
	if !reflect.DeepEqual(got, want) {
		return []diff{{path, "changed", got, want}}
	}
	return nil
}
