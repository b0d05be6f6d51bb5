package sandbox

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

// knownActions are the action types a simulated path may use.
var knownActions = map[int]bool{
	actCollected: true, actPickupFailed: true, actTransit: true, actOutForDelivery: true,
	actSigned: true, actDeliveryFailed: true, actHeld: true, actReturned: true,
}

// advanceUntil moves the sandbox clock in half hours until done holds for
// the order's path, and fails after ten days.
func (h *harness) advanceUntil(orderID, deliveryID, waybillID string, done func([]wxapi.PathItem) bool) *wxapi.GetPathResponse {
	h.t.Helper()
	for range 480 {
		p := h.path(orderID, deliveryID, waybillID)
		if done(p.PathItemList) {
			return p
		}
		h.advance(30 * time.Minute)
	}
	h.t.Fatalf("order %s: condition not reached in ten days", orderID)
	return nil
}

func lastAction(items []wxapi.PathItem) int {
	if len(items) == 0 {
		return 0
	}
	return items[len(items)-1].ActionType
}

func finalAction(items []wxapi.PathItem) bool {
	t := lastAction(items)
	return t == actSigned || t == actReturned
}

// A parcel moves with the sandbox clock, one realistic event at a time,
// until it is signed or returned, and getPath reports it sorted.
func TestPathMovesWithClock(t *testing.T) {
	h := newHarness(t)
	placed := h.place("PATH-1", "YTO")
	if p := h.path("PATH-1", "YTO", placed.WaybillID); p.PathItemNum != 0 || len(p.PathItemList) != 0 {
		t.Fatalf("a fresh order has a path: %+v", p)
	}
	seen := 0
	p := h.advanceUntil("PATH-1", "YTO", placed.WaybillID, func(items []wxapi.PathItem) bool {
		if len(items) < seen {
			t.Fatalf("the path shrank from %d to %d events", seen, len(items))
		}
		seen = len(items)
		return finalAction(items)
	})
	if p.PathItemNum != len(p.PathItemList) || p.WaybillID != placed.WaybillID || p.DeliveryID != "YTO" ||
		p.OpenID != "oSandboxBuyer0001" {
		t.Errorf("answer %+v", p)
	}
	checkPath(t, p.PathItemList)
	if first := p.PathItemList[0]; first.ActionTime < h.clock.Now().Unix() {
		t.Errorf("the first event (%d) is before the order (%d)", first.ActionTime, h.clock.Now().Unix())
	}
	msgs := ""
	for _, it := range p.PathItemList {
		msgs += it.ActionMsg + "\n"
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`【深圳南山区公司】已揽收，揽收员：.师傅，联系电话 1\d\d\*\*\*\*\d{4}`),
		regexp.MustCompile(`【深圳转运中心】已发出，下一站【广州转运中心】`),
		regexp.MustCompile(`快件已到达【广州转运中心】`),
		regexp.MustCompile(`【广州天河区公司】派件员：.师傅，联系电话 1\d\d\*\*\*\*\d{4}`),
	} {
		if !want.MatchString(msgs) {
			t.Errorf("path lacks %s:\n%s", want, msgs)
		}
	}
}

// checkPath: known action types, strictly increasing times, a pick-up
// first and a signature or a return last.
func checkPath(t *testing.T, items []wxapi.PathItem) {
	t.Helper()
	if len(items) < 5 {
		t.Fatalf("path of %d events: %+v", len(items), items)
	}
	for i, it := range items {
		if !knownActions[it.ActionType] {
			t.Errorf("event %d: action_type %d", i, it.ActionType)
		}
		if i > 0 && it.ActionTime <= items[i-1].ActionTime {
			t.Errorf("event %d at %d is not after event %d at %d", i, it.ActionTime, i-1, items[i-1].ActionTime)
		}
		if strings.TrimSpace(it.ActionMsg) == "" {
			t.Errorf("event %d has no action_msg", i)
		}
	}
	if f := items[0].ActionType; f != actCollected && f != actPickupFailed {
		t.Errorf("first event %d, want a pick-up", f)
	}
	if !finalAction(items) {
		t.Errorf("last event %d, want 300003 or 400003", lastAction(items))
	}
}

