package printing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The tests drive the real headless Chromium of the machine and check the
// output with the tools a person would use: poppler for the PDF, zbar for the
// barcode. They assert what a user would notice (page count, paper size,
// text, a readable barcode), not bytes.

func TestPDF(t *testing.T) {
	r := newTestRenderer(t, Options{})
	tests := []struct {
		name         string
		pageCSS      string
		size         Size
		wantW, wantH float64
		barcode      bool // the label fits the paper, so the barcode must scan
	}{
		{"100x180 label with its @page rule", pageCSS100x180, Size100x180, 100, 180, true},
		{"76x130 paper for a label without @page", "", Size76x130, 76, 130, false},
		{"@page 100x150 wins over asked 100x180", "@page { size: 100mm 150mm; margin: 0; }", Size100x180, 100, 150, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pdf, err := r.PDF(testCtx(t), testLabel(t, labelParts{PageCSS: tt.pageCSS}), tt.size)
			if err != nil {
				t.Fatal(err)
			}
			path := writeTemp(t, "label.pdf", pdf)

			info := pdfinfo(t, path)
			if info.pages != 1 {
				t.Errorf("pages = %d, want 1", info.pages)
			}
			if math.Abs(info.widthMM-tt.wantW) > 1 || math.Abs(info.heightMM-tt.wantH) > 1 {
				t.Errorf("page = %.2f x %.2f mm, want %v x %v mm (±1)", info.widthMM, info.heightMM, tt.wantW, tt.wantH)
			}

			text := pdftotext(t, path)
			for _, want := range []string{"顺丰速运", "收件人", "张三", "广东省深圳市南山区", testWaybill} {
				if !strings.Contains(text, want) {
					t.Errorf("PDF text lacks %q; text:\n%s", want, text)
				}
			}
			if strings.Contains(text, "打印时隐藏") {
				t.Errorf("PDF shows the @media print-hidden line")
			}

			// The CJK text must be real glyphs from the embedded TrueType
			// font, not boxes from a missing one.
			fonts := pdffonts(t, path)
			if !embedsFont(fonts, "WenQuanYi") {
				t.Errorf("no embedded WenQuanYi font; pdffonts:\n%s", fonts)
			}

			if tt.barcode {
				if got := zbarimg(t, pdfToPNG(t, path, 300)); got != testWaybill {
					t.Errorf("barcode in the PDF reads %q, want %q", got, testWaybill)
				}
			}
		})
	}
}

// embedsFont reports whether the pdffonts listing has an embedded font whose
// name contains family.
func embedsFont(listing, family string) bool {
	for line := range strings.Lines(listing) {
		f := strings.Fields(line)
		// name type [encoding words...] emb sub uni object ID
		if len(f) >= 7 && strings.Contains(f[0], family) && f[len(f)-5] == "yes" {
			return true
		}
	}
	return false
}

