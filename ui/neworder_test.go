package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"waybilldesk/orders"
	"waybilldesk/printing"
	"waybilldesk/printing/queue"
)

func serviceNames(c orders.Courier) []string {
	var out []string
	for i := range c.Services {
		out = append(out, serviceLabel(c.Services, i))
	}
	return out
}

func TestCourierChoiceFillsServicesAndAccounts(t *testing.T) {
	h := newHarness(t)
	n := h.m.NewOrder
	sf, yto := h.courier("SF"), h.courier("YTO")

	for _, o := range n.Courier.Options {
		if o == "" {
			t.Errorf("empty courier option in %q", n.Courier.Options)
		}
	}
	if n.Courier.Selected != "" {
		t.Fatalf("a courier is preselected on a fresh install: %q", n.Courier.Selected)
	}

	h.chooseCourier("SF")
	if got, want := n.Service.Options, serviceNames(sf); !reflect.DeepEqual(got, want) {
		t.Errorf("SF services: got %q, want %q", got, want)
	}
	if n.Service.Selected == "" || n.Account.Selected == "" {
		t.Errorf("service %q / account %q not preselected", n.Service.Selected, n.Account.Selected)
	}
	if !strings.Contains(n.Account.Selected, "SF_CASH") || !strings.Contains(n.Account.Selected, "现付") {
		t.Errorf("SF account = %q, want its cash id SF_CASH labelled 现付", n.Account.Selected)
	}

	h.chooseCourier("YTO")
	if got, want := n.Service.Options, serviceNames(yto); !reflect.DeepEqual(got, want) {
		t.Errorf("YTO services: got %q, want %q", got, want)
	}
	for _, s := range serviceNames(sf) {
		for _, o := range n.Service.Options {
			if o == s {
				t.Errorf("SF service %q still offered after switching to YTO", s)
			}
		}
	}
	acc := yto.Accounts[0]
	if !acc.HasQuota {
		t.Fatalf("sandbox YTO account %+v has no quota", acc)
	}
	wantQuota := fmt.Sprintf("电子面单余额 %d", acc.Quota)
	if n.Quota.Text != wantQuota {
		t.Errorf("quota line = %q, want %q", n.Quota.Text, wantQuota)
	}
	if !strings.Contains(n.Account.Selected, acc.BizID) || !strings.Contains(n.Account.Selected, fmt.Sprintf("余额 %d", acc.Quota)) {
		t.Errorf("account = %q, want %s with 余额 %d", n.Account.Selected, acc.BizID, acc.Quota)
	}
	if !showsText(h.m.Content, wantQuota) {
		t.Errorf("quota %q not visible in the window", wantQuota)
	}

	// A refresh of the list keeps what the operator chose.
	h.chooseCourier("SF")
	n.Service.SetSelectedIndex(2)
	chosen := n.Service.Selected
	test.Tap(n.RefreshCouriers)
	h.waitFor("the refreshed list", func() bool { return !n.RefreshCouriers.Disabled() })
	if !strings.HasSuffix(n.Courier.Selected, " SF") || n.Service.Selected != chosen {
		t.Errorf("after refresh: courier %q service %q, want SF / %q", n.Courier.Selected, n.Service.Selected, chosen)
	}
}

