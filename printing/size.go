package printing

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Size is a label size in millimetres, width first, as courier label stock is
// sold ("100x180"). Millimetres and not inches or pixels, because the label
// printers and the WeChat templates both speak millimetres.
type Size struct{ WidthMM, HeightMM float64 }

// The label sizes that couriers in China print most. They are variables and not
// constants because Go has no struct constants; treat them as read-only.
var (
	// Size100x180 is the standard e-waybill (电子面单) of SF, JD and most others,
	// and the size a label gets when nobody says otherwise.
	Size100x180 = Size{100, 180}
	// Size76x130 is the narrow two-part waybill some couriers use.
	Size76x130 = Size{76, 130}
	// Size100x150 is the shorter waybill of several express couriers.
	Size100x150 = Size{100, 150}
	// Size100x100 is the square one-part label.
	Size100x100 = Size{100, 100}
)

// The sane range of a label side. Below 20 mm no waybill fits; above 300 mm it
// is no longer a label but a sheet, and the pixel size of a 203-dpi screenshot
// stays far from Chromium's limits.
const (
	minSideMM = 20
	maxSideMM = 300
)

// ErrInvalidSize is the error of a size that is malformed or outside 20..300 mm.
// It is a sentinel so that a settings screen can tell a typo from other errors.
var ErrInvalidSize = errors.New("invalid label size")

// ParseSize reads a size written as WIDTHxHEIGHT in millimetres: "100x180",
// "100X150", "76x130", "80.5x120", "100 x 180", "100×180" and "100x180mm" are
// all accepted, because people type sizes by hand into settings and the WeChat
// console writes them in several ways. It rejects sides outside 20..300 mm.
func ParseSize(s string) (Size, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	in = strings.ReplaceAll(in, "×", "x")
	in = strings.ReplaceAll(in, "*", "x")
	w, h, ok := strings.Cut(in, "x")
	if !ok {
		return Size{}, fmt.Errorf("%w %q: write it as WIDTHxHEIGHT in millimetres, for example 100x180", ErrInvalidSize, s)
	}
	side := func(v string) (float64, error) {
		v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "mm"))
		return strconv.ParseFloat(v, 64)
	}
	wmm, werr := side(w)
	hmm, herr := side(h)
	if werr != nil || herr != nil {
		return Size{}, fmt.Errorf("%w %q: write it as WIDTHxHEIGHT in millimetres, for example 100x180", ErrInvalidSize, s)
	}
	sz := Size{wmm, hmm}
	if err := sz.validate(); err != nil {
		return Size{}, err
	}
	return sz, nil
}

// String writes the size the way ParseSize reads it, such as "100x180", so a
// size can round-trip through settings files and log lines.
func (s Size) String() string {
	return strconv.FormatFloat(s.WidthMM, 'f', -1, 64) + "x" + strconv.FormatFloat(s.HeightMM, 'f', -1, 64)
}

// validate checks the range. It is written with negations so that NaN, which
// ParseFloat accepts, fails too.
func (s Size) validate() error {
	inRange := func(v float64) bool { return v >= minSideMM && v <= maxSideMM }
	if !inRange(s.WidthMM) || !inRange(s.HeightMM) {
		return fmt.Errorf("%w %s: each side must be between %d and %d mm", ErrInvalidSize, s, minSideMM, maxSideMM)
	}
	return nil
}

// inches converts for the PDF paper size, which the DevTools protocol takes in
// inches.
func (s Size) inches() (w, h float64) { return s.WidthMM / 25.4, s.HeightMM / 25.4 }

// cssPixels is the size in whole CSS pixels (96 per inch), the unit of the
// viewport. Rounding, not truncating, keeps 100x180 at 378x680, which at 203 dpi
// gives the 799x1438 dots of a real 8-dot/mm print head.
func (s Size) cssPixels() (w, h int64) {
	return int64(math.Round(s.WidthMM / 25.4 * 96)), int64(math.Round(s.HeightMM / 25.4 * 96))
}

// pageSizeRe finds the size of a template's @page rule, e.g.
// "@page { size: 76mm 130mm; margin: 0 }", in mm, cm or inches.
var pageSizeRe = regexp.MustCompile(`(?is)@page\s*\{[^}]*?\bsize\s*:\s*([0-9]+(?:\.[0-9]+)?)\s*(mm|cm|in)\s+([0-9]+(?:\.[0-9]+)?)\s*(mm|cm|in)`)

// PageSize reads the label size a template asks for in its own @page rule;
// ok is false when it has none, names a paper (A4) instead, or asks for a
// size outside 20..300 mm. A PDF render of the label takes this size (see
// Renderer.PDF).
func PageSize(html string) (size Size, ok bool) {
	m := pageSizeRe.FindStringSubmatch(html)
	if m == nil {
		return Size{}, false
	}
	mm := func(v, unit string) float64 {
		f, _ := strconv.ParseFloat(v, 64)
		switch strings.ToLower(unit) {
		case "cm":
			f *= 10
		case "in":
			f *= 25.4
		}
		return math.Round(f*100) / 100 // 4in is 101.6 mm, not 101.60000000000001
	}
	size = Size{mm(m[1], m[2]), mm(m[3], m[4])}
	if size.validate() != nil {
		return Size{}, false
	}
	return size, true
}

// SizeOf is a label's own size: its @page size, else Size100x180, the size
// a label gets when nobody says otherwise.
func SizeOf(html string) Size {
	if s, ok := PageSize(html); ok {
		return s
	}
	return Size100x180
}
