package wxapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestNoticeEndpoints(t *testing.T) {
	ctx := context.Background()
	// WeChat's sample omits trans_id although both seeds require it; the
	// client refuses it without one (TestNoticeErrorsAndValidation), so the
	// sample gets one and the body must carry it.
	const transID = "4200001234202503140000000001"
	var follow FollowRequest
	json.Unmarshal(fixture(t, "open_msg.trace_waybill.request.json"), &follow)
	follow.TransID = transID
	var query QueryTraceRequest
	json.Unmarshal(fixture(t, "open_msg.query_trace.request.json"), &query)
	var update UpdateGoodsRequest
	json.Unmarshal(fixture(t, "open_msg.update_waybill_goods.request.json"), &update)

	for _, fam := range []struct {
		family                  NoticeFamily
		register, query, update string
	}{
		{NoticeTrace, PathTraceWaybill, PathQueryTrace, PathUpdateWaybillGoods},
		{NoticeFollow, PathFollowWaybill, PathQueryFollowTrace, PathUpdateFollowWaybillGoods},
	} {
		var paths []string
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
			paths = append(paths, r.URL.Path)
			var got, want any
			json.Unmarshal(body, &got)
			switch r.URL.Path {
			case fam.register:
				json.Unmarshal(fixture(t, "open_msg.trace_waybill.request.json"), &want)
				want.(map[string]any)["trans_id"] = transID
				w.Write(fixture(t, "open_msg.trace_waybill.response.json"))
			case fam.query:
				json.Unmarshal(fixture(t, "open_msg.query_trace.request.json"), &want)
				w.Write(fixture(t, "open_msg.query_follow_trace.response.json"))
			case fam.update:
				json.Unmarshal(fixture(t, "open_msg.update_waybill_goods.request.json"), &want)
				w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
			}
			if r.Method != http.MethodPost || !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s body %s", r.Method, r.URL.Path, body)
			}
		})
		c := f.client(Options{})
		tok, err := c.Follow(ctx, fam.family, &follow)
		if err != nil || tok.WaybillToken == "" {
			t.Fatalf("follow: %+v %v", tok, err)
		}
		q, err := c.QueryTrace(ctx, fam.family, &query)
		if err != nil || q.WaybillInfo.WaybillID != "WXTESTEXPRESS0000014" || q.WaybillInfo.Status != NoticeStatusNotFound ||
			len(q.ShopInfo.GoodsInfo.DetailList) != 2 || q.ShopInfo.GoodsInfo.DetailList[1].GoodsImgURL != "www.baidu2.com" {
			t.Fatalf("query: %+v %v", q, err)
		}
		if err := c.UpdateGoods(ctx, fam.family, &update); err != nil {
			t.Fatal(err)
		}
		if want := []string{fam.register, fam.query, fam.update}; !reflect.DeepEqual(paths, want) {
			t.Fatalf("paths %v, want %v", paths, want)
		}
	}
}

func TestNoticeErrorsAndValidation(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Write(fixture(t, "open_msg.response.error-931023.community.json"))
	})
	_, err := f.client(Options{}).QueryTrace(context.Background(), NoticeFollow, &QueryTraceRequest{WaybillToken: "x"})
	if Code(err) != CodeNoticeNoWaybillSeen || Message(931023) == "" {
		t.Fatalf("err %v", err)
	}
	bad := FollowRequest{OpenID: "o", WaybillID: "W", TransID: "420", GoodsInfo: GoodsInfo{DetailList: []NoticeGoods{{GoodsName: "茶"}}}}
	if FieldOf(bad.Validate()) != "goods_info.detail_list[0].goods_img_url" {
		t.Fatalf("missing image: %v", bad.Validate())
	}
	if FieldOf((&FollowRequest{OpenID: "o", WaybillID: "W", TransID: "420"}).Validate()) != "goods_info.detail_list" {
		t.Fatal("no goods accepted")
	}
}

// TestFollowWithoutTransIDIsRefusedBeforeSending: both seeds mark trans_id
// required, so a registration without it never reaches WeChat and the
// error names the field.
func TestFollowWithoutTransIDIsRefusedBeforeSending(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		t.Errorf("sent %s although trans_id is missing", r.URL.Path)
	})
	goods := GoodsInfo{DetailList: []NoticeGoods{{GoodsName: "茶", GoodsImgURL: "https://example.com/t.png"}}}
	for _, id := range []string{"", "   "} {
		for _, fam := range []NoticeFamily{NoticeFollow, NoticeTrace} {
			_, err := f.client(Options{}).Follow(context.Background(), fam, &FollowRequest{OpenID: "o", WaybillID: "W123456", TransID: id, GoodsInfo: goods})
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != "trans_id" || !strings.Contains(ve.Reason, "WeChat Pay transaction id") {
				t.Errorf("%s with trans_id %q: %v", fam.name(), id, err)
			}
		}
	}
}

func TestGetDeliveryList(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if r.Method != http.MethodPost || r.URL.Path != PathGetDeliveryList {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		w.Write(fixture(t, "open_msg.get_delivery_list.response.json"))
	})
	l, err := f.client(Options{}).GetDeliveryList(context.Background())
	if err != nil || l.Count != 1379 || l.DeliveryList[2].DeliveryID != "YD" {
		t.Fatalf("%+v %v", l, err)
	}
}