// The same order_id travels the same way, whatever the seed or the
// sandbox; another order_id differently.
func TestPathIsDeterministicPerOrder(t *testing.T) {
	run := func(seed int64, orderID string) []wxapi.PathItem {
		h := newHarnessWith(t, func(o *Options) { o.Seed = seed })
		placed := h.place(orderID, "SF")
		h.advance(10 * 24 * time.Hour)
		items := h.path(orderID, "SF", placed.WaybillID).PathItemList
		// Times are relative to the order, so two sandboxes compare.
		for i := range items {
			items[i].ActionTime -= h.clock.Now().Unix()
		}
		return items
	}
	a, b := run(1, "SAME-ORDER"), run(99, "SAME-ORDER")
	if !reflect.DeepEqual(a, b) {
		t.Errorf("the same order_id took two paths:\n%+v\n%+v", a, b)
	}
	if c := run(1, "OTHER-ORDER"); reflect.DeepEqual(a, c) {
		t.Errorf("two order_ids took the same path")
	}
}

// Over many orders the simulation shows every mishap now and then, always
// at plausible hours, and stays well-formed.
func TestSimulationMix(t *testing.T) {
	created := time.Date(2025, 3, 14, 21, 40, 0, 0, chinaTime)
	c := courier{Model: modelFranchise}
	c.DeliveryID, c.DeliveryName = "ZTO", "中通快递"
	counts := map[string]int{}
	const n = 600
	for i := range n {
		req := sampleOrder(fmt.Sprintf("MIX-%04d", i), "ZTO", "SANDBOX_ZTO", 0, "标准快件")
		if i%2 == 0 {
			req.Receiver.Province, req.Receiver.City, req.Receiver.Area = "北京市", "北京市", "海淀区"
		}
		o := &order{Request: *req, Routing: routeOrder(req), CreatedAt: created}
		events := simulate(o, c)
		items := pathItems(events)
		checkPath(t, items)
		if t.Failed() {
			t.Fatalf("order %s: %+v", req.OrderID, items)
		}
		for _, e := range events {
			if e.Type == actOutForDelivery || e.Type == actCollected {
				if hr := e.Time.In(chinaTime).Hour(); hr < 8 || hr >= 20 {
					t.Errorf("%s: %d at %s, outside working hours", req.OrderID, e.Type, e.Time.In(chinaTime))
				}
			}
			switch {
			case e.Type == actPickupFailed:
				counts["pickup failed"]++
			case e.Type == actHeld:
				counts["held"]++
			case e.Type == actDeliveryFailed:
				counts["delivery failed"]++
			case e.Type == actReturned:
				counts["returned"]++
			case e.Type == actSigned && e.proxy:
				counts["proxy signed"]++
			case e.Type == actSigned:
				counts["signed"]++
			}
		}
		if via := strings.Contains(fmt.Sprint(items), "【北京中转部】"); i%2 == 0 && !via {
			t.Errorf("%s to Beijing never reaches the Beijing hub", req.OrderID)
		}
		if days := events[len(events)-1].Time.Sub(created).Hours() / 24; days > 6 {
			t.Errorf("%s took %.1f days", req.OrderID, days)
		}
	}
	t.Logf("%d orders: %v", n, counts)
	for _, k := range []string{"pickup failed", "held", "delivery failed", "returned", "proxy signed", "signed"} {
		if counts[k] == 0 {
			t.Errorf("no order was %s", k)
		}
	}
	if counts["signed"]+counts["proxy signed"] < n*8/10 {
		t.Errorf("only %d of %d orders signed", counts["signed"]+counts["proxy signed"], n)
	}
}