func TestPlaceOrderShowsWaybillLabelAndHistory(t *testing.T) {
	h := newHarness(t)
	n := h.m.NewOrder
	quota := h.courier("YTO").Accounts[0].Quota

	h.fillOrder(order{courier: "YTO", receiver: "张三", receiverMobile: "13812345678", weight: "1.25", goods: "纯棉T恤"})
	test.Tap(n.Place)
	if n.Place.Disabled() == false || !n.Progress.Visible() {
		t.Errorf("while placing: Place disabled=%v, progress visible=%v; want disabled and visible", n.Place.Disabled(), n.Progress.Visible())
	}
	h.waitFor("the order outcome", func() bool {
		return !n.busy && n.Message.Visible() && n.Message.Importance != widget.MediumImportance
	})
	if n.Message.Importance != widget.SuccessImportance {
		t.Fatalf("outcome %q (importance %v), want success", n.Message.Text, n.Message.Importance)
	}
	if n.LastOrder == nil || n.LastOrder.WaybillID == "" {
		t.Fatalf("no waybill after success: %+v", n.LastOrder)
	}
	wb := n.LastOrder.WaybillID
	if !strings.Contains(n.Message.Text, "已下单 运单号 "+wb) {
		t.Errorf("message %q does not show waybill %s", n.Message.Text, wb)
	}
	if !n.CopyWaybill.Visible() || n.Place.Disabled() {
		t.Errorf("after success: copy visible=%v, place disabled=%v", n.CopyWaybill.Visible(), n.Place.Disabled())
	}
	test.Tap(n.CopyWaybill)
	if got := h.app.Clipboard().Content(); got != wb {
		t.Errorf("clipboard = %q, want %q", got, wb)
	}

	// The waybill is in the history, as placed, with what was typed.
	hist := h.history()
	if len(hist) != 1 || hist[0].WaybillID != wb || hist[0].Status != orders.StatusPlaced {
		t.Fatalf("history = %+v, want one placed order with waybill %s", hist, wb)
	}
	req, err := orders.Request(&hist[0])
	if err != nil {
		t.Fatal(err)
	}
	if req.Cargo.Weight != 1.25 || req.Receiver.Mobile != "13812345678" || req.Cargo.DetailList[0].Count != 2 || req.DeliveryID != "YTO" {
		t.Errorf("stored request = %+v", req)
	}

	// The label preview is rendered by Chromium at ~110 dpi.
	h.waitFor("the label preview", func() bool {
		return n.Preview.Image.Image != nil || n.Preview.Status.Importance == widget.DangerImportance
	})
	if n.Preview.Image.Image == nil {
		t.Fatalf("no preview: %s", n.Preview.Status.Text)
	}
	if w := n.Preview.Image.Image.Bounds().Dx(); w <= 300 {
		t.Errorf("preview is %d px wide, want > 300", w)
	}
	if n.Preview.SavePDF.Disabled() {
		t.Error("Save PDF disabled with a label shown")
	}

	// Save PDF: the function behind the dialog, into a temp file.
	path := filepath.Join(t.TempDir(), pdfFileName(n.LastOrder))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Preview.WritePDF(h.ctx, f); err != nil {
		t.Fatalf("save PDF: %v", err)
	}
	f.Close()
	pdf, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(pdf), "%PDF") {
		t.Errorf("%s starts with %q, want %%PDF", path, pdf[:min(8, len(pdf))])
	}
	if filepath.Base(path) != wb+".pdf" {
		t.Errorf("default file name %q, want %s.pdf", filepath.Base(path), wb)
	}

	// The Orders tab lists it without being asked.
	h.m.Tabs.SelectIndex(1)
	h.waitFor("the order in the Orders list", func() bool { return showsText(h.m.Orders.List, wb) })
	if !showsText(h.m.Orders.List, "张三 138****5678") {
		t.Errorf("row texts %q lack the receiver with a masked phone", texts(h.m.Orders.List))
	}

	// A franchise account used one label: the quota shown drops by one.
	h.m.Tabs.SelectIndex(0)
	test.Tap(n.RefreshCouriers)
	want := fmt.Sprintf("电子面单余额 %d", quota-1)
	h.waitFor("the new quota "+want, func() bool { return n.Quota.Text == want })

	// The sender is remembered for the next run; the courier too.
	h2 := h.app.Preferences().String(prefSender)
	if !strings.Contains(h2, "王店长") || h.app.Preferences().String(prefCourier) != "YTO" {
		t.Errorf("remembered sender %q courier %q", h2, h.app.Preferences().String(prefCourier))
	}
	m2 := newMain(h.app, test.NewTempWindow(t, nil), Services{Orders: h.d.Orders, Renderer: h.d.Renderer, Sandbox: true}, h.loop.post)
	t.Cleanup(m2.Close)
	h.waitFor("the second window's couriers", func() bool { return m2.NewOrder.Courier.Selected != "" })
	if m2.NewOrder.Sender.Name.Text != "王店长" || !strings.HasSuffix(m2.NewOrder.Courier.Selected, " YTO") {
		t.Errorf("new window: sender %q courier %q, want the last ones", m2.NewOrder.Sender.Name.Text, m2.NewOrder.Courier.Selected)
	}
	if m2.NewOrder.Receiver.Name.Text != "" {
		t.Errorf("receiver %q prefilled; only the sender is remembered", m2.NewOrder.Receiver.Name.Text)
	}

	// Clear keeps the sender and courier, empties the rest.
	n.ClearForm()
	if n.Receiver.Name.Text != "" || n.Weight.Text != "" || n.Goods[0].Name.Text != "" || n.Sender.Name.Text != "王店长" || n.courier == nil {
		t.Errorf("after Clear: receiver %q weight %q goods %q sender %q courier %v",
			n.Receiver.Name.Text, n.Weight.Text, n.Goods[0].Name.Text, n.Sender.Name.Text, n.courier)
	}
}

