package printing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/color"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/boombuler/barcode/code128"
)

// testWaybill is the waybill number printed and encoded on the test label.
const testWaybill = "SF1234567890123"

// pageCSS100x180 is the @page rule of a real 100x180 mm e-waybill template.
const pageCSS100x180 = "@page { size: 100mm 180mm; margin: 0; }"

// labelParts fills testdata/label.html.tmpl.
type labelParts struct {
	PageCSS string // the @page rule, or "" for a template without one
	Head    string // extra markup in <head>
	Body    string // extra markup at the end of the label
	Waybill string
	Barcode string // inline SVG
}

// testLabel returns the test e-waybill with the given @page rule and extras.
func testLabel(t testing.TB, parts labelParts) string {
	t.Helper()
	tmpl, err := template.ParseFiles(filepath.Join("testdata", "label.html.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	if parts.Waybill == "" {
		parts.Waybill = testWaybill
	}
	parts.Barcode = code128SVG(t, parts.Waybill)
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, parts); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// moduleMM is the width of one barcode module. 0.5 mm is 4 dots on an
// 8-dot/mm (203 dpi) print head, so bars land on whole dots, and about 2 CSS
// pixels at 96 dpi, so the screenshot has no blurred bars.
const moduleMM = 0.5

// code128SVG draws text as a Code 128 barcode, the symbology of Chinese
// waybills, as <rect> bars with crisp edges and a 10-module quiet zone.
func code128SVG(t testing.TB, text string) string {
	t.Helper()
	bc, err := code128.Encode(text)
	if err != nil {
		t.Fatal(err)
	}
	const quiet = 10
	n := bc.Bounds().Dx()
	total := n + 2*quiet
	var rects strings.Builder
	for x := 0; x < n; {
		if !isDark(bc.At(x, 0)) {
			x++
			continue
		}
		run := 1
		for x+run < n && isDark(bc.At(x+run, 0)) {
			run++
		}
		fmt.Fprintf(&rects, `<rect x="%d" y="0" width="%d" height="30"/>`, x+quiet, run)
		x += run
	}
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%gmm" height="15mm" viewBox="0 0 %d 30" `+
		`preserveAspectRatio="none" shape-rendering="crispEdges"><rect width="%d" height="30" fill="#fff"/><g fill="#000">%s</g></svg>`,
		float64(total)*moduleMM, total, total, rects.String())
}

// isDark reports whether a barcode module is a bar.
func isDark(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r+g+b < 3*0x8000
}

// newTestRenderer returns a renderer on the machine's browser, closed when the
// test ends. A missing browser fails the test: `make test` installs one, so
// its absence is a broken setup, not a reason to skip.
func newTestRenderer(t testing.TB, opts Options) *Renderer {
	t.Helper()
	if _, err := FindBrowser(); err != nil {
		t.Fatalf("the renderer tests need a browser: %v", err)
	}
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	r := NewRenderer(opts)
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

// testLogger sends the renderer's log to the test log, shown for failed
// tests and with -v.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// tlogWriter adapts testing.TB to io.Writer.
type tlogWriter struct{ t testing.TB }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// testCtx is a context for one test step that cannot hang the test run.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// writeTemp writes data to a file in the test's temporary directory.
func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// tool runs a command-line tool and returns its standard output. A missing
// tool or a failure fails the test with the tool's stderr, and says which
// package to install.
func tool(t testing.TB, pkg, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is not installed (apt-get install %s): %v", name, pkg, err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstderr: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// pdfInfo is what pdfinfo says about a PDF that a user would notice.
type pdfInfo struct {
	pages             int
	widthMM, heightMM float64
}

var pageSizeRE = regexp.MustCompile(`Page size:\s+([\d.]+) x ([\d.]+) pts`)

// pdfinfo reads the page count and page size of a PDF with poppler.
func pdfinfo(t testing.TB, pdfPath string) pdfInfo {
	t.Helper()
	out := tool(t, "poppler-utils", "pdfinfo", pdfPath)
	var info pdfInfo
	for line := range strings.Lines(out) {
		if v, ok := strings.CutPrefix(line, "Pages:"); ok {
			info.pages, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	m := pageSizeRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("pdfinfo printed no page size:\n%s", out)
	}
	w, _ := strconv.ParseFloat(m[1], 64)
	h, _ := strconv.ParseFloat(m[2], 64)
	info.widthMM, info.heightMM = w/72*25.4, h/72*25.4
	return info
}

// pdftotext extracts the text of a PDF as UTF-8.
func pdftotext(t testing.TB, pdfPath string) string {
	t.Helper()
	return tool(t, "poppler-utils", "pdftotext", "-enc", "UTF-8", pdfPath, "-")
}

// pdffonts lists the fonts of a PDF.
func pdffonts(t testing.TB, pdfPath string) string {
	t.Helper()
	return tool(t, "poppler-utils", "pdffonts", pdfPath)
}

// pdfToPNG rasterises the first page of a PDF at dpi, as a printer driver would.
func pdfToPNG(t testing.TB, pdfPath string, dpi int) string {
	t.Helper()
	prefix := filepath.Join(t.TempDir(), "page")
	tool(t, "poppler-utils", "pdftoppm", "-r", strconv.Itoa(dpi), "-png", "-singlefile", pdfPath, prefix)
	return prefix + ".png"
}

// zbarimg reads the barcodes in an image and returns their text, one a line.
func zbarimg(t testing.TB, imgPath string) string {
	t.Helper()
	if _, err := exec.LookPath("zbarimg"); err != nil {
		t.Fatalf("zbarimg is not installed (apt-get install zbar-tools): %v", err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("zbarimg", "--raw", "-q", imgPath)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 4 {
		t.Fatalf("zbarimg found no barcode in %s", imgPath)
	}
	if err != nil {
		t.Fatalf("zbarimg %s: %v\nstderr: %s", imgPath, err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}
