package ui

import (
	"testing"
	"time"
)

func TestParseYuanIsExactInFen(t *testing.T) {
	for _, tc := range []struct {
		in   string
		fen  int64
		fail bool
	}{
		{"12.34", 1234, false},
		{"12.3", 1230, false},
		{"12", 1200, false},
		{"0.01", 1, false},
		{"0.29", 29, false}, // 0.29*100 is 28.999999999999996 as a float
		{"1.15", 115, false},
		{"19.99", 1999, false},
		{".5", 50, false},
		{"12.", 1200, false},
		{"¥8.80", 880, false},
		{"８．８", 880, false}, // full-width, as a Chinese IME types it
		{" 100 元", 10000, false},
		{"", 0, false},
		{"12.345", 0, true},
		{"-1", 0, true},
		{"abc", 0, true},
		{"1,000", 0, true},
		{"1e3", 0, true},
		{".", 0, true},
		{"1.2.3", 0, true},
		{"9999999999999", 0, true},
	} {
		fen, err := parseYuan(tc.in)
		if (err != nil) != tc.fail || fen != tc.fen {
			t.Errorf("parseYuan(%q) = %d, %v; want %d, fail=%v", tc.in, fen, err, tc.fen, tc.fail)
		}
	}
}

func TestParseDecimalAndCount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		v    float64
		fail bool
	}{
		{"1.25", 1.25, false}, {"0.5", 0.5, false}, {"3", 3, false}, {"", 0, false}, {"１.５", 1.5, false},
		{"-1", 0, true}, {"abc", 0, true}, {"1e3", 0, true}, {"Inf", 0, true}, {"NaN", 0, true}, {"1.2.3", 0, true}, {".", 0, true},
	} {
		v, err := parseDecimal(tc.in)
		if (err != nil) != tc.fail || v != tc.v {
			t.Errorf("parseDecimal(%q) = %v, %v; want %v, fail=%v", tc.in, v, err, tc.v, tc.fail)
		}
	}
	for _, tc := range []struct {
		in   string
		n    int
		fail bool
	}{
		{"2", 2, false}, {"", 1, false}, {"０３", 3, false}, {"1.5", 0, true}, {"-2", 0, true}, {"x", 0, true},
	} {
		n, err := parseCount(tc.in, 1)
		if (err != nil) != tc.fail || n != tc.n {
			t.Errorf("parseCount(%q) = %v, %v; want %v, fail=%v", tc.in, n, err, tc.n, tc.fail)
		}
	}
}

func TestParsePickup(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	want := time.Date(2026, 11, 23, 15, 0, 0, 0, loc).Unix()
	for _, in := range []string{"2026-11-23 15:00", "2026/11/23 15:00", "2026-11-23 15:00:00", "2026-11-23 15：00"} {
		if got, err := parsePickup(in, loc); err != nil || got != want {
			t.Errorf("parsePickup(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "tomorrow", "2026-13-01 10:00", "15:00"} {
		if _, err := parsePickup(in, loc); err == nil {
			t.Errorf("parsePickup(%q) accepted", in)
		}
	}
}
