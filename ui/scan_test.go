package ui

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"waybilldesk/orders"
	"waybilldesk/printing"
	"waybilldesk/printing/output/cupstest"
	"waybilldesk/printing/queue"
	"waybilldesk/wxapi"
)

// request is a valid YTO order for receiver, as the form would send it.
func (h *harness) request(receiver, mobile string) wxapi.AddOrderRequest {
	h.t.Helper()
	r := probeRequest()
	c := h.courier("YTO")
	r.OrderID, r.DeliveryID, r.BizID = "", c.DeliveryID, c.Accounts[0].BizID
	r.Service = wxapi.Service{ServiceType: c.Services[0].ServiceType, ServiceName: c.Services[0].ServiceName}
	r.Shop = wxapi.Shop{}
	r.Receiver = wxapi.Contact{Name: receiver, Mobile: mobile, Province: "广东省", City: "深圳市", Area: "南山区", Address: "科技园南区 8 栋 1201"}
	r.Sender = wxapi.Contact{Name: "王店长", Mobile: "13912345678", Province: "浙江省", City: "杭州市", Area: "余杭区", Address: "文一西路 969 号"}
	r.Cargo.DetailList = []wxapi.CargoDetail{{Name: "纯棉T恤", Count: 2}}
	return r
}

// placeOrder places an order through the service (the New order screen
// has its own tests) and returns it.
func (h *harness) placeOrder(receiver, mobile string) *orders.Order {
	h.t.Helper()
	o, err := h.d.Orders.Place(h.ctx, h.request(receiver, mobile))
	if err != nil {
		h.t.Fatalf("place for %s: %v", receiver, err)
	}
	return o
}

// labelPrinter adds a TSPL label printer record on a fake network printer
// listening on loopback, the default printer of YTO.
func (h *harness) labelPrinter(name string) *cupstest.RawPrinter {
	h.t.Helper()
	raw := cupstest.NewRawPrinter(h.t)
	_, err := h.d.Printing.AddPrinter(h.ctx, queue.Printer{Name: name, Kind: queue.KindRaw, Address: raw.Addr,
		Language: queue.LangTSPL, DPI: 203, Size: printing.Size100x180, Couriers: []string{"YTO"}})
	if err != nil {
		h.t.Fatal(err)
	}
	return raw
}

// scanCode types a code into the scan field and presses Enter, as a
// barcode scanner does, then waits for the result.
func (h *harness) scanCode(code string) {
	h.t.Helper()
	s := h.m.Scan
	test.Type(s.Entry, code)
	pressEnter(s.Entry)
	h.waitFor("the scan result of "+code, func() bool { return !s.Busy() })
}

