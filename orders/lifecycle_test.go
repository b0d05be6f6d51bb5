package orders

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

// admin calls the sandbox's admin endpoints (quota, clock) as a test harness.
func (e *env) admin(t *testing.T, path string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(e.srv.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s: HTTP %d", path, resp.StatusCode)
	}
}

func TestEmptyQuotaIsRefusedBeforeSendingAndLowQuotaReported(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	quotas, err := e.svc.Quotas(ctx, true)
	if err != nil || len(quotas) == 0 {
		t.Fatalf("quotas %v %v", quotas, err)
	}
	var yto QuotaAccount
	for _, q := range quotas {
		if q.DeliveryID == "YTO" {
			yto = q
		}
		if q.DeliveryID == "SF" || q.DeliveryID == "EMS" {
			t.Fatalf("direct courier %s listed with a label stock", q.DeliveryID)
		}
	}
	if yto.BizID == "" || yto.Quota <= 0 || yto.Low {
		t.Fatalf("YTO stock %+v", yto)
	}
	e.admin(t, "/sandbox/quota", map[string]any{"delivery_id": "YTO", "biz_id": yto.BizID, "quota_num": 0})
	e.svc.Couriers(ctx, true)
	r := example(t)
	r.DeliveryID, r.BizID, r.Service = "YTO", yto.BizID, wxapi.Service{ServiceType: 0}
	_, err = e.svc.Place(ctx, r)
	if wxapi.FieldOf(err) != "biz_id" || e.faults.addOrders.Load() != 0 || count(t, e.db) != 0 {
		t.Fatalf("order on an empty account: %v (addOrder calls %d)", err, e.faults.addOrders.Load())
	}
	// Topped up meanwhile: the cached zero is checked again, not trusted.
	e.admin(t, "/sandbox/quota", map[string]any{"delivery_id": "YTO", "biz_id": yto.BizID, "quota_num": 2})
	if _, err := e.svc.Place(ctx, r); err != nil {
		t.Fatalf("after top-up: %v", err)
	}
	e.svc.SetQuotaThreshold(ctx, 5)
	quotas, _ = e.svc.Quotas(ctx, true)
	for _, q := range quotas {
		if q.DeliveryID == "YTO" && (q.Quota != 1 || !q.Low) {
			t.Fatalf("YTO after one order on 2: %+v", q)
		}
	}
}

