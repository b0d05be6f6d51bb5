package printing

import (
	"errors"
	"testing"
)

func TestParseSize(t *testing.T) {
	good := []struct {
		in   string
		want Size
	}{
		{"100x180", Size100x180},
		{"76x130", Size76x130},
		{"100X150", Size100x150},
		{"100x100", Size100x100},
		{"80x120", Size{80, 120}},
		{" 100 x 180 ", Size100x180},
		{"100×180", Size100x180},
		{"100x180mm", Size100x180},
		{"80.5x120", Size{80.5, 120}},
		{"20x300", Size{20, 300}},
	}
	for _, tt := range good {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseSize(%q) = %v, want %v", tt.in, got, tt.want)
			}
			if back, err := ParseSize(got.String()); err != nil || back != got {
				t.Errorf("String %q does not round-trip: %v, %v", got.String(), back, err)
			}
		})
	}

	bad := []string{"", "abc", "100", "100x", "x180", "0x10", "-5x10", "10x10", "2000x10", "100x301", "NaNx100", "100xInf", "1e3x100", "100x180x2"}
	for _, in := range bad {
		t.Run("bad "+in, func(t *testing.T) {
			_, err := ParseSize(in)
			if !errors.Is(err, ErrInvalidSize) {
				t.Fatalf("ParseSize(%q) err = %v, want ErrInvalidSize", in, err)
			}
			t.Log(err)
		})
	}
}

func TestSizeString(t *testing.T) {
	for _, tt := range []struct {
		s    Size
		want string
	}{
		{Size100x180, "100x180"},
		{Size76x130, "76x130"},
		{Size{80.5, 120}, "80.5x120"},
	} {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestSizeCSSPixels(t *testing.T) {
	// 100 mm at 96 CSS px/in is 377.95 px: the viewport is 378 wide, which at
	// 203 dpi (scale 203/96) makes the 799 dots of an 8-dot/mm head.
	w, h := Size100x180.cssPixels()
	if w != 378 || h != 680 {
		t.Errorf("100x180 = %dx%d CSS px, want 378x680", w, h)
	}
}

func TestPageSize(t *testing.T) {
	for _, tt := range []struct {
		html string
		want Size
		ok   bool
	}{
		{`<style>@page { size: 76mm 130mm; margin: 0 }</style>`, Size76x130, true},
		{`<style>@page{margin:0;size:100mm 180mm}</style>`, Size100x180, true},
		{`<style>@PAGE { SIZE: 10cm 15cm }</style>`, Size100x150, true},
		{`<style>@page { size: 4in 6in }</style>`, Size{101.6, 152.4}, true},
		{`<style>@page { size: A4 }</style>`, Size{}, false},
		{`<style>@page { margin: 0 } .box { size: 3mm 3mm }</style>`, Size{}, false},
		{`<style>@page { size: 5mm 5mm }</style>`, Size{}, false}, // no label is that small
		{`<p>no CSS</p>`, Size{}, false},
	} {
		got, ok := PageSize(tt.html)
		if ok != tt.ok || got != tt.want {
			t.Errorf("PageSize(%q) = %v, %v; want %v, %v", tt.html, got, ok, tt.want, tt.ok)
		}
	}
	if SizeOf("<p>x</p>") != Size100x180 || SizeOf(`@page{size:76mm 130mm}`) != Size76x130 {
		t.Error("SizeOf does not fall back to 100x180 or take the @page size")
	}
}
