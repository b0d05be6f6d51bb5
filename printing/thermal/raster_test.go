package thermal

import (
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestDotsForMM(t *testing.T) {
	for _, tc := range []struct {
		mm, dpi float64
		want    int
	}{{100, 203, 799}, {104, 203, 831}, {104, 203.2, 832}, {100, 203.2, 800}, {180, 203, 1439}, {100, 300, 1181}, {25.4, 203, 203}, {0, 203, 0}} {
		if got := DotsForMM(tc.mm, tc.dpi); got != tc.want {
			t.Errorf("DotsForMM(%v, %v) = %d, want %d", tc.mm, tc.dpi, got, tc.want)
		}
	}
}

func TestBitmapHelpers(t *testing.T) {
	b := NewBitmap(10, 3)
	if b.Stride() != 2 || len(b.Bits) != 6 {
		t.Fatalf("stride %d, %d bytes", b.Stride(), len(b.Bits))
	}
	b.Set(0, 0, true)
	b.Set(9, 2, true)
	b.Set(10, 0, true) // outside: ignored
	b.Set(-1, 0, true)
	if !b.Black(0, 0) || !b.Black(9, 2) || b.Black(1, 0) || b.Black(10, 0) || b.BlackDots() != 2 {
		t.Fatalf("bits % x", b.Bits)
	}
	if b.Bits[0] != 0x80 || b.Bits[5] != 0x40 {
		t.Fatalf("bit order: % x", b.Bits)
	}
	img := b.Image()
	if img.GrayAt(0, 0).Y != 0 || img.GrayAt(1, 0).Y != 255 || img.Bounds().Dx() != 10 {
		t.Fatalf("image wrong")
	}
	c := b.Crop(9, 3) // cuts the dot at x=9, which stays in the byte: must be masked
	if c.BlackDots() != 1 || c.Validate() != nil {
		t.Fatalf("crop kept %d dots", c.BlackDots())
	}
	b.Set(0, 0, false)
	if b.Black(0, 0) {
		t.Fatal("Set false did not clear")
	}
}

// imageOf makes a grey image from a bitmap with extra grey levels left alone.
func imageOf(b *Bitmap) *image.Gray { return b.Image() }

// refTransform is the obvious, slow definition of rotation and offset.
func refTransform(src *Bitmap, opts RasterOptions) *Bitmap {
	w, h := src.Width, src.Height
	rot := quarterTurns(opts.Rotate)
	if rot%2 == 1 {
		w, h = h, w
	}
	rotated := NewBitmap(w, h)
	for y := 0; y < src.Height; y++ {
		for x := 0; x < src.Width; x++ {
			if !src.Black(x, y) {
				continue
			}
			switch rot {
			case 0:
				rotated.Set(x, y, true)
			case 1: // clockwise: the top-left corner goes to the top-right
				rotated.Set(src.Height-1-y, x, true)
			case 2:
				rotated.Set(src.Width-1-x, src.Height-1-y, true)
			case 3:
				rotated.Set(y, src.Width-1-x, true)
			}
		}
	}
	ow, oh := opts.WidthDots, opts.HeightDots
	if ow <= 0 {
		ow = w
	}
	if oh <= 0 {
		oh = h
	}
	out := NewBitmap(ow, oh)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if rotated.Black(x, y) {
				out.Set(x+opts.OffsetXDots, y+opts.OffsetYDots, true)
			}
		}
	}
	return out
}

func TestFromImageGeometry(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	src := randomBitmap(r, 23, 11)
	for _, opts := range []RasterOptions{
		{},
		{Rotate: 90}, {Rotate: 180}, {Rotate: 270}, {Rotate: -90}, {Rotate: 450},
		{OffsetXDots: 3, OffsetYDots: 2},
		{OffsetXDots: -5, OffsetYDots: -4},
		{OffsetXDots: 100}, // all off the bitmap
		{WidthDots: 32},    // padded
		{WidthDots: 13, HeightDots: 5},
		{Rotate: 90, OffsetXDots: -2, OffsetYDots: 7, WidthDots: 16, HeightDots: 30},
		{Rotate: 270, OffsetXDots: 4, OffsetYDots: -3, WidthDots: 9},
	} {
		want := refTransform(src, opts)
		for _, dither := range []bool{false, true} {
			o := opts
			o.Dither = dither // black and white input: dithering must change nothing
			if got := FromImage(imageOf(src), o); !got.Equal(want) {
				t.Errorf("FromImage %+v: got %dx%d with %d dots, want %dx%d with %d", o,
					got.Width, got.Height, got.BlackDots(), want.Width, want.Height, want.BlackDots())
			}
		}
	}
}

func TestFromImageRotateDirection(t *testing.T) {
	// A 3x2 image with only its top-left pixel black.
	img := image.NewGray(image.Rect(0, 0, 3, 2))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	img.SetGray(0, 0, color.Gray{0})
	for _, tc := range []struct {
		rot        int
		w, h, x, y int
	}{{0, 3, 2, 0, 0}, {90, 2, 3, 1, 0}, {180, 3, 2, 2, 1}, {270, 2, 3, 0, 2}} {
		b := FromImage(img, RasterOptions{Rotate: tc.rot})
		if b.Width != tc.w || b.Height != tc.h || !b.Black(tc.x, tc.y) || b.BlackDots() != 1 {
			t.Errorf("rotate %d: %dx%d, want %dx%d with the dot at %d,%d", tc.rot, b.Width, b.Height, tc.w, tc.h, tc.x, tc.y)
		}
	}
}

