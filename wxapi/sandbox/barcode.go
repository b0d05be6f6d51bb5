package sandbox

import (
	"fmt"
	"html/template"
	"image"
	"strings"

	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/qr"
)

// Barcodes are inline SVG in millimetres: the label has no external
// resources, and vectors stay sharp at any printer resolution. Every run of
// dark modules is one rectangle of a single <path>, with crispEdges so
// rasterisers do not blur bar edges into grey. One path instead of an
// element per bar: a QR code has some 300 runs, and 300 elements make the
// label measurably slower to lay out and print (about 10% of a label).

// Module widths are whole dots of a 203-dpi thermal printer (0.125 mm), the
// common label printer, so bars do not jitter by a dot: 4 dots when the code
// fits, else 3 dots; both are above the 0.33 mm that scanners read reliably.
var moduleWidths = []float64{0.5, 0.375, 0.33}

// quietModules is the blank margin required on each side of a Code128.
const quietModules = 10

// code128SVG draws value as Code128 no wider than maxWidthMM (quiet zones
// included) and heightMM tall.
func code128SVG(value string, maxWidthMM, heightMM float64, class string) (template.HTML, error) {
	bc, err := code128.Encode(value)
	if err != nil {
		return "", fmt.Errorf("code128 %q: %w", value, err)
	}
	n := bc.Bounds().Dx()
	total := n + 2*quietModules
	module := moduleWidths[len(moduleWidths)-1]
	for _, m := range moduleWidths {
		if float64(total)*m <= maxWidthMM {
			module = m
			break
		}
	}
	var b strings.Builder
	// viewBox units are modules across and 1 unit high; preserveAspectRatio
	// none stretches the height only.
	fmt.Fprintf(&b, `<svg class="%s" xmlns="http://www.w3.org/2000/svg" width="%smm" height="%smm" viewBox="0 0 %d 1" preserveAspectRatio="none" shape-rendering="crispEdges" role="img" aria-label="%s">`,
		class, mm(float64(total)*module), mm(heightMM), total, template.HTMLEscapeString(value))
	b.WriteString(`<rect width="100%" height="1" fill="#fff"/><path d="`)
	for x := 0; x < n; {
		if !dark(bc, x, 0) {
			x++
			continue
		}
		start := x
		for x < n && dark(bc, x, 0) {
			x++
		}
		fmt.Fprintf(&b, `M%d 0h%dv1h-%dz`, start+quietModules, x-start, x-start)
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil
}

// qrSVG draws value as a QR code sizeMM square, with the 4-module quiet zone
// the QR standard asks for.
func qrSVG(value string, sizeMM float64, class string) (template.HTML, error) {
	bc, err := qr.Encode(value, qr.M, qr.Auto)
	if err != nil {
		return "", fmt.Errorf("qr %q: %w", value, err)
	}
	const quiet = 4
	n := bc.Bounds().Dx()
	total := n + 2*quiet
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="%s" xmlns="http://www.w3.org/2000/svg" width="%smm" height="%smm" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="%s">`,
		class, mm(sizeMM), mm(sizeMM), total, total, template.HTMLEscapeString(value))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path d="`, total, total)
	for y := 0; y < n; y++ {
		for x := 0; x < n; {
			if !dark(bc, x, y) {
				x++
				continue
			}
			start := x
			for x < n && dark(bc, x, y) {
				x++
			}
			fmt.Fprintf(&b, `M%d %dh%dv1h-%dz`, start+quiet, y+quiet, x-start, x-start)
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil
}

// dark reports whether the module at (x, y) is a bar.
func dark(img image.Image, x, y int) bool {
	r, g, bl, _ := img.At(x, y).RGBA()
	return r+g+bl < 3*0x8000
}

// mm formats a length without float noise: 62.5, 14, 0.375.
func mm(v float64) string {
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
