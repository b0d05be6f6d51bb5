package wxapi

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// ValidationError names the request field that breaks one of WeChat's rules;
// it is returned before anything is sent.
type ValidationError struct {
	Field  string // JSON path, e.g. "receiver.mobile"
	Reason string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

// FieldOf returns the field named by a validation error inside err, or "".
func FieldOf(err error) string {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Field
	}
	return ""
}

// Limits of the numeric fields. WeChat documents none; these bound typing
// mistakes (a weight of 5000 kg on a parcel label is an error, not a parcel).
const (
	MaxWeightKg     = 1000.0
	MaxSideCm       = 500.0
	MaxInsuredFen   = 100_000_000 // ¥1,000,000
	MaxOrderIDBytes = 512
)

var (
	mobileRe = regexp.MustCompile(`^(\+?86[- ]?)?1[3-9]\d{9}$`)
	telRe    = regexp.MustCompile(`^\+?[0-9][0-9 ()\-]{4,30}$`)
)

type checker struct{ err *ValidationError }

func (c *checker) fail(field, format string, args ...any) {
	if c.err == nil {
		c.err = &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
}

func (c *checker) required(field, v string) {
	if strings.TrimSpace(v) == "" {
		c.fail(field, "is required")
	}
}

// maxBytes checks a UTF-8 byte limit (a CJK character is 3 bytes).
func (c *checker) maxBytes(field, v string, max int) {
	if len(v) > max {
		c.fail(field, "is %d bytes, at most %d allowed (a Chinese character counts 3)", len(v), max)
	}
}

func (c *checker) maxRunes(field, v string, max int) {
	if n := utf8.RuneCountInString(v); n > max {
		c.fail(field, "is %d characters, at most %d allowed", n, max)
	}
}

func (c *checker) contact(prefix string, p Contact) {
	c.required(prefix+".name", p.Name)
	c.maxBytes(prefix+".name", p.Name, 64)
	if strings.TrimSpace(p.Tel) == "" && strings.TrimSpace(p.Mobile) == "" {
		c.fail(prefix+".mobile", "a mobile or a tel number is required")
	}
	if p.Mobile != "" && !mobileRe.MatchString(p.Mobile) {
		c.fail(prefix+".mobile", "%q is not a mainland mobile number (11 digits starting with 1)", p.Mobile)
	}
	if p.Tel != "" && !telRe.MatchString(p.Tel) {
		c.fail(prefix+".tel", "%q is not a phone number", p.Tel)
	}
	c.maxBytes(prefix+".tel", p.Tel, 32)
	c.maxBytes(prefix+".mobile", p.Mobile, 32)
	c.maxBytes(prefix+".company", p.Company, 64)
	c.maxBytes(prefix+".post_code", p.PostCode, 10)
	c.maxBytes(prefix+".country", p.Country, 64)
	for _, f := range []struct{ name, v string }{{"province", p.Province}, {"city", p.City}, {"area", p.Area}} {
		c.required(prefix+"."+f.name, f.v)
		c.maxBytes(prefix+"."+f.name, f.v, 64)
	}
	c.required(prefix+".address", p.Address)
	c.maxBytes(prefix+".address", p.Address, 512)
}

func (c *checker) number(field string, v, min, max float64, minInclusive bool) {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		c.fail(field, "is not a number")
	case minInclusive && v < min, !minInclusive && v <= min:
		op := "more than"
		if minInclusive {
			op = "at least"
		}
		c.fail(field, "is %g, must be %s %g", v, op, min)
	case v > max:
		c.fail(field, "is %g, must be at most %g", v, max)
	}
}

// Bounds of expect_time (Unix seconds; 0 = pick-up arranged already).
const (
	// ExpectTimeGrace is how far in the past a pick-up time may lie and
	// still be sent: a time typed as "now" a few minutes before Place, or a
	// station clock a little behind.
	ExpectTimeGrace = 10 * time.Minute
	// MaxExpectTime is the largest value read as seconds. Unix seconds reach
	// 1e11 only in the year 5138, while milliseconds of any date after
	// March 1973 exceed it: a larger value is a time in milliseconds, the
	// spec's "common bug", which WeChat would read as a date millennia away.
	MaxExpectTime = 100_000_000_000
)