func TestCancelOrder(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	cancel := func(orderID, deliveryID, waybillID string) error {
		_, err := h.client.CancelOrder(ctx, &wxapi.CancelOrderRequest{OrderID: orderID, DeliveryID: deliveryID, WaybillID: waybillID})
		return err
	}

	t.Run("before pick-up", func(t *testing.T) {
		quota := h.quota("ZTO", "SANDBOX_ZTO")
		placed := h.place("CXL-1", "ZTO")
		if err := cancel("CXL-1", "ZTO", placed.WaybillID); err != nil {
			t.Fatalf("cancel: %v", err)
		}
		got, err := h.client.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: "CXL-1", DeliveryID: "ZTO"})
		if err != nil || got.OrderStatus != wxapi.OrderStatusCancelled {
			t.Fatalf("getOrder after cancel: %v %+v", err, got)
		}
		if q := h.quota("ZTO", "SANDBOX_ZTO"); q != quota {
			t.Errorf("quota %d after a cancelled order, want %d back", q, quota)
		}
		// It stops moving: ten days later the path is the cancellation.
		h.advance(10 * 24 * time.Hour)
		p := h.path("CXL-1", "ZTO", placed.WaybillID)
		if p.PathItemNum != 1 || p.PathItemList[0].ActionType != actCancelled {
			t.Errorf("cancelled order's path: %+v", p.PathItemList)
		}
		if st := h.orders()["CXL-1"]; st.Status != "cancelled" || st.OrderStatus != 1 {
			t.Errorf("/sandbox/orders: %+v", st)
		}
		err = cancel("CXL-1", "ZTO", placed.WaybillID)
		if wxapi.Code(err) != codeCancelFailed {
			t.Errorf("second cancel: %v, want 9300524", err)
		}
	})

	t.Run("after pick-up", func(t *testing.T) {
		placed := h.place("CXL-2", "YUNDA")
		h.advanceUntil("CXL-2", "YUNDA", placed.WaybillID, func(items []wxapi.PathItem) bool {
			return lastAction(items) == actCollected || lastAction(items) == actTransit
		})
		err := cancel("CXL-2", "YUNDA", placed.WaybillID)
		var we *wxapi.Error
		if !asError(err, &we) || we.Code != codeHasTracking || we.DeliveryResultCode != courierCollected ||
			we.DeliveryResultMsg != "已揽件不能取消" {
			t.Fatalf("cancel after pick-up: %v, want 9300506 with courier 30002 已揽件不能取消", err)
		}
		if got, _ := h.client.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: "CXL-2", DeliveryID: "YUNDA"}); got.OrderStatus != 0 {
			t.Errorf("a refused cancel changed order_status to %d", got.OrderStatus)
		}
	})

	t.Run("signed", func(t *testing.T) {
		placed := h.place("CXL-3", "SF")
		h.advance(10 * 24 * time.Hour)
		err := cancel("CXL-3", "SF", placed.WaybillID)
		var we *wxapi.Error
		if !asError(err, &we) || we.Code != codeHasTracking || we.DeliveryResultCode != courierOrderClosed {
			t.Fatalf("cancel of a signed order: %v, want 9300506 with courier 30003", err)
		}
	})

	tok := h.token()
	placed := h.place("CXL-4", "STO")
	for _, tc := range []struct {
		name string
		body any
		code int
	}{
		{"unknown order", wxapi.CancelOrderRequest{OrderID: "NOPE", DeliveryID: "STO", WaybillID: placed.WaybillID}, 930563},
		{"other courier's order", wxapi.CancelOrderRequest{OrderID: "CXL-4", DeliveryID: "ZTO", WaybillID: placed.WaybillID}, 930563},
		{"wrong waybill", wxapi.CancelOrderRequest{OrderID: "CXL-4", DeliveryID: "STO", WaybillID: "77000000000000"}, 40199},
		{"unknown courier", wxapi.CancelOrderRequest{OrderID: "CXL-4", DeliveryID: "NOPE", WaybillID: placed.WaybillID}, 9300503},
		{"missing waybill_id", `{"order_id":"CXL-4","delivery_id":"STO"}`, 930561},
		{"numeric order_id", `{"order_id":4,"delivery_id":"STO","waybill_id":"x"}`, 930561},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, h.do("POST", wxapi.PathCancelOrder+"?access_token="+tok, tc.body), tc.code)
		})
	}
}

