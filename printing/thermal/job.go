package thermal

import (
	"fmt"
	"math"
	"strconv"
)

// Job holds the print settings that go with a bitmap. Zero fields mean "the
// printer's own setting" (or 1 copy), so a zero Job prints with whatever the
// printer was calibrated to. Each encoder documents which fields it uses.
type Job struct {
	// WidthMM and HeightMM are the label stock's size (TSPL SIZE). When 0
	// they are worked out from the bitmap and DPI.
	WidthMM, HeightMM float64
	// DPI is the print head's resolution, 203 or 300 on label printers.
	// Only needed to work out a missing label size.
	DPI float64
	// Copies is how many labels to print; 0 means 1.
	Copies int
	// Density is the darkness: TSPL DENSITY 1..15, ZPL ~SD 1..30. 0 keeps
	// the printer's setting.
	Density int
	// Speed is the print speed in inches per second: TSPL SPEED, ZPL ^PR,
	// 1..14. 0 keeps the printer's setting.
	Speed int
	// GapMM is the gap between labels (TSPL GAP). 0 keeps the gap the
	// printer measured when it calibrated, which is right for nearly all
	// courier stock.
	GapMM float64
}

// Limits of Job fields that no printer accepts beyond.
const (
	maxCopies    = 10000
	maxTSPLDense = 15
	maxZPLDense  = 30
	maxSpeed     = 14
	maxLabelMM   = 2000
	maxGapMM     = 50
)

// validate checks the fields common to all languages.
func (j Job) validate(maxDensity int) error {
	switch {
	case j.Copies < 0 || j.Copies > maxCopies:
		return fmt.Errorf("%w: copies %d outside 0..%d", ErrMalformed, j.Copies, maxCopies)
	case j.Density < 0 || j.Density > maxDensity:
		return fmt.Errorf("%w: density %d outside 0..%d", ErrMalformed, j.Density, maxDensity)
	case j.Speed < 0 || j.Speed > maxSpeed:
		return fmt.Errorf("%w: speed %d outside 0..%d", ErrMalformed, j.Speed, maxSpeed)
	case !(j.GapMM >= 0 && j.GapMM <= maxGapMM):
		return fmt.Errorf("%w: gap %v mm outside 0..%d", ErrMalformed, j.GapMM, maxGapMM)
	case !(j.WidthMM >= 0 && j.WidthMM <= maxLabelMM) || !(j.HeightMM >= 0 && j.HeightMM <= maxLabelMM):
		return fmt.Errorf("%w: label size %vx%v mm outside 0..%d", ErrMalformed, j.WidthMM, j.HeightMM, maxLabelMM)
	case !(j.DPI >= 0 && j.DPI <= 2400):
		return fmt.Errorf("%w: dpi %v outside 0..2400", ErrMalformed, j.DPI)
	}
	return nil
}

// copies is Copies with 0 read as 1.
func (j Job) copies() int { return max(j.Copies, 1) }

// formatMM writes a length with at most two decimals and no trailing zeros:
// "100", "76.5", "2.25". TSPL reads decimals in SIZE and GAP.
func formatMM(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}