// Validate checks the request against WeChat's documented limits and names
// the first field that breaks one. A pick-up time is judged against the
// clock of this machine; ValidateAt takes the time to judge it by.
func (r *AddOrderRequest) Validate() error {
	return r.ValidateAt(time.Now())
}

// ValidateAt is Validate with now as the present, for a pick-up time
// (expect_time) that must not lie in the past.
func (r *AddOrderRequest) ValidateAt(now time.Time) error {
	var c checker
	if r.AddSource != AddSourceMiniProgram && r.AddSource != AddSourceApp {
		c.fail("add_source", "is %d, must be 0 (mini program) or 2 (App/H5)", r.AddSource)
	}
	if r.AddSource == AddSourceApp {
		c.required("wx_appid", r.WxAppID)
	}
	c.required("order_id", r.OrderID)
	c.maxBytes("order_id", r.OrderID, MaxOrderIDBytes)
	c.required("delivery_id", r.DeliveryID)
	c.required("biz_id", r.BizID)
	c.maxBytes("custom_remark", r.CustomRemark, 1024)
	c.contact("sender", r.Sender)
	c.contact("receiver", r.Receiver)

	c.number("cargo.weight", r.Cargo.Weight, 0, MaxWeightKg, false)
	c.number("cargo.space_x", r.Cargo.SpaceX, 0, MaxSideCm, true)
	c.number("cargo.space_y", r.Cargo.SpaceY, 0, MaxSideCm, true)
	c.number("cargo.space_z", r.Cargo.SpaceZ, 0, MaxSideCm, true)
	if r.Cargo.Count < 1 {
		c.fail("cargo.count", "is %d, must be at least 1", r.Cargo.Count)
	}
	if len(r.Cargo.DetailList) == 0 {
		c.fail("cargo.detail_list", "needs at least one goods line")
	}
	for i, d := range r.Cargo.DetailList {
		f := fmt.Sprintf("cargo.detail_list[%d]", i)
		c.required(f+".name", d.Name)
		c.maxBytes(f+".name", d.Name, 128)
		if d.Count < 1 {
			c.fail(f+".count", "is %d, must be at least 1", d.Count)
		}
	}

	c.required("shop.wxa_path", r.Shop.WxaPath)
	if len(r.Shop.DetailList) == 0 {
		c.required("shop.img_url", r.Shop.ImgURL)
		c.required("shop.goods_name", r.Shop.GoodsName)
		if r.Shop.GoodsCount < 1 {
			c.fail("shop.goods_count", "is %d, must be at least 1", r.Shop.GoodsCount)
		}
	}
	c.maxBytes("shop.goods_name", r.Shop.GoodsName, 128)
	for i, g := range r.Shop.DetailList {
		f := fmt.Sprintf("shop.detail_list[%d]", i)
		c.required(f+".goods_name", g.GoodsName)
		c.maxRunes(f+".goods_name", g.GoodsName, 40)
		c.maxRunes(f+".goods_desc", g.GoodsDesc, 40)
	}

	switch r.Insured.UseInsured {
	case 0:
		if r.Insured.InsuredValue != 0 {
			c.fail("insured.insured_value", "must be 0 when use_insured is 0")
		}
	case 1:
		if r.Insured.InsuredValue < 1 || r.Insured.InsuredValue > MaxInsuredFen {
			c.fail("insured.insured_value", "is %d fen, must be 1 to %d fen when insured", r.Insured.InsuredValue, MaxInsuredFen)
		}
	default:
		c.fail("insured.use_insured", "is %d, must be 0 or 1", r.Insured.UseInsured)
	}
	c.required("service.service_name", r.Service.ServiceName)
	c.expectTime(r.ExpectTime, now)
	return c.result()
}