func TestScanStationPrintsPlacesDraftsAndSaysWhy(t *testing.T) {
	h := newHarness(t)
	s := h.m.Scan
	raw := h.labelPrinter("打包台1")
	o := h.placeOrder("张三", "13812345678")
	okBefore, failBefore := beeps.counts()

	h.m.ShowScan()
	h.waitFor("the station printers", func() bool { return len(s.Printer.Options) == 2 })
	if h.w.Canvas().Focused() != s.Entry {
		t.Fatalf("the scan field has no focus on opening the tab (focused: %v)", h.w.Canvas().Focused())
	}
	if !showsText(h.m.Content, "准备扫描") {
		t.Errorf("the idle panel is not shown: %q", texts(s.Content))
	}
	if s.PrinterState.Visible() {
		t.Errorf("a printer status is shown for the couriers' default printers: %q", s.PrinterState.Text)
	}

	// A waybill id prints the label at once, on the courier's default printer.
	start := time.Now()
	h.scanCode(o.WaybillID)
	t.Logf("scan to printed label: %s", time.Since(start).Round(time.Millisecond))
	if s.Outcome() != "green" || !strings.Contains(s.Headline.Text, "已打印 "+o.WaybillID) {
		t.Fatalf("result %s %q / %q, want green 已打印 %s", s.Outcome(), s.Headline.Text, s.Reason.Text, o.WaybillID)
	}
	job := raw.Next(t, 10*time.Second)
	if !bytes.HasPrefix(job, []byte("SIZE 100 mm,180 mm")) || !bytes.Contains(job, []byte("BITMAP")) {
		t.Errorf("the printer got %d bytes starting %q, want a TSPL label", len(job), job[:min(40, len(job))])
	}
	if !strings.Contains(s.Reason.Text, "张三") || !strings.Contains(s.Reason.Text, "打包台1") {
		t.Errorf("reason %q lacks the receiver or the printer", s.Reason.Text)
	}
	if s.Entry.Text != "" || h.w.Canvas().Focused() != s.Entry {
		t.Errorf("after a scan: field %q, focused %v; want empty and focused", s.Entry.Text, h.w.Canvas().Focused())
	}
	if !showsText(s.Count, "已打印 1") {
		t.Errorf("count %q", s.Count.Text)
	}
	if ok, _ := beeps.counts(); ok != okBefore+1 {
		t.Errorf("%d success beeps, want %d", ok, okBefore+1)
	}

	// The order number works too, and a second print says so.
	h.scanCode(o.OrderID)
	raw.Next(t, 10*time.Second)
	if s.Outcome() != "green" || !strings.Contains(s.Reason.Text, "之前已打印 1 次") {
		t.Errorf("second scan: %s %q", s.Outcome(), s.Reason.Text)
	}

	// An unknown code is red, with the reason, and a failure beep.
	h.scanCode("NOSUCH0001")
	if s.Outcome() != "red" || s.Headline.Text != "未找到" || !strings.Contains(s.Reason.Text, "NOSUCH0001") {
		t.Errorf("unknown code: %s %q %q", s.Outcome(), s.Headline.Text, s.Reason.Text)
	}
	if _, fail := beeps.counts(); fail != failBefore+1 {
		t.Errorf("%d failure beeps, want %d", fail, failBefore+1)
	}

	// A draft saved under the shop's trade number is placed, then printed.
	req := h.request("李四", "13933334444")
	req.OrderID = "TB2026112200017"
	if _, err := h.d.Orders.SaveDraft(h.ctx, req); err != nil {
		t.Fatal(err)
	}
	h.scanCode("TB2026112200017")
	raw.Next(t, 10*time.Second)
	placed, err := h.d.Orders.Get(h.ctx, "TB2026112200017")
	if err != nil || placed.Status != orders.StatusPlaced {
		t.Fatalf("the draft was not placed: %+v, %v", placed, err)
	}
	if s.Outcome() != "green" || !strings.Contains(s.Reason.Text, "草稿已下单") || !strings.Contains(s.Headline.Text, placed.WaybillID) {
		t.Errorf("draft scan: %s %q %q", s.Outcome(), s.Headline.Text, s.Reason.Text)
	}

	// A printer that refuses: red, with the printer's reason.
	if _, err := h.d.Printing.AddPrinter(h.ctx, queue.Printer{Name: "坏打印机", Kind: queue.KindRaw, Address: "127.0.0.1:1", Language: queue.LangTSPL}); err != nil {
		t.Fatal(err)
	}
	s.loadPrinters()
	h.waitFor("the new printer offered", func() bool { return len(s.Printer.Options) == 3 })
	s.Printer.SetSelectedIndex(2)
	if s.printer() != "打包台1" {
		t.Fatalf("chose %q", s.printer())
	}
	// Choosing a station printer shows how it is, before any scan.
	h.waitFor("the printer's status", func() bool { return strings.Contains(s.PrinterState.Text, "可打印") })
	if s.PrinterState.Importance != widget.SuccessImportance {
		t.Errorf("a ready printer is shown as %v: %q", s.PrinterState.Importance, s.PrinterState.Text)
	}
	s.Printer.SetSelectedIndex(1) // options are by name: 坏打印机 sorts before 打包台1
	if s.printer() != "坏打印机" {
		t.Fatalf("chose %q", s.printer())
	}
	h.waitFor("the refusing printer's status", func() bool { return strings.Contains(s.PrinterState.Text, "打印机无响应") })
	if s.PrinterState.Importance != widget.DangerImportance {
		t.Errorf("a refusing printer is shown as %v: %q", s.PrinterState.Importance, s.PrinterState.Text)
	}
	h.scanCode(o.WaybillID)
	if s.Outcome() != "red" || s.Headline.Text != "未打印" || !strings.Contains(s.Reason.Text, "坏打印机") {
		t.Errorf("refusing printer: %s %q %q", s.Outcome(), s.Headline.Text, s.Reason.Text)
	}
	if h.app.Preferences().String(prefScanPrinter) != "坏打印机" {
		t.Errorf("the station printer is not remembered")
	}
	if !showsText(s.Count, "已打印 3") || !showsText(s.Count, "问题 2") {
		t.Errorf("count %q, want 3 printed and 2 problems", s.Count.Text)
	}
	if len(s.RecentText()) != 5 || !strings.Contains(s.RecentText()[0], o.WaybillID) {
		t.Errorf("recent scans %q", s.RecentText())
	}

	// Esc clears a half-typed code; the keyboard alone drives the screen.
	test.Type(s.Entry, "YT12")
	s.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if s.Entry.Text != "" {
		t.Errorf("Esc left %q", s.Entry.Text)
	}
	test.Tap(s.ResetCount)
	if !showsText(s.Count, "已打印 0") || h.w.Canvas().Focused() != s.Entry {
		t.Errorf("after reset: %q, focus %v", s.Count.Text, h.w.Canvas().Focused())
	}
}

