package sandbox

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
// 100 x 180 mm page, rasterises it at 300 dpi and returns what zbarimg reads.
func printAndScan(t *testing.T, html string) []string {
	t.Helper()
	requireTools(t, "chromium-headless-shell", "pdfinfo", "pdftoppm", "zbarimg")
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
		// 100 x 180 mm = 283.46 x 510.24 pt; Chromium rounds to whole pixels.
		if w < 281 || w > 286 || h < 507 || h > 513 {
			t.Errorf("page is %.2f x %.2f pt, want 283.46 x 510.24 (100 x 180 mm)", w, h)
		}
	}

	png := filepath.Join(dir, "label")
	run(t, 60*time.Second, "pdftoppm", "-r", "300", "-png", "-singlefile", pdf, png)
	out := run(t, 60*time.Second, "zbarimg", "--raw", "-q", png+".png")
	return strings.Fields(out)
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

func TestLabelPrintsAndScans(t *testing.T) {
	cases := []struct {
		name string
		data LabelData
	}{
		{"SF two-part", sfTwoPart()},
		{"YTO one-part", ytoOnePart()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			html, err := RenderLabel(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			wantOnly(t, printAndScan(t, html), tc.data.WaybillID)
		})
	}
	// The label getOrder serves, with the longest waybill id (TEST…).
	t.Run("getOrder TEST", func(t *testing.T) {
		h := newHarness(t)
		ctx := context.Background()
		placed, err := h.client.AddOrder(ctx, sampleOrder("SCAN-1", "TEST", "test_biz_id", 1, "test_service_name"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := h.client.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: "SCAN-1", DeliveryID: "TEST"})
		if err != nil {
			t.Fatal(err)
		}
		html, err := resp.Label()
		if err != nil {
			t.Fatal(err)
		}
		wantOnly(t, printAndScan(t, html), placed.WaybillID)
	})
}
