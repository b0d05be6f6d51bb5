package printing

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// blackSquarePNG is a 40x40 black PNG, as a data: URL: a logo in a label.
var blackSquarePNG = func() string {
	img := image.NewGray(image.Rect(0, 0, 40, 40))
	for i := range img.Pix {
		img.Pix[i] = 0
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}()

// pageTabs counts the browser's open pages.
func pageTabs(t *testing.T, r *Renderer) int {
	t.Helper()
	r.mu.Lock()
	b := r.cur
	r.mu.Unlock()
	if b == nil {
		t.Fatal("no browser running")
	}
	infos, err := chromedp.Targets(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, i := range infos {
		if i.Type == "page" {
			n++
		}
	}
	return n
}

// TestPDFTabsDrawNoFrames: PDFs print on tabs without frames (see openTab),
// images included, and PNGs on ordinary tabs; a station switching between
// the two keeps one tab per Options.Tabs, plus chromedp's first blank tab.
func TestPDFTabsDrawNoFrames(t *testing.T) {
	r := newTestRenderer(t, Options{Tabs: 1})
	ctx := testCtx(t)
	withLogo := testLabel(t, labelParts{
		PageCSS: pageCSS100x180,
		Body:    fmt.Sprintf(`<img src="%s" style="position:absolute;left:0;top:0;width:20mm;height:20mm">`, blackSquarePNG),
	})
	for round := range 2 {
		pdf, err := r.PDF(ctx, withLogo, Size100x180)
		if err != nil {
			t.Fatalf("round %d: pdf: %v", round, err)
		}
		if !idleTabHasNoFrames(t, r) {
			t.Errorf("round %d: the PDF was not printed on a tab without frames", round)
		}
		path := writeTemp(t, "logo.pdf", pdf)
		if text := pdftotext(t, path); !strings.Contains(text, testWaybill) {
			t.Errorf("round %d: the PDF lacks the waybill", round)
		}
		if !darkAt(t, pdfToPNG(t, path, 100), 30, 30) {
			t.Errorf("round %d: the logo is missing from the PDF", round)
		}

		pic, err := r.PNG(ctx, withLogo, Size100x180, 203)
		if err != nil {
			t.Fatalf("round %d: png: %v", round, err)
		}
		img, err := png.Decode(bytes.NewReader(pic))
		if err != nil {
			t.Fatal(err)
		}
		if !isDark(img.At(60, 60)) {
			t.Errorf("round %d: the logo is missing from the PNG", round)
		}
		if n := pageTabs(t, r); n > 2 {
			t.Errorf("round %d: %d pages open, want at most 2", round, n)
		}
	}
}

// idleTabHasNoFrames waits for the tab of the last render to be back in the
// pool (release runs in the background) and reports whether it has no frames.
func idleTabHasNoFrames(t *testing.T, r *Renderer) bool {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		r.mu.Lock()
		idle := slices.Clone(r.cur.idle)
		r.mu.Unlock()
		if len(idle) == 1 {
			return idle[0].noFrames
		}
	}
	t.Fatal("the tab did not come back to the pool")
	return false
}

// darkAt reports whether the pixel (x, y) of the PNG file is dark.
func darkAt(t *testing.T, pngPath string, x, y int) bool {
	t.Helper()
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return isDark(img.At(x, y))
}

// TestLoadedWhenSet: for a label with nothing to load, SetDocumentContent
// returns with the document complete and its fonts ready, on both kinds of
// tab, which is why such a label skips waitSettled (see mayLoad).
func TestLoadedWhenSet(t *testing.T) {
	r := newTestRenderer(t, Options{Tabs: 1})
	html := testLabel(t, labelParts{PageCSS: pageCSS100x180})
	if mayLoad(html) {
		t.Fatal("the test label is seen as loading something")
	}
	for _, kind := range []renderKind{kindPDF, kindPNG} {
		var state string
		err := r.render(testCtx(t), kind, html, Size100x180, func(tb *tab, _ labelTraits) []step {
			return []step{loadHTML(tb, html), {"read state", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				var err error
				state, err = chromedp.Evaluate[string](`document.readyState + " " + document.fonts.status`)(ctx, tg)
				return err
			})}}
		})
		if err != nil {
			t.Fatal(err)
		}
		if state != "complete loaded" {
			t.Errorf("%s tab: right after the HTML is set the document is %q, want \"complete loaded\"", kind, state)
		}
	}
}
