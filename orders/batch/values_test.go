package batch

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParsePhone(t *testing.T) {
	tests := []struct {
		c           cell
		mobile, tel string
		err         string
	}{
		{cell{text: "13812345678"}, "13812345678", "", ""},
		{cell{text: "'13812345678"}, "13812345678", "", ""},
		{cell{text: `="13812345678"`}, "13812345678", "", ""},
		{cell{text: "+86 138 1234 5678"}, "13812345678", "", ""},
		{cell{text: "\t13812345678 "}, "13812345678", "", ""},
		{cell{text: "020-77777777"}, "", "020-77777777", ""},
		{cell{text: "17012345678转1234"}, "", "17012345678-1234", ""},
		{cell{text: "1.38123E+10"}, "", "", "scientific notation"},
		{cell{text: "1.38123E+10", raw: "13812345678", number: true}, "13812345678", "", ""},
		{cell{text: "13812345678", raw: "1.3812345678E10", number: true}, "", "", "scientific notation"},
		{cell{text: "138****5678"}, "", "", "masked"},
		{cell{text: "abc"}, "", "", "not a phone number"},
		{cell{text: ""}, "", "", ""},
	}
	for _, tt := range tests {
		m, tel, err := parsePhone(tt.c)
		if m != tt.mobile || tel != tt.tel || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("parsePhone(%+v) = %q, %q, %v; want %q, %q, %q", tt.c, m, tel, err, tt.mobile, tt.tel, tt.err)
		}
	}
}

func TestParseNumbers(t *testing.T) {
	for in, want := range map[string]int64{"50": 5000, "19.99": 1999, "¥1,234.5": 123450, "0.1元": 10, "￥ 8": 800} {
		if got, ok, err := parseFen(cell{text: in}); err != nil || !ok || got != want {
			t.Errorf("parseFen(%q) = %d, %v, %v; want %d", in, got, ok, err, want)
		}
	}
	if got, _, err := parseFen(cell{text: "19.9", raw: "19.900000000000002", number: true}); err != nil || got != 1990 {
		t.Errorf("float noise: %d %v", got, err)
	}
	for _, bad := range []string{"abc", "1.234", "-5"} {
		if _, _, err := parseFen(cell{text: bad}); err == nil {
			t.Errorf("parseFen(%q) accepted", bad)
		}
	}
	for in, want := range map[string]float64{"1.2": 1.2, "1.2kg": 1.2, "500g": 0.5, "3 公斤": 3, "2斤": 1} {
		if got, ok, err := parseDecimal(cell{text: in}, kgUnits, "kg"); err != nil || !ok || got != want {
			t.Errorf("parseDecimal(%q) = %v, %v, %v; want %v", in, got, ok, err, want)
		}
	}
	for _, bad := range []string{"abc", "1.2.3", "-1", "NaN"} {
		if _, _, err := parseDecimal(cell{text: bad}, kgUnits, "kg"); err == nil {
			t.Errorf("parseDecimal(%q) accepted", bad)
		}
	}
	for in, want := range map[string]int{"2": 2, "2.0": 2, "3件": 3} {
		if got, _, err := parseCount(cell{text: in}); err != nil || got != want {
			t.Errorf("parseCount(%q) = %d %v", in, got, err)
		}
	}
	for _, bad := range []string{"0", "1.5", "两"} {
		if _, _, err := parseCount(cell{text: bad}); err == nil {
			t.Errorf("parseCount(%q) accepted", bad)
		}
	}
}

func TestParseTime(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	want := time.Date(2026, 11, 22, 15, 0, 0, 0, cst)
	for _, c := range []cell{
		{text: "2026-11-22 15:00"}, {text: "2026/11/22 15:00:00"}, {text: "2026年11月22日 15:00"},
		{text: "11/22/26 15:00", raw: "46348.625", number: true}, // an Excel date cell
		{text: "1795330800"},
	} {
		got, ok, err := parseTime(c, cst)
		if err != nil || !ok || !got.Equal(want) {
			t.Errorf("parseTime(%+v) = %v, %v, %v; want %v", c, got, ok, err, want)
		}
	}
}

func TestParseID(t *testing.T) {
	for _, tt := range []struct {
		c    cell
		want string
		err  string
	}{
		{cell{text: `="3012345678901234567"`}, "3012345678901234567", ""},
		{cell{text: "3012345678901234567"}, "3012345678901234567", ""},
		{cell{text: "3.01235E+18"}, "", "scientific"},
		{cell{text: "3012345678901234567", raw: "3012345678901234567", number: true}, "", "15 digits"},
		{cell{text: "12345", raw: "12345", number: true}, "12345", ""},
	} {
		got, err := parseID(tt.c)
		if got != tt.want || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("parseID(%+v) = %q, %v", tt.c, got, err)
		}
	}
}

func TestDecodeText(t *testing.T) {
	for _, tt := range []struct {
		in   []byte
		want string
	}{
		{[]byte("\ufeff订单"), "UTF-8 BOM"},
		{[]byte("订单"), "UTF-8"},
		{[]byte{0xb6, 0xa9, 0xb5, 0xa5}, "GB18030"},            // 订单 in GBK
		{append([]byte("订单"), []byte("号")[:2]...), "UTF-8"},    // cut inside a character
		{[]byte{0xff, 0xfe, 0xa2, 0x8b, 0x55, 0x53}, "UTF-16"}, // 订单 in UTF-16LE
	} {
		r, enc := decodeText(tt.in)
		text, err := io.ReadAll(r)
		if err != nil || enc != tt.want || !strings.HasPrefix(string(text), "订单") {
			t.Errorf("decodeText(% x) = %q, %q, %v; want %s", tt.in, text, enc, err, tt.want)
		}
	}
}

func TestContentOrderID(t *testing.T) {
	a, b := ContentOrderID("x", 1), ContentOrderID("x", 2)
	if a == b || a != ContentOrderID("x", 1) || len(a) != 19 || !strings.HasPrefix(a, "IMP") {
		t.Fatalf("%s %s", a, b)
	}
}

func TestWriteTemplate(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTemplate(&buf); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(strings.TrimPrefix(buf.String(), "\ufeff")); got != strings.Join(templateHeader(), ",") {
		t.Fatalf("template %q", got)
	}
}

func TestColumnLetter(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 27: "AB", 701: "ZZ", 702: "AAA"} {
		if got := columnLetter(i); got != want {
			t.Errorf("columnLetter(%d) = %s, want %s", i, got, want)
		}
	}
}