func TestBadInputIsShownAtTheFieldAndNothingIsPlaced(t *testing.T) {
	good := order{courier: "YTO", receiver: "张三", receiverMobile: "13812345678", weight: "1", goods: "袜子"}
	cases := []struct {
		name  string
		edit  func(o *order)
		after func(h *harness)
		field string
		want  []string // the field's message contains all of these
	}{
		{name: "receiver mobile missing", edit: func(o *order) { o.receiverMobile = "" },
			field: "receiver.mobile", want: []string{"手机", "mobile"}},
		{name: "receiver mobile malformed", edit: func(o *order) { o.receiverMobile = "1381234" },
			field: "receiver.mobile", want: []string{"手机号", "mobile"}},
		{name: "weight negative", edit: func(o *order) { o.weight = "-1" },
			field: "cargo.weight", want: []string{"不能为负数"}},
		{name: "weight not a number", edit: func(o *order) { o.weight = "abc" },
			field: "cargo.weight", want: []string{"不是数字"}},
		{name: "weight zero", edit: func(o *order) { o.weight = "0" },
			field: "cargo.weight", want: []string{"数值太小", "must be more than 0"}},
		{name: "no courier chosen", edit: func(o *order) { o.courier = "" },
			field: "delivery_id", want: []string{"快递公司"}},
		{name: "goods name missing", edit: func(o *order) { o.goods = "" },
			after: func(h *harness) { typeInto(h.m.NewOrder.Goods[0].Count, "3") },
			field: "cargo.detail_list[0].name", want: []string{"必填", "is required"}},
		{name: "insured value with 3 decimals",
			after: func(h *harness) {
				h.m.NewOrder.Insured.SetChecked(true)
				typeInto(h.m.NewOrder.InsuredValue, "12.345")
			},
			field: "insured.insured_value", want: []string{"两位小数"}},
		{name: "pick-up time unreadable",
			after: func(h *harness) {
				h.m.NewOrder.PickupNow.SetChecked(false)
				typeInto(h.m.NewOrder.PickupTime, "明天下午")
			},
			field: "expect_time", want: []string{"2026-11-23 15:00"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			n := h.m.NewOrder
			o := good
			if tc.edit != nil {
				tc.edit(&o)
			}
			h.fillOrder(o)
			if tc.after != nil {
				tc.after(h)
			}
			h.place()
			got := n.FieldError(tc.field)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s error = %q, want it to mention %q", tc.field, got, w)
				}
			}
			if n.Message.Importance != widget.DangerImportance || !strings.Contains(n.Message.Text, "未下单") {
				t.Errorf("summary = %q (importance %v), want a red 未下单 line", n.Message.Text, n.Message.Importance)
			}
			h.settle()
			if hist := h.history(); len(hist) != 0 {
				t.Errorf("history has %d orders after refused input, want none: %+v", len(hist), hist)
			}
			if n.LastOrder != nil {
				t.Errorf("LastOrder = %+v after refused input", n.LastOrder)
			}
			// Editing the field clears its error: the operator is fixing it.
			if _, e, _ := n.target(tc.field); e != nil {
				test.Type(e, "1")
				if e.ErrorText() != "" {
					t.Errorf("error %q still shown after editing the field", e.ErrorText())
				}
			}
		})
	}
}

