package thermal

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"image"
	"image/png"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"waybilldesk/printing"
)

// realLabel is a 100 x 180 mm e-waybill shaped like WeChat's print_html
// (testdata/label.html.tmpl): Chinese text, frames and two Code 128 barcodes
// of the waybill id drawn as SVG rects with 0.5 mm modules (4 dots at
// 203 dpi), as waybill templates draw them. The test keeps its own template
// so that it does not depend on how other packages build their labels.
func realLabel(t testing.TB) (html, waybill string) {
	t.Helper()
	waybill = "SF760123456789"
	tmpl, err := template.ParseFiles(filepath.Join("testdata", "label.html.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err = tmpl.Execute(&buf, map[string]any{
		"Waybill":      waybill,
		"Barcode":      barcodeSVG(t, waybill, 0.5, 15),
		"SmallBarcode": barcodeSVG(t, waybill, 0.375, 8),
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.String(), waybill
}

// barcodeSVG draws value as Code 128 with a 10-module quiet zone, moduleMM
// wide per module and heightMM tall, in crisp-edged SVG rects.
func barcodeSVG(t testing.TB, value string, moduleMM, heightMM float64) template.HTML {
	mods := barcodeModules(t, value)
	const quiet = 10
	total := len(mods) + 2*quiet
	var rects strings.Builder
	for x := 0; x < len(mods); {
		if !mods[x] {
			x++
			continue
		}
		run := 1
		for x+run < len(mods) && mods[x+run] {
			run++
		}
		fmt.Fprintf(&rects, `<rect x="%d" y="0" width="%d" height="1"/>`, x+quiet, run)
		x += run
	}
	return template.HTML(fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%gmm" height="%gmm" viewBox="0 0 %d 1" `+
		`preserveAspectRatio="none" shape-rendering="crispEdges"><g fill="#000">%s</g></svg>`,
		float64(total)*moduleMM, heightMM, total, rects.String()))
}

// slogWriter sends the renderer's log lines to the test log.
type slogWriter struct{ t testing.TB }

func (w slogWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// TestRealLabelThroughEachLanguage renders a real e-waybill with the
// Chromium renderer at 203 dpi, rasterises and encodes it for each printer
// language, decodes it again and checks that (a) the barcodes scan and (b)
// the dots match the same label's PDF rasterised by poppler. Chrome's
// screenshot and poppler antialias differently, so (b) allows a few
// differing dots after aligning the two images within 2 dots.
func TestRealLabelThroughEachLanguage(t *testing.T) {
	pdftoppm := requireTool(t, "pdftoppm", "poppler-utils")
	requireTool(t, "zbarimg", "zbar-tools")
	html, waybill := realLabel(t)
	dir := outDir(t)

	r := printing.NewRenderer(printing.Options{
		Logger: slog.New(slog.NewTextHandler(slogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	t.Cleanup(func() { r.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	start := time.Now()
	pngData, err := r.PNG(ctx, html, printing.Size100x180, 203)
	if err != nil {
		t.Fatalf("render PNG: %v", err)
	}
	pdfData, err := r.PDF(ctx, html, printing.Size100x180)
	if err != nil {
		t.Fatalf("render PDF: %v", err)
	}
	t.Logf("rendered PNG and PDF in %v", time.Since(start).Round(time.Millisecond))

	shot, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatalf("renderer PNG: %v", err)
	}
	bm := FromImage(shot, RasterOptions{Dither: true})
	if bm.Width < 797 || bm.Width > 801 || bm.Height < 1436 || bm.Height > 1440 {
		t.Fatalf("label bitmap %dx%d, want about 799x1438", bm.Width, bm.Height)
	}

	// The PDF as poppler prints it at the same resolution, thresholded.
	pdfPath := filepath.Join(dir, "real-label.pdf")
	if err := os.WriteFile(pdfPath, pdfData, 0o644); err != nil {
		t.Fatal(err)
	}
	pctx, pcancel := context.WithTimeout(ctx, 60*time.Second)
	defer pcancel()
	base := filepath.Join(dir, "real-label-poppler")
	if out, err := exec.CommandContext(pctx, pdftoppm, "-r", "203", "-gray", "-png", "-singlefile", pdfPath, base).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	popplerPNG, err := os.ReadFile(base + ".png")
	if err != nil {
		t.Fatal(err)
	}
	popplerImg, err := png.Decode(bytes.NewReader(popplerPNG))
	if err != nil {
		t.Fatal(err)
	}
	ref := FromImage(popplerImg, RasterOptions{})

	job := Job{DPI: 203, Density: 10, Speed: 4, GapMM: 2}
	for _, c := range codecs(ESCPOSOptions{Cut: true}) {
		t.Run(c.name, func(t *testing.T) {
			data, err := c.encode(bm, job)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := c.decode(data)
			if err != nil {
				t.Fatal(err)
			}
			checkDecoded(t, c, bm, got)
			got = got.Crop(bm.Width, bm.Height)

			p := writePNG(t, dir, fmt.Sprintf("real-label-%s.png", c.name), got.Image())
			vals := zbarimg(t, p)
			if len(vals) == 0 {
				t.Fatalf("zbarimg read nothing from %s", p)
			}
			for _, v := range vals {
				if v != waybill {
					t.Fatalf("zbarimg read %q from %s, want only %q", vals, p, waybill)
				}
			}

			m := compareAligned(got, ref, 2)
			t.Logf("%s: %d bytes; vs poppler: shift %d,%d, %.2f%% dots equal (%.2f%% within a dot), %.1f%% of black dots shared (%d vs %d black)",
				c.name, len(data), m.dx, m.dy, 100*m.equal, 100*m.near, 100*m.blackShared, m.blackA, m.blackB)
			// Measured here: 97.5% equal, 99.8% within a dot; all the
			// differences are glyph edges (Skia and poppler hint and
			// antialias text differently), none in bars or rules.
			if m.equal < 0.97 {
				t.Errorf("only %.2f%% of dots match the PDF's (want 97%%)", 100*m.equal)
			}
			if m.near < 0.995 {
				t.Errorf("only %.2f%% of dots match the PDF's within one dot (want 99.5%%)", 100*m.near)
			}
			// Equal dots alone would pass two blank labels: the black dots
			// must largely be the same ones, and about as many.
			if m.blackShared < 0.70 {
				t.Errorf("only %.1f%% of black dots are black in both", 100*m.blackShared)
			}
			if ratio := float64(m.blackA) / float64(max(m.blackB, 1)); ratio < 0.85 || ratio > 1.15 {
				t.Errorf("%d black dots against the PDF's %d", m.blackA, m.blackB)
			}
			if t.Failed() || os.Getenv("THERMAL_TEST_OUT") != "" {
				writePNG(t, dir, "real-label-diff.png", diffImage(got, ref, m.dx, m.dy))
				t.Logf("images left in %s", dir)
			}
		})
	}
}

// match is how well two bitmaps agree at the best shift.
type match struct {
	dx, dy         int
	equal          float64 // share of equal dots in the compared area
	near           float64 // share of dots whose colour b has within one dot
	blackShared    float64 // black in both / black in either
	blackA, blackB int
}

// compareAligned compares a with b shifted by up to slack dots in each
// direction, over the area both cover, and returns the best shift.
func compareAligned(a, b *Bitmap, slack int) match {
	w, h := min(a.Width, b.Width)-2*slack, min(a.Height, b.Height)-2*slack
	best := match{equal: -1}
	for dy := -slack; dy <= slack; dy++ {
		for dx := -slack; dx <= slack; dx++ {
			var same, both, either, na, nb int
			for y := slack; y < slack+h; y++ {
				for x := slack; x < slack+w; x++ {
					pa, pb := a.Black(x, y), b.Black(x+dx, y+dy)
					if pa == pb {
						same++
					}
					if pa && pb {
						both++
					}
					if pa || pb {
						either++
					}
					if pa {
						na++
					}
					if pb {
						nb++
					}
				}
			}
			m := match{dx: dx, dy: dy, equal: float64(same) / float64(w*h),
				blackShared: float64(both) / float64(max(either, 1)), blackA: na, blackB: nb}
			if m.equal > best.equal {
				best = m
			}
		}
	}
	near := 0
	for y := slack; y < slack+h; y++ {
		for x := slack; x < slack+w; x++ {
			pa := a.Black(x, y)
		search:
			for j := -1; j <= 1; j++ {
				for i := -1; i <= 1; i++ {
					if b.Black(x+best.dx+i, y+best.dy+j) == pa {
						near++
						break search
					}
				}
			}
		}
	}
	best.near = float64(near) / float64(w*h)
	return best
}

// diffImage shows a in black, b's extra dots in red and a's extra in blue.
func diffImage(a, b *Bitmap, dx, dy int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, a.Width, a.Height))
	for y := 0; y < a.Height; y++ {
		for x := 0; x < a.Width; x++ {
			pa, pb := a.Black(x, y), b.Black(x+dx, y+dy)
			i := img.PixOffset(x, y)
			c := [4]uint8{255, 255, 255, 255}
			switch {
			case pa && pb:
				c = [4]uint8{0, 0, 0, 255}
			case pb:
				c = [4]uint8{255, 0, 0, 255}
			case pa:
				c = [4]uint8{0, 0, 255, 255}
			}
			copy(img.Pix[i:i+4], c[:])
		}
	}
	return img
}