func TestFromImageColourModels(t *testing.T) {
	rect := image.Rect(0, 0, 4, 1)
	nrgba := image.NewNRGBA(rect)
	nrgba.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 255})       // black
	nrgba.SetNRGBA(1, 0, color.NRGBA{0, 0, 0, 0})         // transparent black: paper
	nrgba.SetNRGBA(2, 0, color.NRGBA{255, 0, 0, 255})     // red: luma 76, black
	nrgba.SetNRGBA(3, 0, color.NRGBA{255, 255, 255, 255}) // white
	rgba := image.NewRGBA(rect)
	draw.Draw(rgba, rect, nrgba, image.Point{}, draw.Src)
	pal := image.NewPaletted(rect, color.Palette{color.Black, color.Transparent, color.RGBA{255, 0, 0, 255}, color.White})
	for i := 0; i < 4; i++ {
		pal.SetColorIndex(i, 0, uint8(i))
	}
	cmyk := image.NewCMYK(rect) // read through the generic path
	draw.Draw(cmyk, rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	cmyk.Set(0, 0, color.Black)
	cmyk.Set(2, 0, color.RGBA{255, 0, 0, 255})
	for name, img := range map[string]image.Image{"nrgba": nrgba, "rgba": rgba, "paletted": pal, "cmyk": cmyk} {
		b := FromImage(img, RasterOptions{})
		if !b.Black(0, 0) || b.Black(1, 0) || !b.Black(2, 0) || b.Black(3, 0) {
			t.Errorf("%s: dots % x, want 1010", name, b.Bits)
		}
	}
	// A sub-image starts at its own Min.
	sub := nrgba.SubImage(image.Rect(2, 0, 4, 1))
	if b := FromImage(sub, RasterOptions{}); b.Width != 2 || !b.Black(0, 0) || b.Black(1, 0) {
		t.Errorf("sub-image: %dx%d % x", b.Width, b.Height, b.Bits)
	}
}

func TestFromImageThreshold(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 256, 1))
	for x := 0; x < 256; x++ {
		img.SetGray(x, 0, color.Gray{uint8(x)})
	}
	if n := FromImage(img, RasterOptions{}).BlackDots(); n != 128 {
		t.Errorf("default threshold: %d black, want 128", n)
	}
	if n := FromImage(img, RasterOptions{Threshold: 200}).BlackDots(); n != 200 {
		t.Errorf("threshold 200: %d black, want 200", n)
	}
}

func grayBox(w, h int, v uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.Gray{v}), image.Point{}, draw.Src)
	return img
}

func TestDitherGreys(t *testing.T) {
	for _, tc := range []struct {
		v          uint8
		lo, hi     float64 // share of black dots with dithering
		thresholed float64
	}{
		{128, 0.40, 0.60, 0},
		{100, 0.50, 0.75, 1},
		{190, 0.08, 0.30, 0},
		{20, 1, 1, 1},  // near-black: solid
		{230, 0, 0, 0}, // near-white: blank
		{255, 0, 0, 0},
	} {
		img := grayBox(120, 120, tc.v)
		n := float64(120 * 120)
		d := float64(FromImage(img, RasterOptions{Dither: true}).BlackDots()) / n
		th := float64(FromImage(img, RasterOptions{}).BlackDots()) / n
		if d < tc.lo || d > tc.hi {
			t.Errorf("grey %d dithered: %.2f black, want %.2f..%.2f", tc.v, d, tc.lo, tc.hi)
		}
		if th != tc.thresholed {
			t.Errorf("grey %d thresholded: %.2f black, want %v", tc.v, th, tc.thresholed)
		}
	}
}

// TestDitherKeepsBarcodesCrisp draws a barcode at 2.5 dots per module, so
// that many bar edges are grey as in a browser screenshot, next to a grey
// box. With dithering on, every row of the barcode must be the same as with
// a plain threshold: no dither noise on the bars.
func TestDitherKeepsBarcodesCrisp(t *testing.T) {
	mods := barcodeModules(t, testWaybill)
	const x0, y0, height = 30, 10, 80
	w := int(float64(len(mods))*2.5) + 60
	img := image.NewRGBA(image.Rect(0, 0, w, 200))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	drawBarcode(img, mods, x0, y0, 2.5, height)
	draw.Draw(img, image.Rect(0, y0+height, w, 200), image.NewUniform(color.Gray{140}), image.Point{}, draw.Src)

	greyEdges := 0
	for x := 0; x < w; x++ {
		if v := img.RGBAAt(x, y0).R; v > ditherLow && v < ditherHigh {
			greyEdges++
		}
	}
	if greyEdges < 10 {
		t.Fatalf("only %d grey bar edges: the test image does not test anything", greyEdges)
	}
	plain := FromImage(img, RasterOptions{})
	dith := FromImage(img, RasterOptions{Dither: true})
	for y := y0; y < y0+height-1; y++ { // the last row touches the grey box
		if string(dith.Row(y)) != string(plain.Row(y)) {
			t.Fatalf("row %d of the barcode differs when dithered", y)
		}
	}
	if n := dith.Crop(w, 200).BlackDots() - plain.BlackDots(); n < 1000 {
		t.Fatalf("the grey box got only %d more dots when dithered", n)
	}
	p := writePNG(t, outDir(t), "crisp.png", dith.Image())
	if got := zbarimg(t, p); len(got) != 1 || got[0] != testWaybill {
		t.Fatalf("zbarimg read %q, want %q", got, testWaybill)
	}
}

func TestFromImageTooLarge(t *testing.T) {
	b := FromImage(grayBox(10, 10, 0), RasterOptions{WidthDots: 1 << 20, HeightDots: 1 << 20})
	if err := b.Validate(); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("oversized bitmap: %v", err)
	}
	if _, err := EncodeTSPL(b, Job{DPI: 203}); err == nil {
		t.Fatal("encoded an oversized bitmap")
	}
}
