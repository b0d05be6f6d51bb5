package courier

import (
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// TestSeedSignatureExample pins seed 002's signature example, alone and as
// a request the gateway accepts at that very second.
func TestSeedSignatureExample(t *testing.T) {
	const want = "5eff852d33f84c33ef1c3a792d3ffb941d6b0261"
	if got := wxapi.Signature("1a2b3c456", "123456", "13578"); got != want {
		t.Fatalf("sha1(sorted token, timestamp, nonce) = %s, want %s", got, want)
	}
	g := startGateway(t, time.Unix(123456, 0), Options{Token: "1a2b3c456"})
	g.addOrder(t, "O-SIG", "SIG1", time.Unix(100000, 0), act(time.Unix(110000, 0), 100001, "已揽收"))
	q := url.Values{"orderid": {"SIG1"}, "openid": {"o1"}, "signature": {want}, "timestamp": {"123456"},
		"nonce": {"13578"}, "callback": {"WxOrderCb"}}
	_, _, body := get(t, g.url+DefaultQueryPath+"?"+q.Encode())
	var info OrderInfo
	jsonp(t, "WxOrderCb", body, &info)
	if info.ErrCode != 0 || info.OrderStatus != StatusCollected {
		t.Fatalf("seed-signed request answered %+v", info)
	}
}

// seedPath is the path of seed 002's example answer, with action types.
func seedPath() []wxapi.PathAction {
	return []wxapi.PathAction{
		act(cst(2020, 7, 4, 20, 47, 3), 100001, "【河北永清县】(0316-6840631) 的 操作一组(15731691877) 已揽收"),
		act(cst(2020, 7, 4, 21, 44, 38), 200001, "快件离开 【河北永清县】 已发往 【贵阳】"),
		act(cst(2020, 7, 5, 1, 33, 5), 200001, "快件已经到达 【华北操作部】"),
		act(cst(2020, 7, 5, 18, 15, 24), 200001, "快件离开 【华北操作部】 已发往 【贵阳】"),
		act(cst(2020, 7, 7, 5, 55, 46), 200001, "快件已经到达 【贵阳】"),
		act(cst(2020, 7, 7, 7, 28, 23), 200001, "快件离开 【贵阳】 已发往 【遵义】"),
		act(cst(2020, 7, 7, 13, 42, 7), 200001, "快件已经到达 【遵义】"),
		act(cst(2020, 7, 7, 13, 44, 42), 200001, "快件离开 【遵义】 已发往 【遵义桂花社区】"),
	}
}

// TestScanAnswerReproducesTheSeedExample checks every field of the answer
// for the seed's own example order: traces oldest first with China times,
// "X \n Y" addresses and the station as remark, the cell, the estimate
// (created 07-04 + 3 days, the day after the latest event: 07-08) and
// status 2.
func TestScanAnswerReproducesTheSeedExample(t *testing.T) {
	g := startGateway(t, cst(2020, 7, 7, 14, 0, 0), Options{
		Cells: []Cell{{Key: "order", Name: "寄快递", Link: "pages/order/new", Value: "寄快递"}}})
	g.addOrder(t, "O-SEED", "YT4567", cst(2020, 7, 4, 20, 30, 0), seedPath()...)

	status, ctype, body := get(t, g.scanURL("YT4567", nil))
	if status != http.StatusOK || ctype != "application/javascript; charset=utf-8" {
		t.Fatalf("HTTP %d %q", status, ctype)
	}
	var got OrderInfo
	jsonp(t, "WxOrderCb", body, &got)
	want := OrderInfo{ErrCode: 0, ErrMsg: "ok", OrderStatus: StatusInTransit, EstimatedDeliveryTime: "2020-07-08",
		Cells: []CellInfo{{Key: "order", Value: "寄快递"}},
		Traces: []Trace{
			{"2020-07-04 20:47:03", "已揽件 \n 【河北永清县】(0316-6840631) 的 操作一组(157****1877) 已揽收", "河北永清县"},
			{"2020-07-04 21:44:38", "运输中 \n 快件离开 【河北永清县】 已发往 【贵阳】", "河北永清县"},
			{"2020-07-05 01:33:05", "运输中 \n 快件已经到达 【华北操作部】", "华北操作部"},
			{"2020-07-05 18:15:24", "运输中 \n 快件离开 【华北操作部】 已发往 【贵阳】", "华北操作部"},
			{"2020-07-07 05:55:46", "运输中 \n 快件已经到达 【贵阳】", "贵阳"},
			{"2020-07-07 07:28:23", "运输中 \n 快件离开 【贵阳】 已发往 【遵义】", "贵阳"},
			{"2020-07-07 13:42:07", "运输中 \n 快件已经到达 【遵义】", "遵义"},
			{"2020-07-07 13:44:42", "运输中 \n 快件离开 【遵义】 已发往 【遵义桂花社区】", "遵义"},
		}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("answer\n got %+v\nwant %+v", got, want)
	}
	// The JSON text itself reads like the seed's: "X \n Y" with an escaped newline.
	if !strings.Contains(body, `"accept_address":"运输中 \n 快件已经到达 【贵阳】"`) {
		t.Errorf("accept_address not written as the seed does: %s", body)
	}
	if strings.Contains(body, "15731691877") {
		t.Errorf("a full phone number is on the public page: %s", body)
	}
}

// TestScanOrderStatusFollowsActionTypes maps each action type of seed 003
// to seed 002's OrderStatus over HTTP, with the estimate only while not
// signed for.
func TestScanOrderStatusFollowsActionTypes(t *testing.T) {
	now := cst(2024, 3, 10, 12, 0, 0)
	g := startGateway(t, now, Options{})
	created := cst(2024, 3, 9, 9, 0, 0)
	at := func(h int) time.Time { return cst(2024, 3, 9, 10+h, 0, 0) }
	for i, tc := range []struct {
		types  []int
		status int
		stage  string // of the latest trace
		eta    string
	}{
		{nil, StatusAwaitingPickup, "", "2024-03-12"},
		{[]int{90001}, StatusAwaitingPickup, "待揽件", "2024-03-12"},
		{[]int{90001, 100002}, StatusAwaitingPickup, "揽件失败", "2024-03-12"},
		{[]int{100001}, StatusCollected, "已揽件", "2024-03-12"},
		{[]int{100001, 200001}, StatusInTransit, "运输中", "2024-03-12"},
		{[]int{200001, 500001}, StatusInTransit, "运输中", "2024-03-12"},
		{[]int{200001, 400002}, StatusInTransit, "订单滞留", "2024-03-12"},
		{[]int{200001, 300002}, StatusOutForDelivery, "派送中", "2024-03-10"},
		{[]int{300002, 300005}, StatusOutForDelivery, "派送中", "2024-03-10"},
		{[]int{300002, 300003}, StatusSigned, "已签收", ""},
		{[]int{300002, 300004}, StatusSignException, "签收失败", "2024-03-12"},
		{[]int{300002, 300007}, StatusProxySigned, "代签收", ""},
		{[]int{300002, 400004}, StatusSignException, "订单拒收", "2024-03-12"},
		{[]int{200001, 400005}, StatusSignException, "问题件", "2024-03-12"},
		{[]int{200001, 400003}, StatusSignException, "订单退回", "2024-03-12"},
		{[]int{90001, 400001}, StatusAwaitingPickup, "订单取消", "2024-03-12"},
		{[]int{200001, 300003, 500001}, StatusSigned, "已签收", ""},
	} {
		waybill := "ST" + strconv.Itoa(i)
		var path []wxapi.PathAction
		for j, typ := range tc.types {
			path = append(path, act(at(j), typ, "事件"+strconv.Itoa(typ)))
		}
		g.addOrder(t, "O-"+waybill, waybill, created, path...)
		var got OrderInfo
		_, _, body := get(t, g.scanURL(waybill, nil))
		jsonp(t, "WxOrderCb", body, &got)
		if got.ErrCode != 0 || got.OrderStatus != tc.status || got.EstimatedDeliveryTime != tc.eta || len(got.Traces) != len(tc.types) {
			t.Errorf("%v: status %d eta %q (%d traces), want %d %q; %s", tc.types, got.OrderStatus, got.EstimatedDeliveryTime,
				len(got.Traces), tc.status, tc.eta, body)
			continue
		}
		if n := len(got.Traces); n > 0 && !strings.HasPrefix(got.Traces[n-1].AcceptAddress, tc.stage+" \n ") {
			t.Errorf("%v: latest trace %q, want stage %s", tc.types, got.Traces[n-1].AcceptAddress, tc.stage)
		}
		if events, _ := g.db.PathEvents(t.Context(), "O-"+waybill); OrderStatus(events) != tc.status {
			t.Errorf("%v: OrderStatus = %d", tc.types, OrderStatus(events))
		}
	}
}

// TestScanNeverShowsFullPhonesAndPlacesEvents: the page is public to
// whoever scans the label.
func TestScanNeverShowsFullPhonesAndPlacesEvents(t *testing.T) {
	g := startGateway(t, cst(2024, 3, 10, 12, 0, 0), Options{})
	g.addOrder(t, "O-PH", "PH1", cst(2024, 3, 9, 9, 0, 0),
		act(cst(2024, 3, 9, 9, 30, 0), 90002, "已分配快递员张三(13911112222)"),
		act(cst(2024, 3, 9, 11, 0, 0), 200001, "快件已发出"),
		act(cst(2024, 3, 10, 8, 0, 0), 300002, "派件员：王五，电话：13912345678；收件人 13800138000 座机 0851-28221234 寄件人 +8613763357711"))
	_, _, body := get(t, g.scanURL("PH1", nil))
	for _, phone := range []string{"13911112222", "13912345678", receiverMobile, receiverTel, senderMobile} {
		if strings.Contains(body, phone) {
			t.Errorf("the answer shows %s: %s", phone, body)
		}
	}
	var got OrderInfo
	jsonp(t, "WxOrderCb", body, &got)
	// No station in the text: the sender's city before transit, the last
	// known place in transit, the receiver's city from delivery on.
	for i, want := range []string{"廊坊市", "廊坊市", "遵义市"} {
		if got.Traces[i].Remark != want {
			t.Errorf("trace %d remark %q, want %q", i, got.Traces[i].Remark, want)
		}
	}
	if !strings.Contains(got.Traces[2].AcceptAddress, "139****5678") {
		t.Errorf("masked phone missing: %q", got.Traces[2].AcceptAddress)
	}
}

// TestScanRejectsBadRequests: every refusal is a JSONP answer with its
// err_code, except a callback that is not an identifier, which is never
// echoed.
func TestScanRejectsBadRequests(t *testing.T) {
	now := cst(2024, 3, 10, 12, 0, 0)
	g := startGateway(t, now, Options{CompanyID: "KDN-YT"})
	g.addOrder(t, "O-OK", "OK1", now.Add(-time.Hour), act(now.Add(-time.Minute), 100001, "已揽收"))
	sign := func(ts time.Time) func(url.Values) {
		return func(q url.Values) {
			s := strconv.FormatInt(ts.Unix(), 10)
			q.Set("timestamp", s)
			q.Set("signature", wxapi.Signature(testToken, s, q.Get("nonce")))
		}
	}
	for _, tc := range []struct {
		name   string
		mutate func(url.Values)
		code   int
	}{
		{"good", nil, 0},
		{"no callback: the seed's name", func(q url.Values) { q.Del("callback") }, 0},
		{"same company_id", func(q url.Values) { q.Set("company_id", "KDN-YT") }, 0},
		{"seed's orderid==", func(q url.Values) { q.Set("orderid", "=OK1") }, 0},
		{"forged signature", func(q url.Values) { q.Set("signature", strings.Repeat("0", 40)) }, ErrCodeBadSignature},
		{"no signature", func(q url.Values) { q.Del("signature") }, ErrCodeBadSignature},
		{"signed with another token", func(q url.Values) {
			q.Set("signature", wxapi.Signature("other", q.Get("timestamp"), q.Get("nonce")))
		}, ErrCodeBadSignature},
		{"6 minutes old", sign(now.Add(-6 * time.Minute)), ErrCodeStale},
		{"6 minutes ahead", sign(now.Add(6 * time.Minute)), ErrCodeStale},
		{"4 minutes old is fine", sign(now.Add(-4 * time.Minute)), 0},
		{"unknown waybill", func(q url.Values) { q.Set("orderid", "NOPE") }, ErrCodeUnknownWaybill},
		{"missing orderid", func(q url.Values) { q.Del("orderid") }, ErrCodeNoOrderID},
		{"another company", func(q url.Values) { q.Set("company_id", "KDN-ZT") }, ErrCodeOtherCompany},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := g.scanURL("OK1", tc.mutate)
			status, ctype, body := get(t, u)
			if status != http.StatusOK || !strings.HasPrefix(ctype, "application/javascript") {
				t.Fatalf("HTTP %d %s", status, ctype)
			}
			var got OrderInfo
			jsonp(t, "WxOrderCb", body, &got)
			if got.ErrCode != tc.code || (tc.code == 0) != (got.ErrMsg == "ok") {
				t.Fatalf("err_code %d %q, want %d", got.ErrCode, got.ErrMsg, tc.code)
			}
			if tc.code != 0 && (strings.Contains(body, "traces") || strings.Contains(body, "order_status")) {
				t.Fatalf("an error answer carries data: %s", body)
			}
			if tc.code == 0 {
				// The same timestamp and nonce again is a replay.
				_, _, again := get(t, u)
				jsonp(t, "WxOrderCb", again, &got)
				if got.ErrCode != ErrCodeReplayed {
					t.Fatalf("replayed request: err_code %d %q", got.ErrCode, got.ErrMsg)
				}
			}
		})
	}

	for _, cb := range []string{"alert(1)//", "<script>x</script>", "a.b", "1abc", "x y", "cb;alert(1)", strings.Repeat("a", 65), "WxOrderCb\u2028"} {
		status, ctype, body := get(t, g.scanURL("OK1", func(q url.Values) { q.Set("callback", cb) }))
		if status != http.StatusBadRequest || !strings.HasPrefix(ctype, "text/plain") || strings.Contains(body, cb) {
			t.Errorf("callback %q: HTTP %d %s %q", cb, status, ctype, body)
		}
	}
	for _, cb := range []string{"$", "_cb", "jQuery3510_1700000000", strings.Repeat("a", 64)} {
		if _, _, body := get(t, g.scanURL("OK1", func(q url.Values) { q.Set("callback", cb) })); !strings.HasPrefix(body, cb+"({") {
			t.Errorf("callback %q refused: %q", cb, body)
		}
	}
	resp, err := http.Post(g.scanURL("OK1", nil), "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: HTTP %d", resp.StatusCode)
	}
	if status, _, _ := get(t, g.url+"/elsewhere"); status != http.StatusNotFound {
		t.Errorf("unknown path: HTTP %d", status)
	}
}