func TestBuyerNoticeRegisteredWhenOn(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.svc.SetNotices(ctx, NoticeSettings{Enabled: true, Family: FamilyFollow}); wxapi.FieldOf(err) != "goods_img_url" {
		t.Fatalf("notices on without a picture: %v", err)
	}
	if err := e.svc.SetNotices(ctx, NoticeSettings{Enabled: true, Family: FamilyFollow, GoodsImgURL: "https://example.com/tea.png"}); err != nil {
		t.Fatal(err)
	}
	r := example(t)
	r.OpenID = "oBuyer123"
	r.TransID = "4200001234202503140000000001"
	o, err := e.svc.Place(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.svc.Notice(ctx, o.OrderID)
	if err != nil || n.WaybillToken == "" || n.Family != FamilyFollow {
		t.Fatalf("notice %+v %v", n, err)
	}
	// The payment id is kept with the order; the token above shows it was
	// sent (the sandbox, like WeChat, registers nothing without one).
	if got, _ := Request(o); got.TransID != r.TransID {
		t.Fatalf("stored request has trans_id %q", got.TransID)
	}
	n, err = e.svc.NoticeStatus(ctx, o.OrderID)
	if err != nil || n.Status < 0 {
		t.Fatalf("notice status %+v %v", n, err)
	}
	// An order without the buyer's openid is placed; the notice records why it is missing.
	o2, err := e.svc.Place(ctx, example(t))
	if err != nil {
		t.Fatal(err)
	}
	n2, err := e.svc.Notice(ctx, o2.OrderID)
	if err != nil || n2.WaybillToken != "" || n2.Error == "" {
		t.Fatalf("notice without buyer %+v %v", n2, err)
	}
	if _, err := e.svc.Follow(ctx, o2.OrderID); !errors.Is(err, ErrNoBuyer) {
		t.Fatalf("follow without buyer: %v", err)
	}
	// A buyer but no WeChat Pay transaction id: placed, not registered, and
	// the notice says trans_id is what is missing.
	r3 := example(t)
	r3.OpenID = "oBuyer123"
	o3, err := e.svc.Place(ctx, r3)
	if err != nil {
		t.Fatal(err)
	}
	n3, err := e.svc.Notice(ctx, o3.OrderID)
	if err != nil || n3.WaybillToken != "" || !strings.Contains(n3.Error, "trans_id") {
		t.Fatalf("notice without trans_id %+v %v", n3, err)
	}
	if _, err := e.svc.Follow(ctx, o3.OrderID); !errors.Is(err, ErrNoTransID) || !strings.Contains(err.Error(), o3.OrderID) {
		t.Fatalf("follow without trans_id: %v", err)
	}
	if _, err := e.svc.NoticeStatus(ctx, o3.OrderID); err == nil || !strings.Contains(err.Error(), "trans_id") {
		t.Fatalf("status of a notice never registered: %v", err)
	}
}

// clock is a settable time for the tracker.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestTrackerPollsDueOrdersAndBacksOff(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// Whole milliseconds: the history keeps the schedule in ms.
	clk := &clock{now: time.Now().Truncate(time.Millisecond)}
	svc := New(e.db, e.svc.api, Options{Now: clk.Now})
	e.svc = svc
	o := testOrder(t, e, "POLL-1")
	tr := svc.NewTracker(TrackerOptions{First: 10 * time.Minute, Max: time.Hour, PerMinute: 600})
	if n := tr.PollDue(ctx); n != 0 {
		t.Fatalf("polled %d orders right after placing", n)
	}
	svc.api.TestUpdateOrder(ctx, &wxapi.TestUpdateOrderRequest{BizID: wxapi.TestBizID, DeliveryID: wxapi.TestDeliveryID,
		OrderID: o.OrderID, WaybillID: o.WaybillID, ActionTime: clk.Now().Unix(), ActionType: 100001, ActionMsg: "已揽收"})
	clk.Add(11 * time.Minute)
	if n := tr.PollDue(ctx); n != 1 {
		t.Fatalf("polled %d, want 1 due order", n)
	}
	got, _ := svc.Get(ctx, o.OrderID)
	if got.TrackStatus != TrackCollected {
		t.Fatalf("track status %q after a poll", got.TrackStatus)
	}
	if n := tr.PollDue(ctx); n != 0 {
		t.Fatal("polled again at once")
	}
	// Quiet: the wait grows 10m -> 20m -> 40m, capped at 1h.
	var waits []time.Duration
	for i := 0; i < 4; i++ {
		next := nextPoll(t, tr, o.OrderID)
		waits = append(waits, next.Sub(clk.Now()))
		clk.Add(next.Sub(clk.Now()) + time.Second)
		if n := tr.PollDue(ctx); n != 1 {
			t.Fatalf("round %d: polled %d", i, n)
		}
	}
	want := []time.Duration{10 * time.Minute, 20 * time.Minute, 40 * time.Minute, time.Hour}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", waits, want)
		}
	}
}

func TestNoticeGoodsUpdatedThroughTheStoredToken(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.svc.SetNotices(ctx, NoticeSettings{Enabled: true, Family: FamilyTrace, GoodsImgURL: "https://example.com/tea.png"})
	r := example(t)
	r.OpenID = "oBuyer123"
	r.TransID = "4200001234202503140000000002"
	o, err := e.svc.Place(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	goods := wxapi.GoodsInfo{DetailList: []wxapi.NoticeGoods{{GoodsName: "西湖龙井 500g", GoodsImgURL: "https://example.com/tea2.png"}}}
	if err := e.svc.UpdateNoticeGoods(ctx, o.WaybillID, goods); err != nil {
		t.Fatal(err)
	}
	n, _ := e.svc.Notice(ctx, o.OrderID)
	q, err := e.svc.api.QueryTrace(ctx, wxapi.NoticeTrace, &wxapi.QueryTraceRequest{WaybillToken: n.WaybillToken})
	if err != nil || len(q.ShopInfo.GoodsInfo.DetailList) != 1 || q.ShopInfo.GoodsInfo.DetailList[0].GoodsName != "西湖龙井 500g" {
		t.Fatalf("WeChat shows %+v (%v)", q.ShopInfo, err)
	}
	other, _ := e.svc.Place(ctx, example(t)) // no buyer: never registered
	if err := e.svc.UpdateNoticeGoods(ctx, other.OrderID, goods); err == nil {
		t.Fatal("goods updated for an order not registered for notices")
	}
}