func TestCourierRefusalShowsErrcodeAndCourierMessage(t *testing.T) {
	h := newHarness(t)
	n := h.m.NewOrder
	// SF refuses an insured value under ¥1 (courier code 20008): WeChat's
	// rules allow it, so only the courier can say no.
	h.fillOrder(order{courier: "SF", receiver: "赵六", receiverMobile: "13700001111", weight: "2", goods: "茶叶"})
	n.Insured.SetChecked(true)
	typeInto(n.InsuredValue, "0.5")
	h.place()
	msg := n.Message.Text
	if n.Message.Importance != widget.DangerImportance {
		t.Fatalf("outcome %q, want a red failure", msg)
	}
	for _, w := range []string{"errcode 9300501", "快递公司系统返回错误", "can not less then 100 cents", "请检查快递账号"} {
		if !strings.Contains(msg, w) {
			t.Errorf("failure message %q lacks %q", msg, w)
		}
	}
	// The refusal is history (failed, no waybill), shown in Orders.
	hist := h.history()
	if len(hist) != 1 || hist[0].Status != orders.StatusFailed || hist[0].WaybillID != "" {
		t.Fatalf("history = %+v, want one failed order", hist)
	}
	if !strings.Contains(msg, hist[0].OrderID) {
		t.Errorf("failure message %q lacks the order no. %s", msg, hist[0].OrderID)
	}
}

func TestFieldsCheckThemselvesOnLeaving(t *testing.T) {
	h := newHarness(t)
	n := h.m.NewOrder
	c := h.w.Canvas()

	c.Focus(n.Receiver.Mobile)
	test.Type(n.Receiver.Mobile, "12345")
	c.Unfocus()
	if got := n.Receiver.Mobile.ErrorText(); !strings.Contains(got, "手机号") {
		t.Errorf("mobile 12345 on leaving: error %q, want a mobile format error", got)
	}
	if !showsText(h.m.Content, "不是大陆手机号") {
		t.Error("the mobile error is not visible under the field")
	}
	typeInto(n.Receiver.Mobile, "13812345678")
	c.Focus(n.Receiver.Mobile)
	c.Unfocus()
	if got := n.Receiver.Mobile.ErrorText(); got != "" {
		t.Errorf("good mobile: error %q", got)
	}

	c.Focus(n.Weight)
	test.Type(n.Weight, "5000")
	c.Unfocus()
	if got := n.Weight.ErrorText(); !strings.Contains(got, "数值太大") {
		t.Errorf("weight 5000 on leaving: error %q, want too large", got)
	}
	// An empty field is not flagged on leaving: it may be filled later.
	c.Focus(n.Receiver.Name)
	c.Unfocus()
	if got := n.Receiver.Name.ErrorText(); got != "" {
		t.Errorf("empty name flagged on leaving: %q", got)
	}
	if hist := h.history(); len(hist) != 0 {
		t.Errorf("leaving fields wrote %d orders", len(hist))
	}
}