func TestTestUpdateOrder(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	placed := h.place("TU-1", "TEST")
	// WeChat's TEST courier never moves by itself.
	h.advance(10 * 24 * time.Hour)
	if p := h.path("TU-1", "TEST", placed.WaybillID); p.PathItemNum != 0 {
		t.Fatalf("a TEST order moved by itself: %+v", p.PathItemList)
	}
	base := h.sb.Now().Unix()
	steps := []struct {
		dt  int64
		typ int
		msg string
	}{
		{3600, actTransit, "【广州转运中心】已发出，下一站【广州天河营业部】"}, // sent out of order on purpose
		{0, actCollected, "揽件成功"},
		{7200, actOutForDelivery, "派件员：王师傅，联系电话 139****5678"},
		{9000, actSigned, "已签收，签收人：本人"},
	}
	for _, s := range steps {
		if err := h.client.TestUpdateOrder(ctx, &wxapi.TestUpdateOrderRequest{BizID: "test_biz_id", OrderID: "TU-1",
			DeliveryID: "TEST", WaybillID: placed.WaybillID, ActionTime: base + s.dt, ActionType: s.typ, ActionMsg: s.msg}); err != nil {
			t.Fatalf("testUpdateOrder %d: %v", s.typ, err)
		}
	}
	p := h.path("TU-1", "TEST", placed.WaybillID)
	var types []int
	for _, it := range p.PathItemList {
		types = append(types, it.ActionType)
	}
	if fmt.Sprint(types) != fmt.Sprint([]int{actCollected, actTransit, actOutForDelivery, actSigned}) {
		t.Errorf("path %v, want sorted by action_time", types)
	}
	if st := h.orders()["TU-1"]; st.Status != "signed" || st.PathItemNum != 4 {
		t.Errorf("/sandbox/orders: %+v", st)
	}

	other := h.place("TU-2", "ZTO")
	tok := h.token()
	for _, tc := range []struct {
		name string
		body any
		code int
	}{
		{"real courier", wxapi.TestUpdateOrderRequest{BizID: "test_biz_id", OrderID: "TU-2", DeliveryID: "ZTO",
			WaybillID: other.WaybillID, ActionTime: base, ActionType: actCollected, ActionMsg: "x"}, 9300520},
		{"wrong biz_id", wxapi.TestUpdateOrderRequest{BizID: "SANDBOX_ZTO", OrderID: "TU-1", DeliveryID: "TEST",
			WaybillID: placed.WaybillID, ActionTime: base, ActionType: actCollected, ActionMsg: "x"}, 9300526},
		{"unknown order", wxapi.TestUpdateOrderRequest{BizID: "test_biz_id", OrderID: "NOPE", DeliveryID: "TEST",
			WaybillID: placed.WaybillID, ActionTime: base, ActionType: actCollected, ActionMsg: "x"}, 9300528},
		{"no action_msg", wxapi.TestUpdateOrderRequest{BizID: "test_biz_id", OrderID: "TU-1", DeliveryID: "TEST",
			WaybillID: placed.WaybillID, ActionTime: base, ActionType: actCollected}, 9300526},
		{"no action_type", wxapi.TestUpdateOrderRequest{BizID: "test_biz_id", OrderID: "TU-1", DeliveryID: "TEST",
			WaybillID: placed.WaybillID, ActionTime: base, ActionMsg: "x"}, 9300526},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, h.do("POST", wxapi.PathTestUpdate+"?access_token="+tok, tc.body), tc.code)
		})
	}
}

