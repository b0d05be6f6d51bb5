package queue

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/boombuler/barcode/code128"
)

// testLabelHTML is the test print of a printer: a frame on the label's
// edges (a side that is cut off shows the offset to correct), millimetre
// rulers along the top and left edges with a number every 10 mm (read off
// where the print starts), a cross at the centre, the settings in words,
// and a Code 128 barcode of code to try the scanner on.
func testLabelHTML(p Printer, code string) string {
	w, h := p.Size.WidthMM, p.Size.HeightMM
	var ruler strings.Builder
	tick := func(i int) float64 {
		switch {
		case i%10 == 0:
			return 5
		case i%5 == 0:
			return 3
		}
		return 1.5
	}
	for i := 1; float64(i) < w; i++ {
		fmt.Fprintf(&ruler, `<line x1="%d" y1="0" x2="%d" y2="%g"/>`, i, i, tick(i))
		if i%10 == 0 {
			fmt.Fprintf(&ruler, `<text x="%d" y="8" text-anchor="middle">%d</text>`, i, i)
		}
	}
	for i := 1; float64(i) < h; i++ {
		fmt.Fprintf(&ruler, `<line x1="0" y1="%d" x2="%g" y2="%d"/>`, i, tick(i), i)
		if i%10 == 0 {
			fmt.Fprintf(&ruler, `<text x="6" y="%g" dominant-baseline="middle">%d</text>`, float64(i), i)
		}
	}
	cx, cy := w/2, h/2
	fmt.Fprintf(&ruler, `<line x1="%g" y1="%g" x2="%g" y2="%g"/><line x1="%g" y1="%g" x2="%g" y2="%g"/>`,
		cx-5, cy, cx+5, cy, cx, cy-5, cx, cy+5)

	settings := fmt.Sprintf("%s mm · %s", p.Size, p.Language)
	if p.Language.Thermal() {
		settings += fmt.Sprintf(" · %d dpi", p.DPI)
	}
	adjust := fmt.Sprintf("offset %g, %g mm · rotate %d°", p.OffsetXMM, p.OffsetYMM, p.Rotate)
	return fmt.Sprintf(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>test %[1]s</title><style>
@page { size: %[2]gmm %[3]gmm; margin: 0 }
* { box-sizing: border-box; margin: 0; padding: 0 }
html, body { width: %[2]gmm; height: %[3]gmm; overflow: hidden; background: #fff; color: #000 }
body { position: relative; font-family: "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", sans-serif; font-size: 3.2mm }
.frame { position: absolute; inset: 0; border: 0.5mm solid #000 }
svg.ruler { position: absolute; left: 0; top: 0; width: %[2]gmm; height: %[3]gmm }
svg.ruler line { stroke: #000; stroke-width: 0.25 }
svg.ruler text { font-size: 2.6px; font-family: sans-serif }
.info { position: absolute; left: 12mm; right: 6mm; top: 14mm; line-height: 1.5 }
.info h1 { font-size: 5mm; margin-bottom: 1mm }
.code { position: absolute; left: 0; right: 0; bottom: 12mm; text-align: center; font-size: 3.5mm; letter-spacing: 0.4mm }
.code svg { display: block; margin: 0 auto 1mm }
</style></head><body>
<div class="frame"></div>
<svg class="ruler" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %[2]g %[3]g" shape-rendering="crispEdges">%[4]s</svg>
<div class="info"><h1>测试页 Test print</h1><div>%[5]s</div><div>%[6]s</div><div>%[7]s</div><div>%[8]s</div></div>
<div class="code">%[9]s<div>%[1]s</div></div>
</body></html>`,
		html.EscapeString(code), w, h, ruler.String(), html.EscapeString(p.Name), html.EscapeString(settings),
		html.EscapeString(adjust), time.Now().Format("2006-01-02 15:04:05"), barcodeSVG(code, p))
}

// barcodeSVG draws code as Code 128 with modules of three printer dots (one
// CSS pixel or so for PDF), which every scanner reads, and a quiet zone of
// ten modules.
func barcodeSVG(code string, p Printer) string {
	bc, err := code128.Encode(code)
	if err != nil {
		return "" // test codes are ASCII; nothing to draw otherwise
	}
	moduleMM := 0.375
	if p.Language.Thermal() && p.DPI > 0 {
		moduleMM = 3 * 25.4 / float64(p.DPI)
	}
	const quiet = 10
	n := bc.Bounds().Dx()
	var rects strings.Builder
	for x := 0; x < n; {
		if r, _, _, _ := bc.At(x, 0).RGBA(); r != 0 {
			x++
			continue
		}
		run := 1
		for x+run < n {
			if r, _, _, _ := bc.At(x+run, 0).RGBA(); r != 0 {
				break
			}
			run++
		}
		fmt.Fprintf(&rects, `<rect x="%d" y="0" width="%d" height="1"/>`, x+quiet, run)
		x += run
	}
	total := n + 2*quiet
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%gmm" height="15mm" viewBox="0 0 %d 1" `+
		`preserveAspectRatio="none" shape-rendering="crispEdges"><g fill="#000">%s</g></svg>`,
		float64(total)*moduleMM, total, rects.String())
}
