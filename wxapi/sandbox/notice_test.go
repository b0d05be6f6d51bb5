package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

var families = []struct {
	name   string
	family wxapi.NoticeFamily
	update string
}{
	{"follow", wxapi.NoticeFollow, wxapi.PathUpdateFollowWaybillGoods},
	{"trace", wxapi.NoticeTrace, wxapi.PathUpdateWaybillGoods},
}

// paidTx is a WeChat Pay transaction id: registrations require one.
const paidTx = "4200001234202503140000000001"

func goods(name string) wxapi.GoodsInfo {
	return wxapi.GoodsInfo{DetailList: []wxapi.NoticeGoods{{GoodsName: name, GoodsImgURL: "https://example.com/" + name + ".png"}}}
}

// Buyer notices follow a sandbox order's path: the status walks 0 -> 1 ->
// 2 -> 3 -> 4 (or 6 at a pickup point) as the clock moves.
func TestNoticeFollowsSandboxOrder(t *testing.T) {
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			h := newHarness(t)
			ctx := context.Background()
			placed := h.place("NT-"+f.name, "YUNDA")
			reg, err := h.client.Follow(ctx, f.family, &wxapi.FollowRequest{OpenID: "oBuyer", WaybillID: placed.WaybillID,
				TransID: paidTx, GoodsInfo: goods("抱枕")})
			if err != nil {
				t.Fatalf("register: %v", err)
			}
			if !strings.HasPrefix(reg.WaybillToken, "o_") || len(reg.WaybillToken) != 66 {
				t.Errorf("waybill_token %q is not shaped like WeChat's", reg.WaybillToken)
			}
			var statuses []int
			for range 10 * 48 {
				q, err := h.client.QueryTrace(ctx, f.family, &wxapi.QueryTraceRequest{WaybillToken: reg.WaybillToken})
				if err != nil {
					t.Fatalf("query: %v", err)
				}
				if q.WaybillInfo.WaybillID != placed.WaybillID || q.DeliveryInfo.DeliveryID != "YD" ||
					q.DeliveryInfo.DeliveryName != "韵达速递" || q.ShopInfo.GoodsInfo.DetailList[0].GoodsName != "抱枕" {
					t.Fatalf("query answer %+v", q)
				}
				if s := q.WaybillInfo.Status; len(statuses) == 0 || statuses[len(statuses)-1] != s {
					statuses = append(statuses, s)
				}
				if s := q.WaybillInfo.Status; s == wxapi.NoticeStatusSigned || s == wxapi.NoticeStatusProxySign {
					break
				}
				h.advance(30 * time.Minute)
			}
			got := fmt.Sprint(statuses)
			if !strings.HasPrefix(got, "[0 ") || !strings.Contains(got, " 1 ") || !strings.Contains(got, " 2 ") ||
				!strings.Contains(got, " 3 ") || !(strings.HasSuffix(got, " 4]") || strings.HasSuffix(got, " 6]")) {
				t.Errorf("statuses %s, want 0, 1, 2, 3 then 4 or 6", got)
			}
			// Registering again gives the same token.
			again, err := h.client.Follow(ctx, f.family, &wxapi.FollowRequest{OpenID: "oBuyer", WaybillID: placed.WaybillID, TransID: paidTx, GoodsInfo: goods("抱枕")})
			if err != nil || again.WaybillToken != reg.WaybillToken {
				t.Errorf("second registration: %v %+v", err, again)
			}
		})
	}
}