func TestGetPathErrors(t *testing.T) {
	h := newHarness(t)
	placed := h.place("GP-1", "EMS")
	tok := h.token()
	for _, tc := range []struct {
		name string
		body any
		code int
	}{
		{"unknown waybill", wxapi.GetPathRequest{OrderID: "GP-1", DeliveryID: "EMS", WaybillID: "9800000000000"}, 9300528},
		{"other courier", wxapi.GetPathRequest{OrderID: "GP-1", DeliveryID: "SF", WaybillID: placed.WaybillID}, 9300528},
		{"other order", wxapi.GetPathRequest{OrderID: "GP-2", DeliveryID: "EMS", WaybillID: placed.WaybillID}, 9300528},
		{"missing waybill_id", `{"order_id":"GP-1","delivery_id":"EMS"}`, 9300526},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, h.do("POST", wxapi.PathGetPath+"?access_token="+tok, tc.body), tc.code)
		})
	}
	// order_id may be left out (newest doc): the waybill finds the order.
	if r := h.do("POST", wxapi.PathGetPath+"?access_token="+tok, wxapi.GetPathRequest{DeliveryID: "EMS", WaybillID: placed.WaybillID}); r.ErrCode != 0 {
		t.Errorf("getPath without order_id: %s", r.raw)
	}
}

func TestBatchGetOrder(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	a, b := h.place("BG-1", "SF"), h.place("BG-2", "ZTO")
	resp, err := h.client.BatchGetOrder(ctx, &wxapi.BatchGetOrderRequest{OrderList: []wxapi.OrderKey{
		{OrderID: "BG-1", DeliveryID: "SF", WaybillID: a.WaybillID},
		{OrderID: "BG-X", DeliveryID: "SF", WaybillID: "SF000"},
		{OrderID: "BG-2", DeliveryID: "ZTO", WaybillID: b.WaybillID},
		{OrderID: "BG-2", DeliveryID: "ZTO", WaybillID: a.WaybillID},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		code    int
		waybill string
	}{{0, a.WaybillID}, {9300528, "SF000"}, {0, b.WaybillID}, {9300528, a.WaybillID}}
	if len(resp.OrderList) != len(want) {
		t.Fatalf("%d answers, want %d", len(resp.OrderList), len(want))
	}
	for i, w := range want {
		got := resp.OrderList[i]
		if got.ErrCode != w.code || got.WaybillID != w.waybill {
			t.Errorf("item %d: errcode %d waybill %s, want %d %s", i, got.ErrCode, got.WaybillID, w.code, w.waybill)
		}
		if w.code != 0 {
			if wxapi.Code(got.Err()) != w.code {
				t.Errorf("item %d: Err() = %v", i, got.Err())
			}
			continue
		}
		html, err := wxapi.DecodePrintHTML(got.PrintHTML)
		if err != nil || !strings.Contains(html, "收件人联") {
			t.Errorf("item %d: label %v (batchGetOrder gives the two-part label)", i, err)
		}
	}
	tok := h.token()
	many := wxapi.BatchGetOrderRequest{}
	for i := range wxapi.MaxBatchGetOrder + 1 {
		many.OrderList = append(many.OrderList, wxapi.OrderKey{OrderID: fmt.Sprint(i), DeliveryID: "SF", WaybillID: "x"})
	}
	wantErr(t, h.do("POST", wxapi.PathBatchGetOrder+"?access_token="+tok, many), 9300526)
	wantErr(t, h.do("POST", wxapi.PathBatchGetOrder+"?access_token="+tok, `{"order_list":[]}`), 9300526)
}

// asError is errors.As for *wxapi.Error.
func asError(err error, target **wxapi.Error) bool { return errors.As(err, target) }