func TestPNG(t *testing.T) {
	r := newTestRenderer(t, Options{})
	tests := []struct {
		name         string
		size         Size
		dpi          float64
		wantW, wantH int
		barcode      bool
	}{
		{"100x180 at 203 dpi", Size100x180, 203, 799, 1438, true},
		{"100x150 at 300 dpi", Size100x150, 300, 1181, 1772, true},
		{"76x130 at 203 dpi", Size76x130, 203, 607, 1039, false}, // the 100 mm label is cut at 76 mm
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := r.PNG(testCtx(t), testLabel(t, labelParts{PageCSS: pageCSS100x180}), tt.size, tt.dpi)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("not a PNG: %v", err)
			}
			w, h := img.Bounds().Dx(), img.Bounds().Dy()
			if abs(w-tt.wantW) > 2 || abs(h-tt.wantH) > 2 {
				t.Errorf("image = %dx%d px, want about %dx%d", w, h, tt.wantW, tt.wantH)
			}
			if tt.barcode {
				if got := zbarimg(t, writeTemp(t, "label.png", data)); got != testWaybill {
					t.Errorf("barcode in the PNG reads %q, want %q", got, testWaybill)
				}
			}
		})
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// TestRemoteResourcesBlocked checks that a label cannot reach the network:
// the server sees no request and the label still prints, without waiting.
func TestRemoteResourcesBlocked(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Write(onePixelPNG)
	}))
	defer srv.Close()
	extras := labelParts{
		PageCSS: pageCSS100x180,
		Head: fmt.Sprintf(`<link rel="stylesheet" href="%[1]s/s.css"><script src="%[1]s/s.js"></script>`+
			`<style>.label{background:url(%[1]s/bg.png)}</style>`, srv.URL),
		Body: fmt.Sprintf(`<img src="%[1]s/x.png" alt="logo"><script>fetch("%[1]s/f").catch(() => {});</script>`, srv.URL),
	}

	t.Run("blocked by default", func(t *testing.T) {
		r := newTestRenderer(t, Options{})
		start := time.Now()
		pdf, err := r.PDF(testCtx(t), testLabel(t, extras), Size100x180)
		if err != nil {
			t.Fatal(err)
		}
		if n := hits.Load(); n != 0 {
			t.Errorf("the server got %d requests, want 0", n)
		}
		if !strings.Contains(pdftotext(t, writeTemp(t, "l.pdf", pdf)), "张三") {
			t.Error("the label did not print")
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("render took %v: blocked resources must fail at once", d)
		}
	})

	t.Run("allowed host loads", func(t *testing.T) {
		hits.Store(0)
		r := newTestRenderer(t, Options{AllowHosts: []string{"127.0.0.1"}})
		if _, err := r.PDF(testCtx(t), testLabel(t, extras), Size100x180); err != nil {
			t.Fatal(err)
		}
		if hits.Load() == 0 {
			t.Error("the server got no request from a label on an allowed host")
		}
	})
}

// onePixelPNG is a 1x1 white PNG for the test server to serve.
var onePixelPNG = func() []byte {
	img := image.NewGray(image.Rect(0, 0, 1, 1))
	img.Pix[0] = 0xff
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}()

// TestTimeout checks that a label that never settles fails with ErrTimeout
// within the limit, and that the renderer prints the next label.
func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // an image that never arrives
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)

	const limit = 2 * time.Second
	r := newTestRenderer(t, Options{Timeout: limit, Tabs: 1, AllowHosts: []string{"127.0.0.1"}})
	good := testLabel(t, labelParts{PageCSS: pageCSS100x180})

	tests := []struct {
		name string
		html string
	}{
		{"script that never ends", testLabel(t, labelParts{PageCSS: pageCSS100x180, Body: `<script>while (true) {}</script>`})},
		{"image that never loads", testLabel(t, labelParts{PageCSS: pageCSS100x180, Body: `<img src="` + slow.URL + `/never.png">`})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := r.PDF(testCtx(t), tt.html, Size100x180)
			took := time.Since(start)
			if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want ErrTimeout and context.DeadlineExceeded", err)
			}
			if !strings.Contains(err.Error(), "timed out") {
				t.Errorf("error %q does not say it timed out", err)
			}
			if took > limit+time.Second {
				t.Errorf("the timeout took %v, limit %v", took, limit)
			}
			t.Logf("error after %v: %v", took.Round(time.Millisecond), err)

			start = time.Now()
			pdf, err := r.PDF(testCtx(t), good, Size100x180)
			if err != nil {
				t.Fatalf("the next label failed: %v", err)
			}
			if !bytes.HasPrefix(pdf, []byte("%PDF")) {
				t.Fatal("the next label is not a PDF")
			}
			t.Logf("next label printed in %v", time.Since(start).Round(time.Millisecond))
		})
	}

	// The caller's own, earlier deadline is a timeout too.
	ctx, cancel := context.WithTimeout(testCtx(t), 300*time.Millisecond)
	defer cancel()
	if _, err := r.PDF(ctx, tests[0].html, Size100x180); !errors.Is(err, ErrTimeout) {
		t.Errorf("with the caller's deadline: err = %v, want ErrTimeout", err)
	}
}

