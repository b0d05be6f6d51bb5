package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"waybilldesk/store"
)

// rowsShowing counts the visible list cells that contain s.
func rowsShowing(h *harness, s string) int {
	n := 0
	for _, t := range texts(h.m.Orders.List) {
		if strings.Contains(t, s) {
			n++
		}
	}
	return n
}

func TestOrdersSearchByNameAndPhoneDigits(t *testing.T) {
	h := newHarness(t)
	for _, o := range []order{
		{courier: "YTO", receiver: "张三", receiverMobile: "13811117788", weight: "1", goods: "书"},
		{courier: "ZTO", receiver: "李四", receiverMobile: "13933334444", weight: "2.5", goods: "鞋"},
	} {
		h.m.NewOrder.ClearForm()
		h.fillOrder(o)
		h.place()
		if h.m.NewOrder.LastOrder == nil || h.m.NewOrder.LastOrder.ReceiverName != o.receiver {
			t.Fatalf("placing for %s: %s", o.receiver, h.m.NewOrder.Message.Text)
		}
	}
	l := h.m.Orders
	h.m.Tabs.SelectIndex(1)
	h.waitFor("both orders listed", func() bool { return rowsShowing(h, "张三") == 1 && rowsShowing(h, "李四") == 1 })
	if !showsText(l.List, "中通快递") || !showsText(l.List, "已下单") {
		t.Errorf("rows %q lack the courier name or the Chinese status", texts(l.List))
	}

	test.Type(l.Search, "李四")
	h.waitFor("only 李四 listed", func() bool { return rowsShowing(h, "李四") == 1 && rowsShowing(h, "张三") == 0 })
	if len(l.Rows()) != 1 {
		t.Errorf("%d rows loaded for 李四", len(l.Rows()))
	}

	// The status filter: nothing failed yet.
	l.Search.SetText("")
	l.Status.SetSelected("失败")
	h.waitFor("the failed filter", func() bool { return len(l.Rows()) == 0 && rowsShowing(h, "张三") == 0 })
	l.Status.SetSelected("已下单")
	h.waitFor("the placed filter", func() bool { return len(l.Rows()) == 2 })

	// Choosing a row shows its details and its label.
	var zhang int
	for i, o := range l.Rows() {
		if o.ReceiverName == "张三" {
			zhang = i
		}
	}
	l.List.Select(zhang)
	o := l.Rows()[zhang]
	h.waitFor("the detail label preview", func() bool { return l.Preview.Image.Image != nil })
	if !showsText(l.DetailFields, o.WaybillID) || !showsText(l.DetailFields, "书 ×2") {
		t.Errorf("details %q lack the waybill %s or the goods", texts(l.DetailFields), o.WaybillID)
	}
	if w := l.Preview.Image.Image.Bounds().Dx(); w <= 300 {
		t.Errorf("detail preview %d px wide", w)
	}
	var pdf bytes.Buffer
	if err := l.Preview.WritePDF(h.ctx, &pdf); err != nil || !bytes.HasPrefix(pdf.Bytes(), []byte("%PDF")) {
		t.Errorf("save PDF from the detail pane: err %v, starts %q", err, pdf.Bytes()[:min(8, pdf.Len())])
	}
	test.Tap(l.Preview.CopyWaybill)
	if got := h.app.Clipboard().Content(); got != o.WaybillID {
		t.Errorf("clipboard %q, want %s", got, o.WaybillID)
	}

	// The last four digits of a phone find its order. "7788" cannot occur
	// in an order id's timestamp (no field is 77 or 78); a random waybill
	// id could hold it (~0.1%), and then the step proves nothing.
	for _, o := range h.history() {
		if o.ReceiverName == "李四" && strings.Contains(o.OrderID+o.WaybillID, "7788") {
			t.Skipf("李四's ids %s/%s happen to contain 7788", o.OrderID, o.WaybillID)
		}
	}
	l.Status.SetSelectedIndex(0)
	test.Type(l.Search, "7788")
	h.waitFor("only 张三 (…7788) listed", func() bool { return rowsShowing(h, "张三 138****7788") == 1 && rowsShowing(h, "李四") == 0 })
}

// TestOrdersListPagesThroughThousands loads a history of 2,500 orders: the
// first page shows at once, the rest arrive page by page as the list
// scrolls, and rows are reused rather than rebuilt.
func TestOrdersListPagesThroughThousands(t *testing.T) {
	h := newHarness(t)
	const total = 2500
	base := time.Now().Add(-time.Hour)
	for i := 0; i < total; i++ {
		req, _ := jsonRequest(fmt.Sprintf("收件人%04d", i))
		err := h.d.DB.CreateOrder(h.ctx, &store.Order{
			OrderID: fmt.Sprintf("BULK%05d", i), DeliveryID: "YTO", BizID: "SANDBOX_YTO", Status: store.StatusFailed,
			ErrorCode: 9300501, ErrorMsg: "test", Request: req,
			ReceiverName: fmt.Sprintf("收件人%04d", i), ReceiverPhone: fmt.Sprintf("1380000%04d", i),
			CreatedAt: base.Add(time.Duration(i) * time.Millisecond),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	l := h.m.Orders
	h.m.Tabs.SelectIndex(1)
	start := time.Now()
	l.Refresh()
	h.waitFor("the first page", func() bool { return len(l.Rows()) == pageSize })
	t.Logf("first page of %d rows in %s", pageSize, time.Since(start).Round(time.Millisecond))
	if !showsText(l.Info, "向下滚动加载更多") {
		t.Errorf("info %q does not say there is more", texts(l.Info))
	}
	start = time.Now()
	for len(l.Rows()) < total {
		before := len(l.Rows())
		l.List.ScrollToBottom()
		h.waitFor(fmt.Sprintf("more than %d rows", before), func() bool { return len(l.Rows()) > before })
	}
	t.Logf("scrolled through %d rows in %s", total, time.Since(start).Round(time.Millisecond))
	l.List.ScrollToBottom()
	h.settle()
	if len(l.Rows()) != total || l.more {
		t.Errorf("loaded %d rows (more=%v), want %d", len(l.Rows()), l.more, total)
	}
	seen := map[string]bool{}
	for _, o := range l.Rows() {
		if seen[o.OrderID] {
			t.Fatalf("%s listed twice", o.OrderID)
		}
		seen[o.OrderID] = true
	}
	if !showsText(l.List, "收件人0000") {
		t.Errorf("the oldest order is not visible at the bottom: %q", texts(l.List))
	}
}

func jsonRequest(receiver string) ([]byte, error) {
	r := probeRequest()
	r.Receiver.Name = receiver
	return json.Marshal(r)
}
