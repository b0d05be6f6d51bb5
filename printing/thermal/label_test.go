package thermal

import (
	"fmt"
	"image"
	"testing"
)

// TestLabelScansAfterEachLanguage rasterises a label with a Code 128
// barcode (3 dots per module, as on a real 203-dpi waybill), text and grey
// areas, sends it through every printer language and back, and checks that
// zbarimg reads the barcode from what the printer would print.
func TestLabelScansAfterEachLanguage(t *testing.T) {
	dir := outDir(t)
	src := syntheticLabel(t, testWaybill, 3)
	opts := RasterOptions{Dither: true, WidthDots: 832, OffsetXDots: 16, OffsetYDots: -4}
	bm := FromImage(src, opts)
	if bm.Width != 832 || bm.Height != src.Bounds().Dy() {
		t.Fatalf("bitmap %dx%d", bm.Width, bm.Height)
	}
	// The offsets moved the frame's top-left corner from (8, 8) to (24, 4).
	if !bm.Black(24, 4) || bm.Black(23, 4) || bm.Black(24, 3) {
		t.Fatalf("offsets not applied at the frame corner")
	}
	job := Job{DPI: 203.2, Copies: 1, Density: 10, Speed: 4, GapMM: 2}
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
			p := writePNG(t, dir, fmt.Sprintf("label-%s.png", c.name), got.Image())
			if vals := zbarimg(t, p); len(vals) != 1 || vals[0] != testWaybill {
				t.Fatalf("zbarimg read %q from %s, want %q", vals, p, testWaybill)
			}
			t.Logf("%s: %d bytes for a %dx%d label", c.name, len(data), bm.Width, bm.Height)
		})
	}
}

// TestLabelRotatedScans prints the label sideways (landscape stock) and
// checks that rotating what the printer gets back gives the upright label,
// and that the barcode scans. (Without dithering: a dither pattern depends
// on the direction it is computed in.)
func TestLabelRotatedScans(t *testing.T) {
	src := syntheticLabel(t, testWaybill, 3)
	bm := FromImage(src, RasterOptions{Rotate: 90})
	if bm.Width != src.Bounds().Dy() || bm.Height != src.Bounds().Dx() {
		t.Fatalf("rotated %dx%d", bm.Width, bm.Height)
	}
	data, err := EncodeZPL(bm, Job{}, ZPLOptions{Form: ZPLZ64})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := DecodeZPL(data)
	if err != nil {
		t.Fatal(err)
	}
	back := FromImage(got.Image(), RasterOptions{Rotate: 270})
	if !back.Equal(FromImage(src, RasterOptions{})) {
		t.Fatal("rotating back does not give the unrotated label")
	}
	p := writePNG(t, outDir(t), "label-rotated.png", image.Image(got.Image()))
	if vals := zbarimg(t, p); len(vals) != 1 || vals[0] != testWaybill {
		t.Fatalf("zbarimg read %q, want %q", vals, testWaybill)
	}
}
