package sandbox

import (
	"fmt"
	"strings"
)

// LabelSize is a label stock the sandbox renders e-waybills for, "WxH" in
// millimetres. getOrder has no parameter for it (WeChat's label size is a
// setting of the courier account), so the sandbox takes it from the
// account's or courier's setting (POST /sandbox/label_size), else from
// Options.LabelSize.
type LabelSize string

// The label stocks of Chinese e-waybills the sandbox prints.
const (
	// LabelSize100x180 is the standard 二联单 stock: a delivery part and a
	// tear-off customer part (or one tall part for print_type 1).
	LabelSize100x180 LabelSize = "100x180"
	// LabelSize76x130 is the compact 一联单 stock of 通达系 franchise
	// couriers; it is always one part, whatever print_type asks.
	LabelSize76x130 LabelSize = "76x130"
)

// ParseLabelSize accepts "100x180" or "76x130" (also written with * or ×).
func ParseLabelSize(s string) (LabelSize, error) {
	norm := strings.NewReplacer("*", "x", "×", "x", "X", "x", " ", "", "mm", "").Replace(strings.TrimSpace(s))
	z := LabelSize(norm)
	if err := z.Validate(); err != nil {
		return "", err
	}
	return z, nil
}

// Validate reports a size the sandbox has no template for.
func (z LabelSize) Validate() error {
	switch z {
	case LabelSize100x180, LabelSize76x130:
		return nil
	}
	return fmt.Errorf("label size %q: want %s or %s", string(z), LabelSize100x180, LabelSize76x130)
}

// widthMM and heightMM are the page size.
func (z LabelSize) widthMM() int {
	if z == LabelSize76x130 {
		return 76
	}
	return 100
}

func (z LabelSize) heightMM() int {
	if z == LabelSize76x130 {
		return 130
	}
	return 180
}
