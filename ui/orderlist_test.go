package ui

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/xuri/excelize/v2"

	"waybilldesk/orders"
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
		err := h.d.DB.CopyOrder(h.ctx, &store.Order{
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

// TestOrderDetailTimelineJobsNoticeAndActions drives the detail pane: the
// filters, a reprint on the fake network printer, the tracking timeline
// after the sandbox clock moved a day, the buyer notice, a cancel with its
// confirmation, and WeChat's refusal to cancel a collected parcel.
func TestOrderDetailTimelineJobsNoticeAndActions(t *testing.T) {
	h := newHarness(t)
	l := h.m.Orders
	raw := h.labelPrinter("打包台1")
	if err := h.d.Orders.SetNotices(h.ctx, orders.NoticeSettings{Family: orders.FamilyFollow, GoodsImgURL: "https://shop.example.com/t.png"}); err != nil {
		t.Fatal(err)
	}
	req := h.request("张三", "13812345678")
	req.OpenID = "oBUYER000000000000000000001"
	req.TransID = "4200001234202503140000000001"
	kept, err := h.d.Orders.Place(h.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	dropped := h.placeOrder("李四", "13933334444")
	h.m.ShowOrders()
	l.Refresh()
	h.waitFor("both orders listed", func() bool { return len(l.Rows()) == 2 })
	select1 := func(o *orders.Order) {
		t.Helper()
		h.waitFor("order "+o.OrderID+" listed", func() bool { return l.SelectOrder(o.OrderID) })
		h.waitFor("its details", func() bool { return showsText(l.DetailFields, o.OrderID) })
	}

	// Reprint: the first print of this order, on YTO's default printer.
	select1(kept)
	test.Tap(l.Reprint)
	h.waitFor("the print outcome", func() bool { return !l.busy })
	if l.ActionMsg.Importance != widget.SuccessImportance || !strings.Contains(l.ActionMsg.Text, "打包台1") {
		t.Fatalf("reprint: %q", l.ActionMsg.Text)
	}
	raw.Next(t, 10*time.Second)
	h.waitFor("the job listed", func() bool { return showsText(l.Jobs, "已打印") })
	if l.DetailTabs.Selected().Text != "打印任务" {
		t.Errorf("after a print the pane shows %q, want the print jobs", l.DetailTabs.Selected().Text)
	}

	// The printed filter.
	l.Printed.SetSelected("已打印")
	h.waitFor("only the printed order", func() bool { return len(l.Rows()) == 1 && l.Rows()[0].OrderID == kept.OrderID })
	l.Printed.SetSelected("未打印")
	h.waitFor("only the unprinted order", func() bool { return len(l.Rows()) == 1 && l.Rows()[0].OrderID == dropped.OrderID })
	l.Printed.SetSelectedIndex(0)
	l.Dates.SetSelected("今天")
	h.waitFor("today's orders", func() bool { return len(l.Rows()) == 2 })
	var zto string
	for _, o := range l.Courier.Options {
		if strings.HasSuffix(o, " ZTO") {
			zto = o
		}
	}
	l.Courier.SetSelected(zto)
	h.waitFor("no ZTO orders", func() bool { return len(l.Rows()) == 0 })
	l.Courier.SetSelectedIndex(0)
	h.waitFor("all orders again", func() bool { return len(l.Rows()) == 2 })

	// Cancel asks first; confirmed, the order is cancelled.
	select1(dropped)
	test.Tap(l.CancelOrder)
	tapButton(t, h.topDialog(), "是")
	h.waitFor("the cancel outcome", func() bool {
		return !l.busy && l.ActionMsg.Visible() && l.ActionMsg.Importance != widget.MediumImportance
	})
	if l.ActionMsg.Importance != widget.SuccessImportance || !showsText(l.DetailFields, "已取消") {
		t.Fatalf("cancel: %q, details %q", l.ActionMsg.Text, texts(l.DetailFields))
	}
	if o, _ := h.d.Orders.Get(h.ctx, dropped.OrderID); o.Status != orders.StatusCancelled {
		t.Errorf("history says %s", o.Status)
	}
	if !l.Reprint.Disabled() || !l.CancelOrder.Disabled() {
		t.Error("a cancelled order can still be reprinted or cancelled")
	}

	// A day later the parcel has moved: the timeline shows it.
	select1(kept)
	h.sandboxAdmin("/sandbox/clock", `{"advance":"30h"}`)
	l.DetailTabs.SelectIndex(1)
	if !showsText(l.Timeline, "还没有物流轨迹") {
		t.Errorf("timeline before asking: %q", texts(l.Timeline))
	}
	test.Tap(l.Track)
	h.waitFor("the tracking outcome", func() bool { return !l.busy && len(l.Timeline.Objects) >= 2 })
	if l.ActionMsg.Importance != widget.SuccessImportance {
		t.Fatalf("tracking: %q, timeline %q", l.ActionMsg.Text, texts(l.Timeline))
	}
	if !showsText(l.Timeline, "揽收") {
		t.Errorf("timeline %q lacks the pick-up", texts(l.Timeline))
	}
	t.Logf("timeline: %q", texts(l.Timeline))

	// WeChat refuses to cancel a collected parcel: the reason is shown.
	test.Tap(l.CancelOrder)
	tapButton(t, h.topDialog(), "是")
	h.waitFor("the refusal", func() bool { return !l.busy && l.ActionMsg.Importance == widget.DangerImportance })
	if !strings.Contains(l.ActionMsg.Text, "未取消") || !strings.Contains(l.ActionMsg.Text, "errcode") {
		t.Errorf("refused cancel: %q", l.ActionMsg.Text)
	}

	// Buyer notice: registered with WeChat, then asked.
	l.DetailTabs.SelectIndex(3)
	if !showsText(l.Notice, "尚未通知买家") {
		t.Errorf("notice before: %q", l.Notice.Text)
	}
	test.Tap(l.Notify)
	h.waitFor("the notice outcome", func() bool { return !l.busy })
	if l.ActionMsg.Importance != widget.SuccessImportance {
		t.Fatalf("notify: %q", l.ActionMsg.Text)
	}
	test.Tap(l.QueryNotice)
	h.waitFor("the notice status", func() bool {
		return !l.busy && strings.HasPrefix(l.Notice.Text, "已登记") && !strings.Contains(l.Notice.Text, "尚未向微信查询")
	})
	t.Logf("notice: %s", l.Notice.Text)

	// Copy waybill.
	test.Tap(l.CopyWaybill)
	if got := h.app.Clipboard().Content(); got != kept.WaybillID {
		t.Errorf("clipboard %q", got)
	}
}

// TestOrdersExportWhatTheFiltersShowOnEveryPage: 450 failed orders and a
// placed one; the list, filtered to the failed ones, has loaded its first
// page of 200, and Export writes all 450 to CSV, then to XLSX (read back
// with excelize), with progress and the outcome under the list.
func TestOrdersExportWhatTheFiltersShowOnEveryPage(t *testing.T) {
	h := newHarness(t)
	const failed = 450
	base := time.Now().Add(-time.Hour)
	for i := 0; i < failed; i++ {
		req, _ := jsonRequest(fmt.Sprintf("导出人%04d", i))
		err := h.d.DB.CopyOrder(h.ctx, &store.Order{
			OrderID: fmt.Sprintf("EXP%05d", i), DeliveryID: "YTO", BizID: "SANDBOX_YTO", Status: store.StatusFailed,
			ErrorCode: 9300501, ErrorMsg: "test", Request: req,
			ReceiverName: fmt.Sprintf("导出人%04d", i), ReceiverPhone: fmt.Sprintf("1390000%04d", i),
			CreatedAt: base.Add(time.Duration(i) * time.Millisecond),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	placed := h.placeOrder("张三", "13812345678")
	l := h.m.Orders
	h.m.ShowOrders()
	l.Status.SetSelected("失败")
	h.waitFor("the first page of failed orders", func() bool { return len(l.Rows()) == pageSize })
	if !l.more {
		t.Fatal("the list says it has loaded everything")
	}

	export := func(name string) string {
		t.Helper()
		path := filepath.Join(t.TempDir(), name)
		os.WriteFile(path, nil, 0o600) // as the save dialog leaves it
		start := time.Now()
		l.ExportTo(path)
		if !l.Exporting() || l.Export.Disabled() == false || !l.exportRow.Visible() {
			t.Errorf("while exporting: exporting=%v export disabled=%v progress shown=%v", l.Exporting(), l.Export.Disabled(), l.exportRow.Visible())
		}
		h.waitFor("the export of "+name, func() bool { return !l.Exporting() })
		t.Logf("%s: %s in %s", name, l.ExportMsg.Text, time.Since(start).Round(time.Millisecond))
		if l.ExportMsg.Importance != widget.SuccessImportance || !strings.Contains(l.ExportMsg.Text, fmt.Sprintf("已导出 %d 个订单", failed)) ||
			!strings.Contains(l.ExportMsg.Text, path) {
			t.Fatalf("export message %q", l.ExportMsg.Text)
		}
		if l.ExportBar.Value != failed || l.ExportBar.Max != failed || l.exportRow.Visible() || l.Export.Disabled() {
			t.Errorf("after: bar %v/%v, progress shown %v, export disabled %v", l.ExportBar.Value, l.ExportBar.Max, l.exportRow.Visible(), l.Export.Disabled())
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want owner-only (full phone numbers)", name, err, fi.Mode())
		}
		return path
	}
	// check compares the rows read back (header first) with the filter.
	check := func(name string, rows [][]string) {
		t.Helper()
		if len(rows) != failed+1 {
			t.Fatalf("%s has %d rows, want the header and %d orders", name, len(rows), failed)
		}
		col := map[string]int{}
		for i, hd := range rows[0] {
			col[strings.Fields(hd)[1]] = i
		}
		seen := map[string]bool{}
		for _, r := range rows[1:] {
			if r[col["status"]] != orders.StatusFailed || r[col["order_id"]] == placed.OrderID {
				t.Fatalf("%s: row %q is not a failed order", name, r)
			}
			seen[r[col["order_id"]]] = true
		}
		if len(seen) != failed || !seen["EXP00000"] || !seen["EXP00449"] {
			t.Errorf("%s: %d distinct orders, first/last there: %v %v", name, len(seen), seen["EXP00000"], seen["EXP00449"])
		}
		if r := rows[1]; r[col["order_id"]] != "EXP00449" || r[col["receiver_phone"]] != "13900000449" {
			t.Errorf("%s: newest row %q, want EXP00449 with its full phone", name, r)
		}
	}

	csvPath := export("失败订单.csv")
	b, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	check("CSV", recs)

	xlsxPath := export("失败订单.xlsx")
	f, err := excelize.OpenFile(xlsxPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	check("XLSX", rows)
	if len(l.Rows()) != pageSize {
		t.Errorf("exporting loaded %d rows into the list", len(l.Rows()))
	}

	// A name that is neither: nothing is written, and the dialog's empty
	// file does not stay behind.
	bad := filepath.Join(t.TempDir(), "orders.txt")
	os.WriteFile(bad, nil, 0o600)
	l.ExportTo(bad)
	h.settle()
	if !strings.Contains(l.ExportMsg.Text, "未导出") || l.ExportMsg.Importance != widget.DangerImportance {
		t.Errorf("bad name: %q", l.ExportMsg.Text)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("the empty %s was left: %v", bad, err)
	}
}

// TestPolledTrackingMovesTheOpenDetail: the background tracker (here one
// poll, as the tracker makes it) moves an order while it is shown, and the
// detail follows without the operator refreshing anything.
func TestPolledTrackingMovesTheOpenDetail(t *testing.T) {
	h := newHarness(t)
	l := h.m.Orders
	o := h.placeOrder("王五", "13912345678")
	h.m.ShowOrders()
	l.Refresh()
	h.waitFor("the order listed", func() bool { return l.SelectOrder(o.OrderID) })
	h.waitFor("its details", func() bool { return showsText(l.DetailFields, o.OrderID) })
	if err := h.d.Sandbox().Advance(h.ctx, 30*time.Hour); err != nil {
		t.Fatal(err)
	}
	// The poll happens off the UI thread, as the tracker's does.
	go h.d.Orders.Path(h.ctx, o.OrderID)
	h.waitFor("the polled tracking in the detail", func() bool {
		return l.values["Track status"].Visible() && l.values["Track status"].Text != "" && len(l.Timeline.Objects) >= 2
	})
	got, _ := h.d.Orders.Get(h.ctx, o.OrderID)
	if !strings.HasPrefix(l.values["Track status"].Text, stageText(got.TrackStatus)) {
		t.Fatalf("detail %q, history %s", l.values["Track status"].Text, got.TrackStatus)
	}
}