// TestInvalidInput checks that bad input fails fast with a clear error and
// never starts a browser.
func TestInvalidInput(t *testing.T) {
	r := NewRenderer(Options{BrowserPath: "/nonexistent/browser", Logger: testLogger(t)})
	defer r.Close()
	ctx := testCtx(t)
	label := testLabel(t, labelParts{PageCSS: pageCSS100x180})
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"empty pdf", func() error { _, err := r.PDF(ctx, "", Size100x180); return err }, ErrEmptyHTML},
		{"blank png", func() error { _, err := r.PNG(ctx, " \n\t", Size100x180, 203); return err }, ErrEmptyHTML},
		{"zero size", func() error { _, err := r.PDF(ctx, label, Size{0, 10}); return err }, ErrInvalidSize},
		{"huge size", func() error { _, err := r.PNG(ctx, label, Size{100, 2000}, 203); return err }, ErrInvalidSize},
		{"zero dpi", func() error { _, err := r.PNG(ctx, label, Size100x180, 0); return err }, nil},
		{"absurd dpi", func() error { _, err := r.PNG(ctx, label, Size100x180, 5000); return err }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			t.Log(err)
		})
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gen != 0 || r.starting != nil {
		t.Error("invalid input started a browser")
	}
}

// TestConcurrentPDFs renders more labels than tabs at once; each PDF must
// hold its own label, so tabs do not mix up documents.
func TestConcurrentPDFs(t *testing.T) {
	r := newTestRenderer(t, Options{Tabs: 2})
	const n = 6
	pdfs := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			html := testLabel(t, labelParts{PageCSS: pageCSS100x180, Waybill: fmt.Sprintf("SF10000000000%02d", i)})
			pdfs[i], errs[i] = r.PDF(testCtx(t), html, Size100x180)
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("label %d: %v", i, errs[i])
			continue
		}
		want := fmt.Sprintf("SF10000000000%02d", i)
		if text := pdftotext(t, writeTemp(t, "l.pdf", pdfs[i])); !strings.Contains(text, want) {
			t.Errorf("label %d lacks its waybill %s", i, want)
		}
	}
}

// TestReusedTabStartsClean checks that a label's scripts and a PNG's viewport
// do not leak into the next label rendered on the same tab. PDFs and PNGs
// share tabs only in a browser without frame control (see openTab), which
// the second case stands for.
func TestReusedTabStartsClean(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("tabs shared by PDF and PNG: %v", shared), func(t *testing.T) {
			r := newTestRenderer(t, Options{Tabs: 1})
			ctx := testCtx(t)
			if err := r.Start(ctx); err != nil {
				t.Fatal(err)
			}
			if shared {
				// The warm-up's tab has frame control: close it, and open
				// ordinary tabs from here on.
				idleTabHasNoFrames(t, r)
				r.mu.Lock()
				r.cur.noFrameControl = true
				warm := r.cur.idle[0]
				r.cur.idle = nil
				r.mu.Unlock()
				if err := closeTab(warm, false); err != nil {
					t.Fatal(err)
				}
			}
			dirty := testLabel(t, labelParts{PageCSS: pageCSS100x180, Body: `<script>window.leak = 1;</script>`})
			if _, err := r.PNG(ctx, dirty, Size100x180, 203); err != nil {
				t.Fatal(err)
			}
			probe := testLabel(t, labelParts{
				Body: `<p id="probe"></p><script>document.getElementById("probe").textContent = window.leak ? "LEAKED" : "CLEAN";</script>`,
			})
			pdf, err := r.PDF(ctx, probe, Size76x130)
			if err != nil {
				t.Fatal(err)
			}
			path := writeTemp(t, "probe.pdf", pdf)
			if text := pdftotext(t, path); !strings.Contains(text, "CLEAN") {
				t.Errorf("the previous label's globals are visible to the next one")
			}
			if info := pdfinfo(t, path); math.Abs(info.widthMM-76) > 1 || math.Abs(info.heightMM-130) > 1 {
				t.Errorf("after a PNG, the PDF page is %.1f x %.1f mm, want 76 x 130", info.widthMM, info.heightMM)
			}
			if shared && pageTabs(t, r) > 2 {
				t.Errorf("%d pages open with one tab shared by PDFs and PNGs", pageTabs(t, r))
			}
		})
	}
}

