package ui

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// EnvScreenshots names the folder TestScreenshots writes to, relative to
// the module root (e.g. WAYBILLDESK_SCREENSHOTS=docs go test ./ui -run
// Screenshot). Unset, the test is skipped.
const EnvScreenshots = "WAYBILLDESK_SCREENSHOTS"

// TestScreenshots fills a realistic order at 1100x760, places it in the
// sandbox and writes new-order.png (the window), label-preview.png (the
// label as previewed), orders.png (the detail pane on the tracking
// timeline), scan-station.png, printers.png, balance.png, settings.png and
// batch.png. These are Fyne's software painter images: the same
// layout as the app, drawn with the default theme and the system fonts.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv(EnvScreenshots)
	if dir == "" {
		t.Skip("set " + EnvScreenshots + "=docs to write screenshots")
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", dir) // go test runs in ui/
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	h.app.Settings().SetTheme(theme.DefaultTheme())
	n := h.m.NewOrder
	h.fillOrder(order{courier: "YTO", receiver: "李晓明", receiverMobile: "13812345678", weight: "1.2", goods: "纯棉T恤 白色 L"})
	n.AddGoods.OnTapped()
	typeInto(n.Goods[1].Name, "帆布袋")
	typeInto(n.Goods[1].Count, "1")
	typeInto(n.Remark, "易碎，轻放")
	n.Insured.SetChecked(true)
	typeInto(n.InsuredValue, "199.00")
	h.place()
	if n.Message.Importance != widget.SuccessImportance {
		t.Fatalf("not placed: %s", n.Message.Text)
	}
	h.waitFor("the label preview", func() bool { return n.Preview.Image.Image != nil })
	// The GL driver re-lays out containers whose minimum size changed on
	// every frame; the test canvas does not, so do it once here.
	h.w.Content().Refresh()
	writePNG(t, filepath.Join(dir, "new-order.png"), h.w.Canvas().Capture())
	writePNG(t, filepath.Join(dir, "label-preview.png"), n.Preview.Image.Image)

	// Orders: the detail pane on the tracking timeline, a day and a half
	// after the order (the sandbox clock moved on), with its print job.
	raw := h.labelPrinter("打包台1")
	l := h.m.Orders
	h.m.Tabs.SelectIndex(1)
	h.waitFor("the order in the list", func() bool { return showsText(l.List, n.LastOrder.WaybillID) })
	l.List.Select(0)
	h.waitFor("the detail preview", func() bool { return l.Preview.Image.Image != nil })
	test.Tap(l.Reprint)
	h.waitFor("the label printed", func() bool { return !l.busy })
	raw.Next(t, 10*time.Second)
	h.sandboxAdmin("/sandbox/clock", `{"advance":"36h"}`)
	test.Tap(l.Track)
	h.waitFor("the timeline", func() bool { return !l.busy && len(l.Timeline.Objects) > 2 })
	l.DetailTabs.SelectIndex(1)
	// The day's check and backup ran: the status bar says when.
	h.d.Upkeep.Round(h.ctx)
	h.waitFor("the backup in the status bar", func() bool { return strings.Contains(h.m.UpkeepLine.Text, "备份") })
	h.w.Content().Refresh()
	writePNG(t, filepath.Join(dir, "orders.png"), h.w.Canvas().Capture())

	// Scan station: a second parcel scanned, its label printed.
	o := h.placeOrder("陈静", "13700001234")
	h.m.ShowScan()
	h.waitFor("the station printers", func() bool { return len(h.m.Scan.Printer.Options) == 2 })
	h.m.Scan.Printer.SetSelectedIndex(1)
	h.waitFor("the printer's status", func() bool { return strings.Contains(h.m.Scan.PrinterState.Text, "可打印") })
	h.scanCode(n.LastOrder.OrderID)
	h.scanCode("YT0000000000")
	h.scanCode(o.WaybillID)
	for i := 0; i < 2; i++ {
		raw.Next(t, 10*time.Second)
	}
	h.w.Content().Refresh()
	writePNG(t, filepath.Join(dir, "scan-station.png"), h.w.Canvas().Capture())

	// Printers, Balance and Settings as a new desk shows them.
	h.m.ShowPrinters()
	h.waitFor("the printer listed", func() bool { return len(h.m.Printers.Records) == 1 })
	h.m.Printers.List.Select(0)
	h.settle()
	h.w.Content().Refresh()
	writePNG(t, filepath.Join(dir, "printers.png"), h.w.Canvas().Capture())
	h.m.ShowBalance()
	h.waitFor("the balances", func() bool { return len(h.m.Balance.Accounts) > 0 })
	h.w.Content().Refresh()
	writePNG(t, filepath.Join(dir, "balance.png"), h.w.Canvas().Capture())
	h.m.ShowSettings()
	h.waitFor("the settings", func() bool { return h.m.Settings.DataDir.Text != "" })
	h.w.Content().Refresh()
	writePNG(t, filepath.Join(dir, "settings.png"), h.w.Canvas().Capture())

	// Batch: a shop export previewed, one row with an error.
	h.m.ShowBatch()
	for _, o := range h.m.Batch.Courier.Options {
		if strings.HasSuffix(o, " YTO") {
			h.m.Batch.Courier.SetSelected(o)
		}
	}
	h.m.Batch.LoadFile(importFile(t, 9))
	h.waitFor("the preview", func() bool { return h.m.Batch.Plan != nil })
	h.w.Content().Refresh()
	writePNG(t, filepath.Join(dir, "batch.png"), h.w.Canvas().Capture())
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%dx%d)", path, img.Bounds().Dx(), img.Bounds().Dy())
}
