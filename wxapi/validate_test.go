package wxapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func validOrder(t *testing.T) AddOrderRequest {
	t.Helper()
	var r AddOrderRequest
	if err := json.Unmarshal(fixture(t, "addOrder.request.json"), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestValidateAcceptsTheSpecSample(t *testing.T) {
	r := validOrder(t)
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(r *AddOrderRequest)
		field string
	}{
		{"no order id", func(r *AddOrderRequest) { r.OrderID = "" }, "order_id"},
		{"order id too long", func(r *AddOrderRequest) { r.OrderID = strings.Repeat("x", 513) }, "order_id"},
		{"bad add_source", func(r *AddOrderRequest) { r.AddSource = 1 }, "add_source"},
		{"app source needs wx_appid", func(r *AddOrderRequest) { r.AddSource = 2 }, "wx_appid"},
		{"no courier", func(r *AddOrderRequest) { r.DeliveryID = "" }, "delivery_id"},
		{"no biz id", func(r *AddOrderRequest) { r.BizID = " " }, "biz_id"},
		{"receiver without phones", func(r *AddOrderRequest) { r.Receiver.Mobile, r.Receiver.Tel = "", "" }, "receiver.mobile"},
		{"receiver mobile malformed", func(r *AddOrderRequest) { r.Receiver.Mobile = "1234" }, "receiver.mobile"},
		{"sender tel malformed", func(r *AddOrderRequest) { r.Sender.Tel = "call me" }, "sender.tel"},
		// 22 CJK characters = 66 bytes, over the 64-byte limit.
		{"name over 64 bytes", func(r *AddOrderRequest) { r.Receiver.Name = strings.Repeat("张", 22) }, "receiver.name"},
		{"no province", func(r *AddOrderRequest) { r.Sender.Province = "" }, "sender.province"},
		{"no address", func(r *AddOrderRequest) { r.Receiver.Address = "" }, "receiver.address"},
		{"negative weight", func(r *AddOrderRequest) { r.Cargo.Weight = -1 }, "cargo.weight"},
		{"zero weight", func(r *AddOrderRequest) { r.Cargo.Weight = 0 }, "cargo.weight"},
		{"absurd weight", func(r *AddOrderRequest) { r.Cargo.Weight = 5000 }, "cargo.weight"},
		{"negative side", func(r *AddOrderRequest) { r.Cargo.SpaceY = -3 }, "cargo.space_y"},
		{"no goods lines", func(r *AddOrderRequest) { r.Cargo.DetailList = nil }, "cargo.detail_list"},
		{"goods line without name", func(r *AddOrderRequest) { r.Cargo.DetailList[1].Name = "" }, "cargo.detail_list[1].name"},
		{"goods count 0", func(r *AddOrderRequest) { r.Cargo.DetailList[0].Count = 0 }, "cargo.detail_list[0].count"},
		{"no packages", func(r *AddOrderRequest) { r.Cargo.Count = 0 }, "cargo.count"},
		{"shop without path", func(r *AddOrderRequest) { r.Shop.WxaPath = "" }, "shop.wxa_path"},
		{"shop card needs image without list", func(r *AddOrderRequest) { r.Shop.DetailList, r.Shop.ImgURL = nil, "" }, "shop.img_url"},
		{"shop goods name over 40 chars", func(r *AddOrderRequest) { r.Shop.DetailList[0].GoodsName = strings.Repeat("抱", 41) }, "shop.detail_list[0].goods_name"},
		{"insured without value", func(r *AddOrderRequest) { r.Insured.InsuredValue = 0 }, "insured.insured_value"},
		{"value without insurance", func(r *AddOrderRequest) { r.Insured.UseInsured = 0 }, "insured.insured_value"},
		{"use_insured 2", func(r *AddOrderRequest) { r.Insured.UseInsured = 2 }, "insured.use_insured"},
		{"no service name", func(r *AddOrderRequest) { r.Service.ServiceName = "" }, "service.service_name"},
		{"remark over 1024 bytes", func(r *AddOrderRequest) { r.CustomRemark = strings.Repeat("易", 342) }, "custom_remark"},
		{"negative expect_time", func(r *AddOrderRequest) { r.ExpectTime = -5 }, "expect_time"},
		{"expect_time yesterday", func(r *AddOrderRequest) { r.ExpectTime = time.Now().Add(-24 * time.Hour).Unix() }, "expect_time"},
		{"expect_time in milliseconds", func(r *AddOrderRequest) { r.ExpectTime = time.Now().Add(time.Hour).UnixMilli() }, "expect_time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validOrder(t)
			tt.edit(&r)
			err := r.Validate()
			if err == nil {
				t.Fatal("accepted")
			}
			if got := FieldOf(err); got != tt.field {
				t.Fatalf("field %q (%v), want %q", got, err, tt.field)
			}
		})
	}
}