// TestRestarts checks the two restarts: after restartAfter renders, and after
// the browser process dies.
func TestRestarts(t *testing.T) {
	r := newTestRenderer(t, Options{})
	r.restartAfter = 2
	ctx := testCtx(t)
	label := testLabel(t, labelParts{PageCSS: pageCSS100x180})
	for i := range 5 {
		if _, err := r.PDF(ctx, label, Size100x180); err != nil {
			t.Fatalf("label %d: %v", i, err)
		}
	}
	r.mu.Lock()
	gen := r.gen
	r.mu.Unlock()
	if gen < 3 {
		t.Errorf("5 labels with a restart every 2 used %d browsers, want at least 3", gen)
	}

	// Kill the browser, as the OOM killer would.
	r.restartAfter = defaultRestartAfter
	r.mu.Lock()
	b := r.cur
	r.mu.Unlock()
	if b == nil {
		t.Fatal("no current browser")
	}
	p, err := os.FindProcess(b.pid)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the renderer did not notice the browser died")
	}
	if _, err := r.PDF(ctx, label, Size100x180); err != nil {
		t.Fatalf("after the browser died: %v", err)
	}
}

// TestStart checks that Start is idempotent under concurrency and that
// renders use the browser it started.
func TestStart(t *testing.T) {
	r := newTestRenderer(t, Options{})
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := r.Start(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// A warm tab waits for each kind of label: one without frames for
	// PDFs, an ordinary one for images.
	kinds := map[bool]int{} // idle tabs by noFrames
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && len(kinds) < 2; time.Sleep(10 * time.Millisecond) {
		r.mu.Lock()
		clear(kinds)
		for _, tb := range r.cur.idle {
			kinds[tb.noFrames]++
		}
		r.mu.Unlock()
	}
	if kinds[true] != 1 || kinds[false] != 1 {
		t.Errorf("after Start %d idle tabs without frames and %d with, want one of each", kinds[true], kinds[false])
	}
	label := testLabel(t, labelParts{PageCSS: pageCSS100x180})
	start := time.Now()
	if _, err := r.PDF(ctx, label, Size100x180); err != nil {
		t.Fatal(err)
	}
	t.Logf("first PDF after Start: %v", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	if _, err := r.PNG(ctx, label, Size100x180, 203); err != nil {
		t.Fatal(err)
	}
	t.Logf("first PNG after Start: %v", time.Since(start).Round(time.Millisecond))
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gen != 1 {
		t.Errorf("started %d browsers, want 1", r.gen)
	}
}

func TestClose(t *testing.T) {
	r := newTestRenderer(t, Options{})
	ctx := testCtx(t)
	label := testLabel(t, labelParts{PageCSS: pageCSS100x180})
	if _, err := r.PDF(ctx, label, Size100x180); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := r.PDF(ctx, label, Size100x180); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: err = %v, want ErrClosed", err)
	}
}

func TestRendererWithoutBrowser(t *testing.T) {
	t.Setenv(EnvBrowser, "/nonexistent/chrome")
	r := NewRenderer(Options{Logger: testLogger(t)})
	defer r.Close()
	_, err := r.PDF(testCtx(t), "<p>x</p>", Size100x180)
	if !errors.Is(err, ErrNoBrowser) {
		t.Fatalf("err = %v, want ErrNoBrowser", err)
	}
	if !strings.Contains(err.Error(), "install") {
		t.Errorf("error %q does not say what to install", err)
	}
}
