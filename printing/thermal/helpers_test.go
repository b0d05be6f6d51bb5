package thermal

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boombuler/barcode/code128"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// update rewrites the golden files: go test ./printing/thermal -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testWaybill is the value of the test barcodes, shaped like an SF waybill.
const testWaybill = "SF1234567890123"

// randomBitmap fills a bitmap with random dots, leaving the row padding 0
// as the Bitmap contract asks.
func randomBitmap(r *rand.Rand, w, h int) *Bitmap {
	b := NewBitmap(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if r.IntN(2) == 0 {
				b.Set(x, y, true)
			}
		}
	}
	return b
}

// patternBitmap is the 16x8 pattern of the golden files: two diagonals, a
// frame on the left and a dot every fifth position, so that any swapped bit
// order, inverted bit or lost row shows.
func patternBitmap() *Bitmap {
	b := NewBitmap(16, 8)
	for y := 0; y < 8; y++ {
		for x := 0; x < 16; x++ {
			if x == y || x == 15-y || x == 0 || (x+3*y)%5 == 0 {
				b.Set(x, y, true)
			}
		}
	}
	return b
}

// barcodeModules returns the bars of a Code 128 symbol, one bool per module.
func barcodeModules(t testing.TB, value string) []bool {
	t.Helper()
	bc, err := code128.Encode(value)
	if err != nil {
		t.Fatal(err)
	}
	n := bc.Bounds().Dx()
	mods := make([]bool, n)
	for x := range mods {
		r, _, _, _ := bc.At(bc.Bounds().Min.X+x, bc.Bounds().Min.Y).RGBA()
		mods[x] = r < 0x8000
	}
	return mods
}

// drawBarcode paints the symbol at (x0, y0), dotsPerModule wide per module
// (fractional scales give antialiased, grey bar edges, as a browser does)
// and height tall.
func drawBarcode(img *image.RGBA, mods []bool, x0, y0 int, dotsPerModule float64, height int) {
	width := int(float64(len(mods))*dotsPerModule + 0.999)
	for x := 0; x < width; x++ {
		// Coverage of pixel [x, x+1) by bars, sampled 16 times.
		dark := 0
		for s := 0; s < 16; s++ {
			m := int((float64(x) + (float64(s)+0.5)/16) / dotsPerModule)
			if m < len(mods) && mods[m] {
				dark++
			}
		}
		v := uint8(255 - dark*255/16)
		for y := y0; y < y0+height; y++ {
			img.SetRGBA(x0+x, y, color.RGBA{v, v, v, 255})
		}
	}
}

// drawText writes s in a 7x13 bitmap font scaled up by scale.
func drawText(img *image.RGBA, s string, x, y, scale int) {
	small := image.NewRGBA(image.Rect(0, 0, 7*len(s), 13))
	draw.Draw(small, small.Bounds(), image.White, image.Point{}, draw.Src)
	d := font.Drawer{Dst: small, Src: image.Black, Face: basicfont.Face7x13, Dot: fixed.P(0, 11)}
	d.DrawString(s)
	for sy := 0; sy < 13; sy++ {
		for sx := 0; sx < small.Bounds().Dx(); sx++ {
			c := small.RGBAAt(sx, sy)
			for dy := 0; dy < scale; dy++ {
				for dx := 0; dx < scale; dx++ {
					img.SetRGBA(x+sx*scale+dx, y+sy*scale+dy, c)
				}
			}
		}
	}
}

// syntheticLabel is a small label as a renderer would draw it: a frame, a
// Code 128 barcode of value at dotsPerModule, the value in text, a flat grey
// box and a grey ramp (for the ditherer), on white.
func syntheticLabel(t testing.TB, value string, dotsPerModule float64) *image.RGBA {
	t.Helper()
	const w, h = 760, 560
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	black := image.NewUniform(color.Black)
	for _, r := range []image.Rectangle{{image.Pt(8, 8), image.Pt(w-8, 12)}, {image.Pt(8, h-12), image.Pt(w-8, h-8)},
		{image.Pt(8, 8), image.Pt(12, h-8)}, {image.Pt(w-12, 8), image.Pt(w-8, h-8)}} {
		draw.Draw(img, r, black, image.Point{}, draw.Src)
	}
	mods := barcodeModules(t, value)
	bw := int(float64(len(mods)) * dotsPerModule)
	drawBarcode(img, mods, (w-bw)/2, 40, dotsPerModule, 160)
	drawText(img, value, (w-7*3*len(value))/2, 215, 3)
	draw.Draw(img, image.Rect(40, 290, 340, 420), image.NewUniform(color.Gray{128}), image.Point{}, draw.Src)
	for x := 380; x < 720; x++ {
		v := uint8((x - 380) * 255 / 340)
		draw.Draw(img, image.Rect(x, 290, x+1, 420), image.NewUniform(color.Gray{v}), image.Point{}, draw.Src)
	}
	drawText(img, "THERMAL TEST 0123", 40, 450, 4)
	return img
}

// writePNG saves img under dir and returns its path.
func writePNG(t testing.TB, dir, name string, img image.Image) string {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// requireTool fails (not skips) the test when a program the test suite
// needs is missing: scripts/setup.sh installs all of them.
func requireTool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: install the Debian package %s (make setup / scripts/setup.sh)", name, pkg)
	}
	return p
}

// zbarimg returns the values zbarimg reads in the image, one per line.
func zbarimg(t testing.TB, path string) []string {
	t.Helper()
	bin := requireTool(t, "zbarimg", "zbar-tools")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--raw", "-q", path).Output()
	if err != nil {
		// Exit status 4 means "no symbol found": an empty answer, not a failure.
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 4 {
			t.Fatalf("zbarimg %s: %v", path, err)
		}
	}
	var vals []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			vals = append(vals, l)
		}
	}
	return vals
}

// outDir is where tests leave images for a person to look at: a temp dir,
// or $THERMAL_TEST_OUT when set.
func outDir(t testing.TB) string {
	if d := os.Getenv("THERMAL_TEST_OUT"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}