// TestExpectTime pins the pick-up time rules at a fixed present: 0 means
// the pick-up is arranged, a time up to ExpectTimeGrace old is still sent,
// older ones and millisecond values are refused with a reason that says
// what is wrong.
func TestExpectTime(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 11, 23, 15, 0, 0, 0, cst)
	tests := []struct {
		name   string
		value  int64
		reason string // "" = accepted; otherwise a part of the reason
	}{
		{"arranged already", 0, ""},
		{"in an hour", now.Add(time.Hour).Unix(), ""},
		{"now", now.Unix(), ""},
		{"typed a few minutes ago", now.Add(-ExpectTimeGrace).Unix(), ""},
		{"next year", now.AddDate(1, 0, 0).Unix(), ""},
		{"just past the grace", now.Add(-ExpectTimeGrace - time.Second).Unix(), "is 2026-11-23 14:49, in the past: the courier cannot come then"},
		{"yesterday", now.AddDate(0, 0, -1).Unix(), "is 2026-11-22 15:00, in the past"},
		{"one second after the epoch", 1, "is 1970-01-01 08:00, in the past"},
		{"negative", -1, "is negative"},
		{"milliseconds of the next hour", now.Add(time.Hour).UnixMilli(), fmt.Sprintf("a time in milliseconds: it must be Unix seconds (%d)", now.Add(time.Hour).Unix())},
		{"milliseconds of 1973", time.Date(1973, 3, 4, 0, 0, 0, 0, time.UTC).UnixMilli(), "must be Unix seconds"},
		{"largest seconds", MaxExpectTime, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validOrder(t)
			r.ExpectTime = tt.value
			err := r.ValidateAt(now)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("expect_time %d refused: %v", tt.value, err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != "expect_time" || !strings.Contains(ve.Reason, tt.reason) {
				t.Fatalf("expect_time %d: %v, want expect_time: …%s…", tt.value, err, tt.reason)
			}
		})
	}
}

func TestValidateAcceptsEdgeValues(t *testing.T) {
	tests := []struct {
		name string
		edit func(r *AddOrderRequest)
	}{
		{"mobile only", func(r *AddOrderRequest) { r.Receiver.Tel = "" }},
		{"tel only with extension", func(r *AddOrderRequest) { r.Receiver.Mobile, r.Receiver.Tel = "", "020-88888888-123" }},
		{"mobile with +86", func(r *AddOrderRequest) { r.Receiver.Mobile = "+8613812345678" }},
		{"exactly 64 bytes of name", func(r *AddOrderRequest) { r.Receiver.Name = strings.Repeat("张", 21) + "A" }},
		{"light parcel", func(r *AddOrderRequest) { r.Cargo.Weight = 0.01 }},
		{"unknown dimensions", func(r *AddOrderRequest) { r.Cargo.SpaceX, r.Cargo.SpaceY, r.Cargo.SpaceZ = 0, 0, 0 }},
		{"no insurance", func(r *AddOrderRequest) { r.Insured = Insured{} }},
		{"shop card without list", func(r *AddOrderRequest) { r.Shop.DetailList = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validOrder(t)
			tt.edit(&r)
			if err := r.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestGetOrderValidate(t *testing.T) {
	bad := 3
	for _, r := range []GetOrderRequest{{DeliveryID: "SF"}, {OrderID: "1"}, {OrderID: "1", DeliveryID: "SF", PrintType: &bad}} {
		if err := r.Validate(); err == nil {
			t.Errorf("%+v accepted", r)
		}
	}
}
