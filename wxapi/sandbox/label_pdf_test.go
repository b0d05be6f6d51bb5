package sandbox

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

// requireTools fails (not skips) when a tool is missing: make test installs
// them, and a skipped scan test would hide a label nobody can scan.
func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (run scripts/setup.sh): %v", tool, err)
		}
	}
}

// run executes a tool with a deadline and returns its stdout.
func run(t *testing.T, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

var pageSizeRe = regexp.MustCompile(`Page size:\s+([\d.]+) x ([\d.]+) pts`)

// printAndScan prints html to PDF with headless Chromium, checks it is one
// page of the label size, rasterises it at 300 dpi and returns what zbarimg
// reads.
func printAndScan(t *testing.T, html string, size LabelSize) []string {
	t.Helper()
	return scanPDF(t, printLabel(t, html, size), 300)
}

// printLabel prints html to PDF with headless Chromium, checks it is one
// page of the label size and returns the PDF's path.
func printLabel(t *testing.T, html string, size LabelSize) string {
	t.Helper()
	requireTools(t, "chromium-headless-shell", "pdfinfo")
	dir := t.TempDir()
	page := filepath.Join(dir, "label.html")
	pdf := filepath.Join(dir, "label.pdf")
	if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	// A private profile keeps parallel Chromium runs (other packages'
	// tests) from sharing one; Chromium may still be writing to it as it
	// exits, so it is removed best-effort instead of by t.TempDir.
	profile, err := os.MkdirTemp("", "wxsandbox-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(profile)
	start := time.Now()
	run(t, 60*time.Second, "chromium-headless-shell", "--headless", "--no-sandbox", "--disable-gpu",
		"--no-pdf-header-footer", "--user-data-dir="+profile, "--print-to-pdf="+pdf, "file://"+page)
	t.Logf("chromium printed the PDF in %v", time.Since(start).Round(time.Millisecond))

	info := run(t, 30*time.Second, "pdfinfo", pdf)
	if !strings.Contains(info, "Pages:           1\n") {
		t.Errorf("the label is not exactly one page (content overflows):\n%s", info)
	}
	if m := pageSizeRe.FindStringSubmatch(info); m == nil {
		t.Errorf("pdfinfo shows no page size:\n%s", info)
	} else {
		w, _ := strconv.ParseFloat(m[1], 64)
		h, _ := strconv.ParseFloat(m[2], 64)
		// 1 mm = 2.835 pt; Chromium rounds the page to whole pixels.
		wantW, wantH := float64(size.widthMM())*72/25.4, float64(size.heightMM())*72/25.4
		if math.Abs(w-wantW) > 2.5 || math.Abs(h-wantH) > 3 {
			t.Errorf("page is %.2f x %.2f pt, want %.2f x %.2f (%s mm)", w, h, wantW, wantH, size)
		}
	}

	return pdf
}

// scanPDF rasterises a PDF at dpi beside it (as .png) and returns what
// zbarimg reads.
func scanPDF(t *testing.T, pdf string, dpi int) []string {
	t.Helper()
	requireTools(t, "pdftoppm", "zbarimg")
	png := strings.TrimSuffix(pdf, ".pdf")
	run(t, 60*time.Second, "pdftoppm", "-r", strconv.Itoa(dpi), "-png", "-singlefile", pdf, png)
	out := run(t, 60*time.Second, "zbarimg", "--raw", "-q", png+".png")
	return strings.Fields(out)
}

// The sandbox mark's two lines, as pdftotext reads them.
var sandboxMark = []string{"沙箱 · 不可发货", "SANDBOX · NOT FOR SHIPPING"}

// wantSandboxMark checks that a printed label carries the sandbox mark as
// text a person reads on the page.
func wantSandboxMark(t *testing.T, pdf string) {
	t.Helper()
	requireTools(t, "pdftotext")
	text := run(t, 30*time.Second, "pdftotext", "-enc", "UTF-8", pdf, "-")
	for _, m := range sandboxMark {
		if !strings.Contains(text, m) {
			t.Errorf("the printed label lacks the sandbox mark %q; its text:\n%s", m, text)
		}
	}
}

// wantOnly checks that the scanner read something and only the waybill id
// (both barcodes and the QR code carry it).
func wantOnly(t *testing.T, got []string, waybill string) {
	t.Helper()
	if len(got) == 0 {
		t.Fatalf("zbarimg read nothing")
	}
	for _, g := range got {
		if g != waybill {
			t.Errorf("zbarimg read %q, want %q (all symbols: %q)", g, waybill, got)
		}
	}
}

// Every template family prints, at both label sizes, to one page whose
// barcode and QR code read back as the waybill id. (The one-part 100x180
// layouts differ from the two-part ones only in the footer; the YTO case
// scans one of them. TEST shares the generic template with DB.)
func TestLabelPrintsAndScans(t *testing.T) {
	for _, c := range familyCouriers {
		if c.delivery == "TEST" {
			continue
		}
		for _, v := range labelVariants {
			if v.name == "one-part" {
				continue
			}
			t.Run(c.delivery+"/"+v.name, func(t *testing.T) {
				t.Parallel()
				d := familyLabel(c, v)
				html, err := RenderLabel(d)
				if err != nil {
					t.Fatal(err)
				}
				pdf := printLabel(t, html, v.size)
				wantOnly(t, scanPDF(t, pdf, 300), d.WaybillID)
				wantSandboxMark(t, pdf)
			})
		}
	}
	t.Run("YTO one-part with a landline", func(t *testing.T) {
		t.Parallel()
		html, err := RenderLabel(ytoOnePart())
		if err != nil {
			t.Fatal(err)
		}
		pdf := printLabel(t, html, LabelSize100x180)
		wantOnly(t, scanPDF(t, pdf, 300), ytoOnePart().WaybillID)
		wantSandboxMark(t, pdf)
	})
	// The label getOrder serves, with the longest waybill id (TEST…), for
	// an account set to 76x130 (the 100x180 one is scanned by the cli tests).
	t.Run("getOrder TEST 76x130", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		ctx := context.Background()
		placed := h.place("SCAN-1", "TEST")
		for _, size := range []LabelSize{LabelSize76x130} {
			if code := h.admin(http.MethodPost, "/sandbox/label_size",
				labelSizeSetting{DeliveryID: "TEST", BizID: "test_biz_id", Size: size}, nil); code != http.StatusOK {
				t.Fatalf("set label size: HTTP %d", code)
			}
			resp, err := h.client.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: "SCAN-1", DeliveryID: "TEST"})
			if err != nil {
				t.Fatal(err)
			}
			html, err := resp.Label()
			if err != nil {
				t.Fatal(err)
			}
			wantOnly(t, printAndScan(t, html, size), placed.WaybillID)
		}
	})
}