func TestBeepIsAPlayableWAV(t *testing.T) {
	for _, tones := range [][]tone{okTones, failTones} {
		b := beepWAV(tones)
		if !bytes.HasPrefix(b, []byte("RIFF")) || string(b[8:16]) != "WAVEfmt " || len(b) < 44+1000 {
			t.Errorf("not a WAV: %q… (%d bytes)", b[:16], len(b))
		}
	}
}

// TestScanOfAnOrderWhoseAnswerWasLost: the order's answer was lost, so it
// is submitting; scanning its number asks WeChat, which has the waybill,
// and the label prints. An order WeChat does not have yet is not turned
// away as "no label" but shown as waiting for WeChat.
func TestScanOfAnOrderWhoseAnswerWasLost(t *testing.T) {
	h := newHarness(t)
	s := h.m.Scan
	raw := h.labelPrinter("打包台1")
	req := h.request("王五", "13700005555")
	req.OrderID = "SCAN-LOST-1"
	h.d.Orders.Prepare(h.ctx, req) // couriers and label stock known before the faults
	h.sandboxAdmin("/sandbox/faults", `{"drop-after-commit-rate":1}`)
	if _, err := h.d.Orders.Place(h.ctx, req); !errors.Is(err, orders.ErrUnknownOutcome) {
		t.Fatalf("place: %v", err)
	}
	h.sandboxAdmin("/sandbox/faults", `{"drop-after-commit-rate":0}`)
	h.m.ShowScan()
	h.waitFor("the station printers", func() bool { return len(s.Printer.Options) == 2 })
	h.scanCode("SCAN-LOST-1")
	raw.Next(t, 10*time.Second)
	o, _ := h.d.Orders.Get(h.ctx, "SCAN-LOST-1")
	if s.Outcome() != "green" || o.Status != orders.StatusPlaced || !strings.Contains(s.Headline.Text, o.WaybillID) {
		t.Fatalf("scan of the lost order: %s %q / %q; order %s", s.Outcome(), s.Headline.Text, s.Reason.Text, o.Status)
	}

	// Never at WeChat (the request was lost on the way): it waits.
	h.sandboxAdmin("/sandbox/faults", `{"http500-rate":1}`)
	req.OrderID = "SCAN-LOST-2"
	h.d.Orders.Place(h.ctx, req)
	h.sandboxAdmin("/sandbox/faults", `{"http500-rate":0}`)
	h.scanCode("SCAN-LOST-2")
	if s.Outcome() != "amber" || s.Headline.Text != "结果未知" || !strings.Contains(s.Reason.Text, "微信暂时还没有此订单") {
		t.Fatalf("scan of an order WeChat does not have yet: %s %q / %q", s.Outcome(), s.Headline.Text, s.Reason.Text)
	}
}
