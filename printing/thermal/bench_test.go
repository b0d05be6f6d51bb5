package thermal

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"os"
	"sync"
	"testing"
	"time"
)

// Benchmarks of one 100 x 180 mm label at 203 dpi (799 x 1438 dots on an
// 832-dot head). Each prints a `bench: <name> <value> <unit>` line when the
// run ends (make bench collects them) and reports the same value with
// b.ReportMetric.

// benchResults keeps the last (largest b.N) value of each benchmark, printed
// by TestMain after all benchmarks ran, so each name is printed once.
var benchResults struct {
	sync.Mutex
	names []string
	lines map[string]string
}

func record(b *testing.B, name string, value float64, unit string) {
	b.ReportMetric(value, unit)
	benchResults.Lock()
	defer benchResults.Unlock()
	if benchResults.lines == nil {
		benchResults.lines = map[string]string{}
	}
	if _, ok := benchResults.lines[name]; !ok {
		benchResults.names = append(benchResults.names, name)
	}
	format := "bench: %s %.3g %s"
	if value >= 1000 {
		format = "bench: %s %.0f %s"
	}
	benchResults.lines[name] = fmt.Sprintf(format, name, value, unit)
}

func TestMain(m *testing.M) {
	code := m.Run()
	benchResults.Lock()
	for _, n := range benchResults.names {
		fmt.Println(benchResults.lines[n])
	}
	benchResults.Unlock()
	os.Exit(code)
}

var (
	benchOnce sync.Once
	benchImg  *image.RGBA
)

// benchLabel is a full-size label: two copies of the synthetic label
// (barcode, text, grey areas) on a 799 x 1438 white page, like a waybill's
// two parts, as the renderer's PNG decodes (RGBA).
func benchLabel(tb testing.TB) *image.RGBA {
	benchOnce.Do(func() {
		img := image.NewRGBA(image.Rect(0, 0, DotsForMM(100, 203), DotsForMM(180, 203)-1))
		draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
		part := syntheticLabel(tb, testWaybill, 3)
		draw.Draw(img, part.Bounds().Add(image.Pt(20, 20)), part, image.Point{}, draw.Src)
		draw.Draw(img, part.Bounds().Add(image.Pt(20, 700)), part, image.Point{}, draw.Src)
		draw.Draw(img, image.Rect(20, 1300, 780, 1303), image.NewUniform(color.Black), image.Point{}, draw.Src)
		benchImg = img
	})
	return benchImg
}

func benchBitmap(tb testing.TB) *Bitmap {
	return FromImage(benchLabel(tb), RasterOptions{WidthDots: 832})
}

func perLabelMS(b *testing.B) float64 {
	return float64(b.Elapsed()) / float64(time.Millisecond) / float64(b.N)
}

func benchEncode(b *testing.B, name string, encode func(*Bitmap) ([]byte, error)) {
	bm := benchBitmap(b)
	var size int
	b.ReportAllocs()
	for b.Loop() {
		data, err := encode(bm)
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	record(b, name+"_encode_ms", perLabelMS(b), "ms/label")
	record(b, name+"_bytes", float64(size), "bytes/label")
}

func BenchmarkEncodeTSPL(b *testing.B) {
	benchEncode(b, "tspl", func(bm *Bitmap) ([]byte, error) { return EncodeTSPL(bm, Job{WidthMM: 100, HeightMM: 180}) })
}

func BenchmarkEncodeZPLHex(b *testing.B) {
	benchEncode(b, "zpl_hex", func(bm *Bitmap) ([]byte, error) { return EncodeZPL(bm, Job{}, ZPLOptions{}) })
}

func BenchmarkEncodeZPLZ64(b *testing.B) {
	benchEncode(b, "zpl_z64", func(bm *Bitmap) ([]byte, error) { return EncodeZPL(bm, Job{}, ZPLOptions{Form: ZPLZ64}) })
}

func BenchmarkEncodeESCPOS(b *testing.B) {
	benchEncode(b, "escpos", func(bm *Bitmap) ([]byte, error) { return EncodeESCPOS(bm, Job{}, ESCPOSOptions{Cut: true}) })
}

func benchFromImage(b *testing.B, name string, opts RasterOptions) {
	img := benchLabel(b)
	b.ReportAllocs()
	for b.Loop() {
		FromImage(img, opts)
	}
	record(b, name+"_ms", perLabelMS(b), "ms/label")
}

func BenchmarkFromImage(b *testing.B) {
	benchFromImage(b, "from_image", RasterOptions{WidthDots: 832})
}

func BenchmarkFromImageDither(b *testing.B) {
	benchFromImage(b, "from_image_dither", RasterOptions{WidthDots: 832, Dither: true})
}

func BenchmarkFromImageRotate90(b *testing.B) {
	benchFromImage(b, "from_image_rotate90", RasterOptions{Rotate: 90})
}