// envScreenshots names the folder TestSandboxLabelIsMarked writes the
// README's label pictures to, relative to the module root, as
// ui.TestScreenshots does for the window: WAYBILLDESK_SCREENSHOTS=docs go
// test ./wxapi/sandbox -run SandboxLabelIsMarked.
const envScreenshots = "WAYBILLDESK_SCREENSHOTS"

// TestSandboxLabelIsMarked: a label from the sandbox must never go out on a
// parcel, so both stocks print 沙箱 · 不可发货 / SANDBOX · NOT FOR SHIPPING,
// and the mark leaves the codes alone: at the 203 dpi of a thermal printer
// each part's barcode and QR code read as the waybill id. These are the
// README's two label pictures.
func TestSandboxLabelIsMarked(t *testing.T) {
	for _, tc := range []struct {
		courier, variant, picture string
		parts                     [][2]float64 // mm from the top: each part holds a barcode and a QR code
	}{
		{"SF", "two-part", "label-sandbox.png", [][2]float64{{0, 120}, {122, 180}}},
		{"ZTO", "76x130", "label-76x130.png", [][2]float64{{0, 130}}},
	} {
		t.Run(tc.courier+"/"+tc.variant, func(t *testing.T) {
			t.Parallel()
			var c labelCourier
			for _, fc := range familyCouriers {
				if fc.delivery == tc.courier {
					c = fc
				}
			}
			var v labelVariant
			for _, lv := range labelVariants {
				if lv.name == tc.variant {
					v = lv
				}
			}
			d := familyLabel(c, v)
			html, err := RenderLabel(d)
			if err != nil {
				t.Fatal(err)
			}
			pdf := printLabel(t, html, v.size)
			wantSandboxMark(t, pdf)
			for _, part := range tc.parts {
				got := scanPart(t, pdf, 203, part[0], part[1])
				want := []string{"CODE-128:" + d.WaybillID, "QR-Code:" + d.WaybillID}
				if !slices.Equal(got, want) {
					t.Errorf("the part %g-%g mm reads %q at 203 dpi, want %q", part[0], part[1], got, want)
				}
			}
			if dir := os.Getenv(envScreenshots); dir != "" {
				if !filepath.IsAbs(dir) {
					dir = filepath.Join("..", "..", dir) // go test runs in wxapi/sandbox
				}
				png := filepath.Join(t.TempDir(), "label")
				run(t, 60*time.Second, "pdftoppm", "-r", "203", "-png", "-singlefile", pdf, png)
				b, err := os.ReadFile(png + ".png")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, tc.picture), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// scanPart rasterises the band from topMM to bottomMM of a PDF's page at
// dpi and returns the symbols zbarimg reads, as "CODE-128:…" and
// "QR-Code:…", sorted.
func scanPart(t *testing.T, pdf string, dpi int, topMM, bottomMM float64) []string {
	t.Helper()
	requireTools(t, "pdftoppm", "zbarimg")
	px := func(mm float64) string { return strconv.Itoa(int(mm * float64(dpi) / 25.4)) }
	png := filepath.Join(t.TempDir(), "part")
	run(t, 60*time.Second, "pdftoppm", "-r", strconv.Itoa(dpi), "-y", px(topMM), "-H", px(bottomMM-topMM), "-W", "100000",
		"-png", "-singlefile", pdf, png)
	got := strings.Fields(run(t, 60*time.Second, "zbarimg", "-q", png+".png"))
	slices.Sort(got)
	return got
}

var clippedRe = regexp.MustCompile(`data-clipped="([^"]*)"`)

// clippedText lays html out in headless Chromium with testdata/clipcheck.js
// and returns the text the label hides by accident, such as a route code
// wider than its cell.
func clippedText(t *testing.T, html string) string {
	t.Helper()
	requireTools(t, "chromium-headless-shell")
	js, err := os.ReadFile(filepath.Join("testdata", "clipcheck.js"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html, "</body>") {
		t.Fatalf("label has no </body>")
	}
	page := filepath.Join(t.TempDir(), "label.html")
	checked := strings.Replace(html, "</body>", "<script>"+string(js)+"</script></body>", 1)
	if err := os.WriteFile(page, []byte(checked), 0o644); err != nil {
		t.Fatal(err)
	}
	profile, err := os.MkdirTemp("", "wxsandbox-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(profile)
	dom := run(t, 60*time.Second, "chromium-headless-shell", "--headless", "--no-sandbox", "--disable-gpu",
		"--user-data-dir="+profile, "--dump-dom", "file://"+page)
	m := clippedRe.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("clipcheck.js did not run; DOM:\n%.500s", dom)
	}
	return strings.ReplaceAll(m[1], "&quot;", `"`)
}

// No label hides text it did not mean to: what does not fit is shortened
// with an ellipsis or a line clamp, never cut at a cell border. The fonts
// are the ones make test installs (Noto Sans CJK, whose bold is wider than
// WenQuanYi's synthetic bold).
func TestLabelTextFits(t *testing.T) {
	for _, c := range familyCouriers {
		for _, v := range labelVariants {
			t.Run(c.delivery+"/"+v.name, func(t *testing.T) {
				t.Parallel()
				html, err := RenderLabel(familyLabel(c, v))
				if err != nil {
					t.Fatal(err)
				}
				if got := clippedText(t, html); got != "[]" {
					t.Errorf("text cut off by a cell border: %s", got)
				}
			})
		}
	}
}