func TestEstimateDelivery(t *testing.T) {
	created := cst(2024, 3, 1, 23, 30, 0)
	ev := func(at time.Time) []store.PathEvent { return []store.PathEvent{{ActionTime: at, ActionType: 200001}} }
	for _, tc := range []struct {
		name   string
		events []store.PathEvent
		status int
		now    time.Time
		want   string
	}{
		{"created + 3 days, China date", nil, StatusAwaitingPickup, created, "2024-03-04"},
		{"late event pushes it", ev(cst(2024, 3, 5, 8, 0, 0)), StatusInTransit, cst(2024, 3, 5, 9, 0, 0), "2024-03-06"},
		{"stuck parcel: never in the past", ev(cst(2024, 3, 2, 8, 0, 0)), StatusInTransit, cst(2024, 3, 9, 9, 0, 0), "2024-03-09"},
		{"out for delivery: today", ev(cst(2024, 3, 2, 8, 0, 0)), StatusOutForDelivery, cst(2024, 3, 2, 9, 0, 0), "2024-03-02"},
		{"signed: none", nil, StatusSigned, created, ""},
		{"signed by proxy: none", nil, StatusProxySigned, created, ""},
	} {
		if got := estimateDelivery(created, tc.events, tc.status, 3, tc.now); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	// 20:00 UTC on the 1st is already the 2nd in China.
	if got := estimateDelivery(time.Date(2024, 3, 1, 20, 0, 0, 0, time.UTC), nil, 0, 3, created); got != "2024-03-05" {
		t.Errorf("UTC creation: %q, want 2024-03-05", got)
	}
}