// sandboxAdmin posts to one of the sandbox's own admin paths (fault
// injection, quotas): the real sandbox, told to misbehave.
func (h *harness) sandboxAdmin(path, body string) {
	h.t.Helper()
	resp, err := http.Post(h.d.Config.APIBase+path, "application/json", strings.NewReader(body))
	if err != nil {
		h.t.Fatalf("sandbox admin %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		h.t.Fatalf("sandbox admin %s: %s %s", path, resp.Status, b)
	}
}

// sandboxOrders counts the orders the sandbox platform holds.
func (h *harness) sandboxOrders() int {
	h.t.Helper()
	resp, err := http.Get(h.d.Config.APIBase + "/sandbox/orders")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Orders []json.RawMessage `json:"orders"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		h.t.Fatalf("/sandbox/orders: %v", err)
	}
	return len(list.Orders)
}

// TestLostAnswerIsNeverShownAsFailureOrDuplicated: WeChat stores the order
// but the answer never arrives. The screen says the outcome is unknown (a
// warning, not a failure) and keeps the order number in the form; tapping
// Place again checks with WeChat instead of sending a second order, and
// shows the waybill WeChat has. One order in the history, one at WeChat.
func TestLostAnswerIsNeverShownAsFailureOrDuplicated(t *testing.T) {
	h := newHarness(t)
	n := h.m.NewOrder
	h.sandboxAdmin("/sandbox/faults", `{"drop-after-commit-rate":1}`)
	h.fillOrder(order{courier: "YTO", receiver: "孙七", receiverMobile: "13600002222", weight: "1", goods: "杯子"})
	h.place()
	h.sandboxAdmin("/sandbox/faults", `{"drop-after-commit-rate":0}`)
	hist := h.history()
	if len(hist) != 1 || hist[0].Status != orders.StatusSubmitting {
		t.Fatalf("history after one lost answer: %+v", hist)
	}
	o := hist[0]
	if n.Message.Importance != widget.WarningImportance || !strings.HasPrefix(n.Message.Text, "结果未知") {
		t.Errorf("unknown outcome shown as %q (importance %v), want a warning, not a failure", n.Message.Text, n.Message.Importance)
	}
	for _, w := range []string{"绝不会重复下单", o.OrderID} {
		if !strings.Contains(n.Message.Text, w) {
			t.Errorf("unknown outcome message %q lacks %q", n.Message.Text, w)
		}
	}
	if n.OrderID.Text != o.OrderID {
		t.Errorf("the form's order number is %q, want the one WeChat was asked about (%s)", n.OrderID.Text, o.OrderID)
	}

	// The operator taps Place again.
	h.place()
	hist = h.history()
	if len(hist) != 1 || hist[0].Status != orders.StatusPlaced || hist[0].WaybillID == "" {
		t.Fatalf("history after the second tap: %+v", hist)
	}
	if got := h.sandboxOrders(); got != 1 {
		t.Errorf("WeChat holds %d orders after two taps, want 1", got)
	}
	if n.Message.Importance != widget.SuccessImportance || !strings.Contains(n.Message.Text, "已提交过：已向微信核实，没有重复下单") ||
		!strings.Contains(n.Message.Text, hist[0].WaybillID) {
		t.Errorf("second tap shows %q (importance %v)", n.Message.Text, n.Message.Importance)
	}
	if n.OrderID.Text != "" {
		t.Errorf("the settled order number %q stays in the form for the next parcel", n.OrderID.Text)
	}
}

// TestCheckWithWeChatSettlesAnUnknownOrder: the order detail's 向微信核实
// asks WeChat about an order whose answer was lost and shows the waybill.
func TestCheckWithWeChatSettlesAnUnknownOrder(t *testing.T) {
	h := newHarness(t)
	h.sandboxAdmin("/sandbox/faults", `{"drop-after-commit-rate":1}`)
	h.fillOrder(order{courier: "YTO", receiver: "周八", receiverMobile: "13600003333", weight: "1", goods: "杯子"})
	h.place()
	h.sandboxAdmin("/sandbox/faults", `{"drop-after-commit-rate":0}`)
	l := h.m.Orders
	h.m.Tabs.SelectIndex(1)
	h.waitFor("the submitting order listed", func() bool { return rowsShowing(h, "周八") == 1 })
	l.List.Select(0)
	h.waitFor("the detail", func() bool { return l.order != nil && l.CheckWeChat != nil && !l.CheckWeChat.Disabled() })
	if l.order.Status != orders.StatusSubmitting || !showsText(l.List, "提交中") {
		t.Fatalf("listed as %s: %q", l.order.Status, texts(l.List))
	}
	test.Tap(l.CheckWeChat)
	h.waitFor("the check's answer", func() bool { return strings.Contains(l.ActionMsg.Text, "微信已有此订单") })
	o := h.history()[0]
	if o.Status != orders.StatusPlaced || !strings.Contains(l.ActionMsg.Text, o.WaybillID) || l.ActionMsg.Importance != widget.SuccessImportance {
		t.Fatalf("after the check: %s %s, message %q", o.Status, o.WaybillID, l.ActionMsg.Text)
	}
	h.waitFor("the row shows placed", func() bool { return showsText(l.List, "已下单") })
}

// TestEmptyQuotaIsExplained: a franchise account with no labels left is
// refused, before sending (orders.Prepare knows the quota: the error is
// shown at the account) or by the courier (errcode 9300501); either way
// the message says why.
func TestEmptyQuotaIsExplained(t *testing.T) {
	h := newHarness(t)
	n := h.m.NewOrder
	h.sandboxAdmin("/sandbox/quota", `{"delivery_id":"YTO","biz_id":"SANDBOX_YTO","quota_num":0}`)
	test.Tap(n.RefreshCouriers)
	h.fillOrder(order{courier: "YTO", receiver: "周八", receiverMobile: "13600003333", weight: "1", goods: "杯子"})
	h.waitFor("quota 0 shown", func() bool { return n.Quota.Text == "电子面单余额 0" })
	h.place()
	if n.Message.Importance != widget.DangerImportance {
		t.Fatalf("outcome %q, want a red refusal", n.Message.Text)
	}
	if got := n.FieldError("biz_id"); got != "" {
		if !strings.Contains(got, "余额") || !strings.Contains(n.Message.Text, "账号") {
			t.Errorf("account error %q / summary %q do not explain the empty quota", got, n.Message.Text)
		}
		if hist := h.history(); len(hist) != 0 {
			t.Errorf("refused before sending but %d orders stored", len(hist))
		}
		return
	}
	for _, w := range []string{"errcode 9300501", "电子面单余额不足"} {
		if !strings.Contains(n.Message.Text, w) {
			t.Errorf("message %q lacks %q", n.Message.Text, w)
		}
	}
}

// TestPlaceAndPrintInOneStepWithSavedSendersAndDrafts: with Print label on,
// placing prints the label on the courier's default printer; the senders
// used are offered again; a draft saved here is placed and printed when
// its number is scanned at the scan station.
func TestPlaceAndPrintInOneStepWithSavedSendersAndDrafts(t *testing.T) {
	h := newHarness(t)
	n := h.m.NewOrder
	raw := h.labelPrinter("打包台1")
	n.PrintLabel.SetChecked(true)
	h.fillOrder(order{courier: "YTO", receiver: "张三", receiverMobile: "13812345678", weight: "1", goods: "书"})
	h.place()
	if n.Message.Importance != widget.SuccessImportance {
		t.Fatalf("not placed: %s", n.Message.Text)
	}
	h.waitFor("the print outcome", func() bool { return n.PrintStatus.Importance != widget.MediumImportance })
	if n.PrintStatus.Importance != widget.SuccessImportance || !strings.Contains(n.PrintStatus.Text, "打包台1") {
		t.Fatalf("print: %q", n.PrintStatus.Text)
	}
	if job := raw.Next(t, 10*time.Second); !strings.HasPrefix(string(job), "SIZE 100 mm,180 mm") {
		t.Errorf("printer got %q", job[:min(20, len(job))])
	}
	if !h.app.Preferences().Bool(prefPrint) {
		t.Error("Print label is not remembered")
	}

	// A second warehouse as sender; both are offered afterwards.
	n.ClearForm()
	h.fillOrder(order{receiver: "李四", receiverMobile: "13933334444", weight: "2", goods: "鞋"})
	typeInto(n.Sender.Name, "李仓管")
	typeInto(n.Sender.City, "嘉兴市")
	n.PrintLabel.SetChecked(false)
	h.place()
	if len(n.Senders.Options) != 2 || !strings.HasPrefix(n.Senders.Options[0], "李仓管") {
		t.Fatalf("saved senders %q", n.Senders.Options)
	}
	n.Senders.SetSelectedIndex(1)
	if n.Sender.Name.Text != "王店长" || n.Sender.City.Text != "杭州市" {
		t.Errorf("choosing the first sender filled %q %q", n.Sender.Name.Text, n.Sender.City.Text)
	}

	// A draft under the shop's order number, placed by a scan.
	n.ClearForm()
	h.fillOrder(order{receiver: "王五", receiverMobile: "13700005555", weight: "1", goods: "茶叶"})
	typeInto(n.OrderID, "TB88880001")
	test.Tap(n.SaveDraft)
	h.waitFor("the draft saved", func() bool { return !n.busy && n.Message.Visible() })
	if n.Message.Importance != widget.SuccessImportance || !strings.Contains(n.Message.Text, "TB88880001") {
		t.Fatalf("draft: %q", n.Message.Text)
	}
	if len(h.history()) != 2 {
		t.Errorf("saving a draft placed an order")
	}
	h.m.ShowScan()
	h.scanCode("TB88880001")
	if h.m.Scan.Outcome() != "green" {
		t.Fatalf("scan of the draft: %q %q", h.m.Scan.Headline.Text, h.m.Scan.Reason.Text)
	}
	raw.Next(t, 10*time.Second)
}

// aspect is an image's width over its height.
func aspect(img image.Image) float64 {
	b := img.Bounds()
	return float64(b.Dx()) / float64(b.Dy())
}

// pdfPageMM reads the first MediaBox of a PDF, in mm.
func pdfPageMM(t *testing.T, pdf []byte) (w, h float64) {
	t.Helper()
	m := regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no MediaBox in the PDF")
	}
	pw, _ := strconv.ParseFloat(string(m[1]), 64)
	ph, _ := strconv.ParseFloat(string(m[2]), 64)
	return pw / 72 * 25.4, ph / 72 * 25.4
}

// TestLabelPreviewIsTheSizeOfTheLabelsStock: a courier account that prints
// 76x130 labels (the sandbox's per-account label size) previews at 76:130
// in New order and in Orders, and its PDF is 76x130 mm; once a 100x150
// printer is the courier's default, the labels preview at its size.
func TestLabelPreviewIsTheSizeOfTheLabelsStock(t *testing.T) {
	h := newHarness(t)
	n, l := h.m.NewOrder, h.m.Orders
	h.sandboxAdmin("/sandbox/label_size", `{"delivery_id":"YTO","biz_id":"SANDBOX_YTO","size":"76x130"}`)
	near := func(got, want float64) bool { return got > want*0.985 && got < want*1.015 }

	h.fillOrder(order{courier: "YTO", receiver: "张三", receiverMobile: "13812345678", weight: "1", goods: "书"})
	h.place()
	if n.Message.Importance != widget.SuccessImportance {
		t.Fatalf("not placed: %s", n.Message.Text)
	}
	h.waitFor("the label preview", func() bool {
		return n.Preview.Image.Image != nil || n.Preview.Status.Importance == widget.DangerImportance
	})
	if n.Preview.Image.Image == nil {
		t.Fatalf("no preview: %s", n.Preview.Status.Text)
	}
	img := n.Preview.Image.Image
	if got := aspect(img); !near(got, 76.0/130) || n.Preview.Size() != printing.Size76x130 {
		t.Errorf("New order preview %dx%d (%.3f), size %v; want 76:130 (%.3f)", img.Bounds().Dx(), img.Bounds().Dy(), got, n.Preview.Size(), 76.0/130)
	}
	var pdf bytes.Buffer
	if err := n.Preview.WritePDF(h.ctx, &pdf); err != nil {
		t.Fatal(err)
	}
	if w, hh := pdfPageMM(t, pdf.Bytes()); math.Abs(w-76) > 1 || math.Abs(hh-130) > 1 {
		t.Errorf("saved PDF is %.1f x %.1f mm, want 76 x 130", w, hh)
	}

	h.m.ShowOrders()
	h.waitFor("the order listed", func() bool { return l.SelectOrder(n.LastOrder.OrderID) })
	h.waitFor("the detail preview", func() bool { return l.Preview.Image.Image != nil })
	if got := aspect(l.Preview.Image.Image); !near(got, 76.0/130) {
		t.Errorf("Orders preview aspect %.3f, want 76:130", got)
	}

	// A 100x150 printer becomes YTO's default: labels go there, at its size.
	if _, err := h.d.Printing.AddPrinter(h.ctx, queue.Printer{Name: "打包台1", Kind: queue.KindRaw, Address: "127.0.0.1:9100",
		Language: queue.LangTSPL, DPI: 203, Size: printing.Size100x150, Couriers: []string{"YTO"}}); err != nil {
		t.Fatal(err)
	}
	o := h.placeOrder("李四", "13933334444")
	l.Refresh()
	h.waitFor("the second order listed", func() bool { return l.SelectOrder(o.OrderID) })
	h.waitFor("its preview", func() bool { return l.Preview.Image.Image != nil })
	if got := aspect(l.Preview.Image.Image); !near(got, 100.0/150) || l.Preview.Size() != printing.Size100x150 {
		t.Errorf("with a 100x150 default printer the preview is %.3f (%v), want 100:150", got, l.Preview.Size())
	}
}
