package ui

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"waybilldesk/orders"
	"waybilldesk/orders/batch"
	"waybilldesk/wxapi"
)

// importFile writes a shop export in our template: n good rows and one
// without a phone number (row n+2 as Excel counts, the header being 1).
func importFile(t *testing.T, n int) string {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	header := make([]string, len(batch.TemplateFields))
	for i, f := range batch.TemplateFields {
		header[i] = string(f)
	}
	w.Write(header)
	row := func(i int, mobile string) []string {
		v := map[batch.Field]string{
			batch.FieldOrderID: fmt.Sprintf("TB%s%03d", time.Now().Format("150405"), i), batch.FieldReceiverName: fmt.Sprintf("收件人%02d", i),
			batch.FieldReceiverMobile: mobile, batch.FieldProvince: "广东省", batch.FieldCity: "广州市", batch.FieldArea: "天河区",
			batch.FieldAddress: fmt.Sprintf("天河北路%d号", 100+i), batch.FieldGoodsName: "西湖龙井 250g", batch.FieldGoodsCount: "1",
			batch.FieldWeight: "1.2",
		}
		out := make([]string, len(batch.TemplateFields))
		for j, f := range batch.TemplateFields {
			out[j] = v[f]
		}
		return out
	}
	for i := 1; i <= n; i++ {
		w.Write(row(i, fmt.Sprintf("1861000%04d", i)))
	}
	w.Write(row(n+1, "")) // no phone at all
	w.Flush()
	path := filepath.Join(t.TempDir(), "淘宝订单.csv")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBatchPreviewPlacePrintPauseResumeExport(t *testing.T) {
	h := newHarness(t)
	b := h.m.Batch
	raw := h.labelPrinter("打包台1")
	const n = 16
	path := importFile(t, n)
	h.m.NewOrder.Sender.SetContact(wxapi.Contact{Name: "王店长", Mobile: "13912345678", Province: "浙江省", City: "杭州市", Area: "余杭区", Address: "文一西路 969 号"})
	h.m.ShowBatch()
	for _, o := range b.Courier.Options {
		if strings.HasSuffix(o, " YTO") {
			b.Courier.SetSelected(o)
		}
	}
	if b.courier() != "YTO" || !b.Print.Checked {
		t.Fatalf("courier %q print %v", b.courier(), b.Print.Checked)
	}

	// Preview: every row, the bad one with its row, column and reason.
	b.LoadFile(path)
	h.waitFor("the preview", func() bool { return b.Plan != nil || b.Summary.Importance == widget.DangerImportance })
	if b.Plan == nil {
		t.Fatalf("preview: %s", b.Summary.Text)
	}
	if len(b.Plan.Rows) != n+1 || b.Plan.Orders() != n || b.Plan.Invalid() != 1 {
		t.Fatalf("plan: %d rows, %d orders, %d invalid: %q", len(b.Plan.Rows), b.Plan.Orders(), b.Plan.Invalid(), b.RowText(0))
	}
	if !strings.Contains(b.Summary.Text, fmt.Sprintf("待下单 %d 个", n)) || !strings.Contains(b.Summary.Text, "有错误 1 行") {
		t.Errorf("summary %q", b.Summary.Text)
	}
	bad := b.RowText(n)
	if !strings.Contains(bad, "错误") || !strings.Contains(bad, fmt.Sprintf("row %d", n+2)) || !strings.Contains(bad, "receiver_mobile") {
		t.Errorf("bad row shows %q", bad)
	}
	if !strings.Contains(b.RowText(0), "可下单") || !strings.Contains(b.RowText(0), "收件人01") {
		t.Errorf("first row shows %q", b.RowText(0))
	}
	if h.history() != nil {
		t.Fatal("the preview placed orders")
	}

	// Place & print, slowed down so pausing has something to hold back.
	h.sandboxAdmin("/sandbox/faults", `{"latency":"250ms"}`)
	t.Cleanup(func() { h.sandboxAdmin("/sandbox/faults", `{"latency":"0s"}`) })
	start := time.Now()
	test.Tap(b.Start)
	if !b.Running() || !b.Start.Disabled() || b.Pause.Disabled() {
		t.Fatalf("after Start: running %v, start disabled %v, pause disabled %v", b.Running(), b.Start.Disabled(), b.Pause.Disabled())
	}
	h.waitFor("the first order placed", func() bool { return len(b.Results) > 0 })
	test.Tap(b.Pause)
	if !b.Paused() || b.Pause.Text != "继续" {
		t.Fatalf("paused %v, button %q", b.Paused(), b.Pause.Text)
	}
	// What was in flight finishes; then nothing moves.
	time.Sleep(900 * time.Millisecond)
	h.settle()
	held := len(b.Results)
	time.Sleep(600 * time.Millisecond)
	h.settle()
	if len(b.Results) != held || held >= n {
		t.Fatalf("paused, yet %d → %d of %d orders finished", held, len(b.Results), n)
	}
	t.Logf("paused with %d of %d done, progress %.0f/%.0f", held, n, b.Progress.Value, b.Progress.Max)
	test.Tap(b.Pause)
	h.waitFor("the run to finish", func() bool { return !b.Running() })
	t.Logf("batch of %d placed in %s (250 ms per WeChat call, with a pause)", n, time.Since(start).Round(time.Millisecond))
	if b.Report == nil || b.Report.Counts.Placed != n || b.Report.Counts.Invalid != 1 {
		t.Fatalf("report %+v: %s", b.Report, b.Summary.Text)
	}
	if b.Progress.Value != float64(n) {
		t.Errorf("progress %g of %g", b.Progress.Value, b.Progress.Max)
	}
	if !strings.Contains(b.Summary.Text, fmt.Sprintf("下单 %d", n)) || !strings.Contains(b.Summary.Text, fmt.Sprintf("%d 张面单已加入打印队列", n)) {
		t.Errorf("summary %q", b.Summary.Text)
	}
	if !strings.Contains(b.RowText(0), "已下单") || !strings.Contains(b.RowText(0), "YT") {
		t.Errorf("first row after the run: %q", b.RowText(0))
	}
	// The labels come out, one per order.
	for i := 0; i < n; i++ {
		raw.Next(t, 20*time.Second)
	}
	placed := 0
	for _, o := range h.history() {
		if o.Status == orders.StatusPlaced {
			placed++
		}
	}
	if placed != n {
		t.Errorf("%d orders placed in the history, want %d", placed, n)
	}

	// The per-row results export, the refused row included.
	var out bytes.Buffer
	if err := b.ExportResults(&out); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out.String(), "\ufeff"))).ReadAll()
	if err != nil || len(recs) != n+2 || recs[n+1][2] != "invalid" || recs[1][2] != "placed" {
		t.Errorf("results csv (%v): %q", err, recs)
	}
	if b.Export.Disabled() || !b.Start.Disabled() {
		t.Errorf("after the run: export disabled %v, start enabled %v", b.Export.Disabled(), !b.Start.Disabled())
	}

	// The same file again: nothing is placed twice.
	b.LoadFile(path)
	h.waitFor("the second preview", func() bool { return b.Plan != nil })
	if !strings.Contains(b.Summary.Text, fmt.Sprintf("已在历史中 %d 个", n)) {
		t.Errorf("second preview: %q", b.Summary.Text)
	}
}
