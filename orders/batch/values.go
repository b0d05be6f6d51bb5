package batch

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"
)

// cleanText trims what exports wrap values in: spaces (also full-width and
// non-breaking), tabs, Taobao's ="…" formula that keeps Excel off long
// numbers, and a leading apostrophe (Excel's "store as text" mark when it
// leaks into the value).
func cleanText(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\u3000' || r == '\ufeff' })
	if strings.HasPrefix(s, `="`) && strings.HasSuffix(s, `"`) && len(s) >= 3 {
		s = s[2 : len(s)-1]
	}
	s = strings.TrimPrefix(s, "'")
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\u3000' })
}

var sciRe = regexp.MustCompile(`^[+-]?\d+(\.\d+)?[eE][+-]?\d+$`)

// errScientific explains the commonest damage a spreadsheet does to an
// export: a long number shown as 1.38123E+10 and saved so, digits lost.
var errScientific = errors.New("is in scientific notation, so Excel has already cut its digits: format the column as text (文本) in the shop export and export again")

// parseID cleans a shop order number. A number cell of more than 15 digits
// or a value in scientific notation has lost digits and is refused: an
// order number that is silently wrong would ship someone else's order.
func parseID(c cell) (string, error) {
	s := cleanText(c.text)
	if s == "" {
		return "", nil
	}
	if sciRe.MatchString(s) || sciRe.MatchString(cleanText(c.raw)) {
		return "", fmt.Errorf("%q %w", s, errScientific)
	}
	if c.number {
		raw := cleanText(c.raw)
		if digits := strings.TrimLeft(strings.TrimSuffix(raw, ".0"), "+-"); len(digits) > 15 {
			return "", fmt.Errorf("%q is stored as a number of more than 15 digits, which Excel cannot hold exactly: format the column as text (文本) and export again", raw)
		}
		return strings.TrimSuffix(raw, ".0"), nil
	}
	return s, nil
}

var (
	mobileRe = regexp.MustCompile(`^1[3-9]\d{9}$`)
	telRe    = regexp.MustCompile(`^\+?[0-9][0-9 ()\-]{4,30}$`)
)

// parsePhone tells a mainland mobile number from a landline (or a privacy
// number with an extension, 17012345678-1234, which couriers dial as a
// landline). It refuses masked numbers and numbers in scientific notation.
func parsePhone(c cell) (mobile, tel string, err error) {
	s := cleanText(c.text)
	if raw := cleanText(c.raw); c.number && raw != "" {
		if sciRe.MatchString(raw) {
			return "", "", fmt.Errorf("%q %w", raw, errScientific)
		}
		s = strings.TrimSuffix(raw, ".0") // the stored number, whatever its display format
	}
	if s == "" {
		return "", "", nil
	}
	if sciRe.MatchString(s) {
		return "", "", fmt.Errorf("%q %w", s, errScientific)
	}
	if strings.ContainsAny(s, "*＊") {
		return "", "", fmt.Errorf("%q is masked: export the orders with the receiver's full phone number (shop back-ends hide it unless asked)", s)
	}
	compact := strings.NewReplacer(" ", "", "-", "", "　", "").Replace(s)
	compact = strings.TrimPrefix(strings.TrimPrefix(compact, "+86"), "0086")
	if len(compact) == 13 && strings.HasPrefix(compact, "86") {
		compact = compact[2:]
	}
	if mobileRe.MatchString(compact) {
		return compact, "", nil
	}
	s = strings.NewReplacer("转", "-", "—", "-", "－", "-").Replace(s)
	if telRe.MatchString(s) {
		return "", s, nil
	}
	return "", "", fmt.Errorf("%q is not a phone number (a mainland mobile has 11 digits starting with 1)", s)
}

// unit is a suffix a number may carry, with the factor to our unit.
type unit struct {
	suffix string
	factor float64
}

var (
	kgUnits = []unit{{"千克", 1}, {"公斤", 1}, {"kg", 1}, {"克", 0.001}, {"g", 0.001}, {"斤", 0.5}}
	cmUnits = []unit{{"厘米", 1}, {"公分", 1}, {"cm", 1}, {"毫米", 0.1}, {"mm", 0.1}}
)