func TestNoticeForeignWaybill(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	reg, err := h.client.Follow(ctx, wxapi.NoticeTrace, &wxapi.FollowRequest{OpenID: "oBuyer", WaybillID: "WXTESTEXPRESS0000014", TransID: paidTx,
		DeliveryID: "KYSY", GoodsInfo: goods("茶叶")})
	if err != nil {
		t.Fatal(err)
	}
	q, err := h.client.QueryTrace(ctx, wxapi.NoticeTrace, &wxapi.QueryTraceRequest{WaybillToken: reg.WaybillToken})
	if err != nil {
		t.Fatal(err)
	}
	if q.WaybillInfo.Status != wxapi.NoticeStatusNotFound || q.DeliveryInfo.DeliveryName != "跨越速运" {
		t.Errorf("a waybill the sandbox did not issue: %+v", q)
	}
	reg, err = h.client.Follow(ctx, wxapi.NoticeFollow, &wxapi.FollowRequest{OpenID: "oBuyer", WaybillID: "SF1234567890123", TransID: paidTx, GoodsInfo: goods("茶叶")})
	if err != nil {
		t.Fatal(err)
	}
	if q, _ := h.client.QueryTrace(ctx, wxapi.NoticeFollow, &wxapi.QueryTraceRequest{WaybillToken: reg.WaybillToken}); q.DeliveryInfo.DeliveryID != "SF" {
		t.Errorf("courier of an SF waybill guessed as %+v", q.DeliveryInfo)
	}
}

func TestNoticeGoodsAndErrors(t *testing.T) {
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			h := newHarness(t)
			ctx := context.Background()
			reg, err := h.client.Follow(ctx, f.family, &wxapi.FollowRequest{OpenID: "oBuyer", WaybillID: "YT1234567890123", TransID: paidTx, GoodsInfo: goods("杯子")})
			if err != nil {
				t.Fatal(err)
			}
			for i := range noticeUpdateLimit {
				if err := h.client.UpdateGoods(ctx, f.family, &wxapi.UpdateGoodsRequest{WaybillToken: reg.WaybillToken,
					GoodsInfo: goods(fmt.Sprintf("杯子%d", i))}); err != nil {
					t.Fatalf("update %d: %v", i+1, err)
				}
			}
			q, err := h.client.QueryTrace(ctx, f.family, &wxapi.QueryTraceRequest{WaybillToken: reg.WaybillToken})
			if err != nil || q.ShopInfo.GoodsInfo.DetailList[0].GoodsName != fmt.Sprintf("杯子%d", noticeUpdateLimit-1) {
				t.Errorf("goods after updates: %v %+v", err, q.ShopInfo)
			}
			err = h.client.UpdateGoods(ctx, f.family, &wxapi.UpdateGoodsRequest{WaybillToken: reg.WaybillToken, GoodsInfo: goods("再改")})
			if wxapi.Code(err) != wxapi.CodeNoticeUpdateLimit {
				t.Errorf("update %d: %v, want 9300560", noticeUpdateLimit+1, err)
			}
			other := wxapi.NoticeTrace
			if f.family == wxapi.NoticeTrace {
				other = wxapi.NoticeFollow
			}
			for name, call := range map[string]func() error{
				"unknown token": func() error {
					_, err := h.client.QueryTrace(ctx, f.family, &wxapi.QueryTraceRequest{WaybillToken: "o_nope"})
					return err
				},
				"other family's token": func() error {
					_, err := h.client.QueryTrace(ctx, other, &wxapi.QueryTraceRequest{WaybillToken: reg.WaybillToken})
					return err
				},
				"update with unknown token": func() error {
					return h.client.UpdateGoods(ctx, f.family, &wxapi.UpdateGoodsRequest{WaybillToken: "o_nope", GoodsInfo: goods("x")})
				},
			} {
				if err := call(); wxapi.Code(err) != wxapi.CodeNoticeWrongToken {
					t.Errorf("%s: %v, want 9300507", name, err)
				}
			}
			_, err = h.client.Follow(ctx, f.family, &wxapi.FollowRequest{OpenID: "oBuyer", WaybillID: "NOPE", TransID: paidTx, GoodsInfo: goods("x")})
			if wxapi.Code(err) != wxapi.CodeNoticeNoWaybill {
				t.Errorf("unknown waybill: %v, want 9300559", err)
			}
			tok := h.token()
			register := wxapi.PathFollowWaybill
			if f.family == wxapi.NoticeTrace {
				register = wxapi.PathTraceWaybill
			}
			wantErr(t, h.do(http.MethodPost, register+"?access_token="+tok, `{"waybill_id":"YT1234567890123","trans_id":"420","goods_info":{"detail_list":[{"goods_name":"a","goods_img_url":"b"}]}}`), 40003)
			wantErr(t, h.do(http.MethodPost, register+"?access_token="+tok, `{"openid":"o","waybill_id":"YT1234567890123","trans_id":"420","goods_info":{"detail_list":[]}}`), 47001)
			// Without trans_id (WeChat's own samples omit it) nothing is registered.
			noTx := h.do(http.MethodPost, register+"?access_token="+tok, `{"openid":"o","waybill_id":"YT7777777777777","goods_info":{"detail_list":[{"goods_name":"a","goods_img_url":"b"}]}}`)
			wantErr(t, noTx, 47001)
			if !strings.Contains(noTx.ErrMsg, "trans_id") {
				t.Errorf("refusal does not name trans_id: %s", noTx.raw)
			}
			wantErr(t, h.do(http.MethodPost, f.update+"?access_token="+tok, `{"waybill_token":"`+reg.WaybillToken+`","goods_info":{"detail_list":[{"goods_name":"a"}]}}`), 47001)
		})
	}
}

