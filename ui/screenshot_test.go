package ui

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// EnvScreenshots names the folder TestScreenshots writes to, relative to
// the module root (e.g. WAYBILLDESK_SCREENSHOTS=docs go test ./ui -run
// Screenshot). Unset, the test is skipped.
const EnvScreenshots = "WAYBILLDESK_SCREENSHOTS"

// TestScreenshots fills a realistic order at 1100x760, places it in the
// sandbox and writes new-order.png (the window) and label-preview.png (the
// label as previewed). These are Fyne's software painter images: the same
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

	h.m.Tabs.SelectIndex(1)
	h.waitFor("the order in the list", func() bool { return showsText(h.m.Orders.List, n.LastOrder.WaybillID) })
	h.m.Orders.List.Select(0)
	h.waitFor("the detail preview", func() bool { return h.m.Orders.Preview.Image.Image != nil })
	h.w.Content().Refresh()
	writePNG(t, filepath.Join(dir, "orders.png"), h.w.Canvas().Capture())
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