// parseDecimal reads a non-negative number that may carry a unit ("1.2",
// "1.2kg", "500g"). ok is false for an empty cell.
func parseDecimal(c cell, units []unit, unitName string) (v float64, ok bool, err error) {
	s := strings.ToLower(cleanText(c.text))
	if c.number && cleanText(c.raw) != "" {
		s = cleanText(c.raw)
	}
	if s == "" {
		return 0, false, nil
	}
	factor := 1.0
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, factor = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.factor
			break
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false, fmt.Errorf("%q is not a number (%s)", cleanText(c.text), unitName)
	}
	if f < 0 {
		return 0, false, fmt.Errorf("%q is negative", cleanText(c.text))
	}
	return math.Round(f*factor*1000) / 1000, true, nil
}

// parseCount reads a whole quantity ("2", "2.0", "2件"). ok is false for an
// empty cell.
func parseCount(c cell) (n int, ok bool, err error) {
	s := cleanText(c.text)
	if c.number && cleanText(c.raw) != "" {
		s = cleanText(c.raw)
	}
	for _, suf := range []string{"件", "个", "pcs", "盒", "箱", "包"} {
		s = strings.TrimSpace(strings.TrimSuffix(s, suf))
	}
	if s == "" {
		return 0, false, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || f < 1 || f > 1_000_000 {
		return 0, false, fmt.Errorf("%q is not a whole number of at least 1", cleanText(c.text))
	}
	return int(f), true, nil
}

// parseFen reads an amount in yuan ("50", "¥1,234.56", "19.9元") as fen,
// with decimal arithmetic: 19.99 yuan is 1999 fen, not 1998.
func parseFen(c cell) (fen int64, ok bool, err error) {
	s := cleanText(c.text)
	if c.number && cleanText(c.raw) != "" {
		s = cleanText(c.raw)
	}
	s = strings.NewReplacer("¥", "", "￥", "", "元", "", ",", "", "，", "", "RMB", "", "rmb", "").Replace(s)
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false, nil
	}
	bad := fmt.Errorf("%q is not an amount in yuan (元), e.g. 50 or 19.90", cleanText(c.text))
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if len(frac) > 2 {
		// A number cell may carry float noise (19.900000000000002).
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Abs(f*100-math.Round(f*100)) > 1e-6 {
			return 0, false, bad
		}
		return int64(math.Round(f * 100)), true, nil
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	fr, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w < 0 || w > math.MaxInt64/100-1 {
		return 0, false, bad
	}
	return w*100 + fr, true, nil
}

var timeLayouts = []string{
	"2006-01-02 15:04:05", "2006-01-02 15:04", "2006/1/2 15:04:05", "2006/1/2 15:04",
	"2006-01-02T15:04:05", "2006-01-02T15:04", "2006年1月2日 15:04", "2006年1月2日15:04",
	"2006-01-02", "2006/1/2", "2006年1月2日",
}

// parseTime reads a date and time: an Excel date cell (a day count since
// 1899-12-30, shown with a date format), text in the usual layouts, or Unix
// seconds. Spreadsheets have no time zone: the time is taken in loc.
func parseTime(c cell, loc *time.Location) (t time.Time, ok bool, err error) {
	s := cleanText(c.text)
	if s == "" {
		return time.Time{}, false, nil
	}
	if c.number {
		serial, perr := strconv.ParseFloat(cleanText(c.raw), 64)
		if perr == nil && serial > 1 && serial < 200000 {
			d, derr := excelize.ExcelDateToTime(serial, false)
			if derr == nil {
				// The serial is a wall-clock time: keep its fields, take the zone.
				d = d.Round(time.Second)
				return time.Date(d.Year(), d.Month(), d.Day(), d.Hour(), d.Minute(), d.Second(), 0, loc), true, nil
			}
		}
	}
	if n, perr := strconv.ParseInt(s, 10, 64); perr == nil && n > 1_000_000_000 && n < 10_000_000_000 {
		return time.Unix(n, 0).In(loc), true, nil
	}
	for _, layout := range timeLayouts {
		if t, perr := time.ParseInLocation(layout, s, loc); perr == nil {
			return t, true, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("%q is not a date and time (e.g. 2026-11-22 15:00)", s)
}