// expectTime checks a pick-up time: 0 (arranged already) or Unix seconds
// not before now, less the grace.
func (c *checker) expectTime(v int64, now time.Time) {
	switch {
	case v < 0:
		c.fail("expect_time", "is negative")
	case v > MaxExpectTime:
		c.fail("expect_time", "is %d, a time in milliseconds: it must be Unix seconds (%d)", v, v/1000)
	case v > 0 && time.Unix(v, 0).Before(now.Add(-ExpectTimeGrace)):
		c.fail("expect_time", "is %s, in the past: the courier cannot come then (0 if the pick-up is arranged already)",
			time.Unix(v, 0).In(now.Location()).Format("2006-01-02 15:04"))
	}
}

// Validate checks the fields getOrder needs.
func (r *GetOrderRequest) Validate() error {
	var c checker
	c.required("order_id", r.OrderID)
	c.required("delivery_id", r.DeliveryID)
	if r.PrintType != nil && *r.PrintType != PrintTypeTwoPart && *r.PrintType != PrintTypeOnePart {
		c.fail("print_type", "is %d, must be 0 or 1", *r.PrintType)
	}
	return c.result()
}

func (c *checker) orderKey(orderID, deliveryID, waybillID string) {
	c.required("order_id", orderID)
	c.required("delivery_id", deliveryID)
	c.required("waybill_id", waybillID)
}

// Validate checks bindAccount's fields.
func (r *BindAccountRequest) Validate() error {
	var c checker
	if r.Type != BindTypeBind && r.Type != BindTypeUnbind {
		c.fail("type", "is %q, must be bind or unbind", r.Type)
	}
	c.required("biz_id", r.BizID)
	c.required("delivery_id", r.DeliveryID)
	return c.result()
}

// Validate checks batchGetOrder's list: 1 to 100 complete keys.
func (r *BatchGetOrderRequest) Validate() error {
	var c checker
	if n := len(r.OrderList); n == 0 || n > MaxBatchGetOrder {
		c.fail("order_list", "has %d orders, must have 1 to %d", n, MaxBatchGetOrder)
	}
	for i, k := range r.OrderList {
		f := fmt.Sprintf("order_list[%d].", i)
		c.required(f+"order_id", k.OrderID)
		c.required(f+"delivery_id", k.DeliveryID)
		c.required(f+"waybill_id", k.WaybillID)
	}
	return c.result()
}

var tagListRe = regexp.MustCompile(`^[0-9]+(,[0-9]+)*$`)

// Validate checks updatePrinter's fields: tagid_list is comma-separated
// numbers without spaces, at most 10.
func (r *UpdatePrinterRequest) Validate() error {
	var c checker
	c.required("openid", r.OpenID)
	if r.UpdateType != PrinterBind && r.UpdateType != PrinterUnbind {
		c.fail("update_type", "is %q, must be bind or unbind", r.UpdateType)
	}
	if r.TagIDList != "" {
		if !tagListRe.MatchString(r.TagIDList) {
			c.fail("tagid_list", "%q must be numbers separated by commas, no spaces", r.TagIDList)
		} else if n := len(strings.Split(r.TagIDList, ",")); n > 10 {
			c.fail("tagid_list", "has %d tag ids, at most 10 allowed", n)
		}
	}
	return c.result()
}

// Validate checks testUpdateOrder's fields: only the TEST courier moves.
func (r *TestUpdateOrderRequest) Validate() error {
	var c checker
	if r.BizID != TestBizID {
		c.fail("biz_id", "is %q, must be %s", r.BizID, TestBizID)
	}
	if r.DeliveryID != TestDeliveryID {
		c.fail("delivery_id", "is %q, must be %s", r.DeliveryID, TestDeliveryID)
	}
	c.required("order_id", r.OrderID)
	c.required("waybill_id", r.WaybillID)
	if r.ActionTime <= 0 {
		c.fail("action_time", "is required (Unix seconds)")
	}
	if r.ActionType <= 0 {
		c.fail("action_type", "is required")
	}
	c.required("action_msg", r.ActionMsg)
	return c.result()
}

func (c *checker) result() error {
	if c.err != nil {
		return c.err
	}
	return nil
}