func TestGetDeliveryList(t *testing.T) {
	h := newHarness(t)
	resp, err := h.client.GetDeliveryList(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if resp.Count != len(resp.DeliveryList) || resp.Count < 40 {
		t.Fatalf("count %d, %d couriers", resp.Count, len(resp.DeliveryList))
	}
	ids := map[string]string{}
	for _, d := range resp.DeliveryList {
		ids[d.DeliveryID] = d.DeliveryName
	}
	// Every 物流助手 courier has its buyer-notice twin, under its own id.
	for assistant, notice := range noticeIDs {
		if ids[notice] == "" {
			t.Errorf("%s (%s) is missing from get_delivery_list", notice, assistant)
		}
	}
	if ids["YD"] != "韵达速递" || ids["BDT"] != "八达通" {
		t.Errorf("list %v", ids)
	}
}

func TestPrinters(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	empty, err := h.client.GetPrinter(ctx)
	if err != nil || empty.Count != 0 || empty.OpenID == nil {
		t.Fatalf("no printers: %v %+v", err, empty)
	}
	for _, p := range []wxapi.UpdatePrinterRequest{
		{OpenID: "oABC", UpdateType: "bind", TagIDList: "123,456"},
		{OpenID: "oXYZ", UpdateType: "bind", TagIDList: "456"},
		{OpenID: "oTMP", UpdateType: "bind"},
		{OpenID: "oTMP", UpdateType: "unbind"},
		{OpenID: "oXYZ", UpdateType: "bind", TagIDList: "456,789"}, // rebinding replaces the tags
	} {
		if err := h.client.UpdatePrinter(ctx, &p); err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
	}
	got, err := h.client.GetPrinter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Count != 2 || fmt.Sprint(got.OpenID) != "[oABC oXYZ]" || fmt.Sprint(got.TagIDList) != "[123 456 789]" {
		t.Errorf("printers %+v", got)
	}
	tok := h.token()
	wantErr(t, h.do(http.MethodPost, wxapi.PathUpdatePrinter+"?access_token="+tok, `{"openid":"oABC","update_type":"add"}`), 9300517)
	wantErr(t, h.do(http.MethodPost, wxapi.PathUpdatePrinter+"?access_token="+tok, `{"openid":"","update_type":"bind"}`), 40003)
	wantErr(t, h.do(http.MethodPost, wxapi.PathUpdatePrinter+"?access_token="+tok, `{"openid":"oABC","update_type":"bind","tagid_list":"1, 2"}`), 9300526)
	wantErr(t, h.do(http.MethodPost, wxapi.PathUpdatePrinter+"?access_token="+tok, `{"openid":"oABC","update_type":"bind","tagid_list":"1,2,3,4,5,6,7,8,9,10,11"}`), 9300526)
}
