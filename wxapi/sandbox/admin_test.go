package sandbox

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

// GET /sandbox/orders is the platform's truth a test compares a client's
// history with.
func TestSandboxOrders(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if got := h.orders(); len(got) != 0 {
		t.Fatalf("a fresh sandbox lists %v", got)
	}
	a := h.place("ADM-1", "ZTO")
	b := h.place("ADM-2", "SF")
	h.place("ADM-3", "TEST")
	if _, err := h.client.CancelOrder(ctx, &wxapi.CancelOrderRequest{OrderID: "ADM-2", DeliveryID: "SF", WaybillID: b.WaybillID}); err != nil {
		t.Fatal(err)
	}
	created := h.sb.Now().Unix()
	list := h.orders()
	want := adminOrder{OrderID: "ADM-1", WaybillID: a.WaybillID, DeliveryID: "ZTO", BizID: "SANDBOX_ZTO", ServiceType: 0,
		Status: "placed", OrderStatus: 0, CustomRemark: "易碎物品，轻拿轻放", CreateTime: created,
		Created: time.Unix(created, 0).In(chinaTime).Format(time.RFC3339)}
	if got := list["ADM-1"]; got != want {
		t.Errorf("ADM-1 listed as\n%+v\nwant\n%+v", got, want)
	}
	if got := list["ADM-2"]; got.Status != "cancelled" || got.OrderStatus != 1 || got.LastActionType != actCancelled {
		t.Errorf("ADM-2: %+v", got)
	}
	h.advance(10 * 24 * time.Hour)
	list = h.orders()
	if s := list["ADM-1"].Status; s != "signed" && s != "returned" {
		t.Errorf("ADM-1 ten days later: %s", s)
	}
	if s := list["ADM-3"].Status; s != "placed" {
		t.Errorf("a TEST order moved by itself: %s", s)
	}
}

func TestClock(t *testing.T) {
	h := newHarness(t)
	var c clockView
	if code := h.admin(http.MethodGet, "/sandbox/clock", nil, &c); code != http.StatusOK || c.Now != h.clock.Now().Unix() || c.Speed != 1 {
		t.Fatalf("GET /sandbox/clock: %d %+v", code, c)
	}
	h.admin(http.MethodPost, "/sandbox/clock", `{"advance":"24h"}`, &c)
	if c.Now != h.clock.Now().Add(24*time.Hour).Unix() {
		t.Errorf("after advancing a day: %+v", c)
	}
	h.admin(http.MethodPost, "/sandbox/clock", `{"speed":1440}`, &c)
	h.clock.Add(time.Minute) // a minute of wall time is a day of sandbox time
	h.admin(http.MethodGet, "/sandbox/clock", nil, &c)
	if c.Now != h.clock.Now().Add(-time.Minute+48*time.Hour).Unix() || c.Speed != 1440 {
		t.Errorf("at speed 1440: %+v", c)
	}
	for _, bad := range []string{`{"advance":"-1h"}`, `{"speed":0}`, `{"speed":1e9}`, `{"advance":"soon"}`, `{"rewind":"1h"}`} {
		if code := h.admin(http.MethodPost, "/sandbox/clock", bad, nil); code != http.StatusBadRequest {
			t.Errorf("POST /sandbox/clock %s: HTTP %d", bad, code)
		}
	}
	// The sandbox time survives a restart (the speed is the Options').
	before := h.sb.Now()
	h.restart()
	if after := h.sb.Now(); after.Before(before.Add(-time.Second)) {
		t.Errorf("restart moved the sandbox clock back from %v to %v", before, after)
	}
}

func TestSpeedOption(t *testing.T) {
	h := newHarnessWith(t, func(o *Options) { o.Speed = 1440 })
	placed := h.place("FAST-1", "YTO")
	h.clock.Add(10 * time.Minute) // ten sandbox days
	if p := h.path("FAST-1", "YTO", placed.WaybillID); !finalAction(p.PathItemList) {
		t.Errorf("at speed 1440 ten minutes did not deliver: %+v", p.PathItemList)
	}
	if _, err := Open(context.Background(), Options{DBPath: t.TempDir() + "/s.db", Speed: 0.5}); err == nil {
		t.Error("speed 0.5 accepted")
	}
}

func TestLabelSizeSettings(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.place("LS-1", "ZTO")
	h.place("LS-2", "SF")
	label := func(orderID, deliveryID string) string {
		t.Helper()
		resp, err := h.client.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: orderID, DeliveryID: deliveryID})
		if err != nil {
			t.Fatal(err)
		}
		html, err := resp.Label()
		if err != nil {
			t.Fatal(err)
		}
		return html
	}
	const small = "@page { size: 76mm 130mm; margin: 0 }"
	if strings.Contains(label("LS-1", "ZTO"), small) {
		t.Fatal("76x130 before any setting")
	}
	set := func(body string) int { return h.admin(http.MethodPost, "/sandbox/label_size", body, nil) }
	if code := set(`{"delivery_id":"ZTO","biz_id":"SANDBOX_ZTO","size":"76x130"}`); code != http.StatusOK {
		t.Fatalf("set: HTTP %d", code)
	}
	if !strings.Contains(label("LS-1", "ZTO"), small) || strings.Contains(label("LS-2", "SF"), small) {
		t.Error("the account setting is not applied to its orders only")
	}
	set(`{"delivery_id":"SF","size":"76*130"}`) // courier-wide, SF_CASH orders included
	if !strings.Contains(label("LS-2", "SF"), small) {
		t.Error("the courier setting is not applied")
	}
	var list struct {
		Default  LabelSize          `json:"default"`
		Settings []labelSizeSetting `json:"settings"`
	}
	h.admin(http.MethodGet, "/sandbox/label_size", nil, &list)
	if list.Default != LabelSize100x180 || len(list.Settings) != 2 {
		t.Errorf("GET /sandbox/label_size: %+v", list)
	}
	set(`{"delivery_id":"ZTO","biz_id":"SANDBOX_ZTO","size":""}`)
	if strings.Contains(label("LS-1", "ZTO"), small) {
		t.Error("removing the setting did not restore 100x180")
	}
	for body, code := range map[string]int{
		`{"delivery_id":"NOPE","size":"76x130"}`: http.StatusNotFound,
		`{"delivery_id":"ZTO","size":"100x150"}`: http.StatusBadRequest,
		`{"size":"76x130"}`:                      http.StatusBadRequest,
	} {
		if got := set(body); got != code {
			t.Errorf("%s: HTTP %d, want %d", body, got, code)
		}
	}
	// Options.LabelSize changes the default.
	h2 := newHarnessWith(t, func(o *Options) { o.LabelSize = LabelSize76x130 })
	h2.place("LS-3", "EMS")
	resp, err := h2.client.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: "LS-3", DeliveryID: "EMS", PrintType: new(int)})
	if err != nil {
		t.Fatal(err)
	}
	if html, _ := resp.Label(); !strings.Contains(html, small) || strings.Contains(html, "收件人联") {
		t.Error("Options.LabelSize 76x130 does not give one-part 76x130 labels")
	}
}
