package batch

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Address is a receiver address split into WeChat's four fields.
type Address struct {
	Province string // full name, e.g. 浙江省
	City     string // e.g. 杭州市; a municipality's own name (北京市)
	Area     string // district or county, e.g. 西湖区
	Detail   string // the rest: street, number, building
}

var (
	citySuffixes = []string{"自治州", "地区", "盟", "市"}
	areaSuffixes = []string{"自治县", "自治旗", "林区", "特区", "区", "县", "市", "旗"}
	// townSuffixes end the unit that stands in for the district in a city
	// without districts (仙桃市 沙嘴街道).
	townSuffixes = []string{"街道", "镇", "乡"}
	postcodeRe   = regexp.MustCompile(`[（(]?\d{6}[)）]?$`)
)

// SplitAddress splits a one-string address, as Taobao and others export it
// ("浙江省 杭州市 西湖区 文三路398号", with or without spaces), into
// province, city, area and the rest. Municipalities may repeat their name or
// write 市辖区 for the city ("北京市 北京市 朝阳区", "上海 上海市 浦东新区");
// autonomous regions keep their full names. A city without districts
// (仙桃市, 东莞市) needs its town or subdistrict as a separate word to stand
// for the area; otherwise the address is refused, since WeChat requires an
// area and guessing one would misroute the parcel.
func SplitAddress(s string) (Address, error) {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\u3000' }), " ")
	s = strings.TrimSpace(postcodeRe.ReplaceAllString(s, ""))
	s = strings.TrimSpace(strings.TrimPrefix(s, "中国"))
	if s == "" {
		return Address{}, fmt.Errorf("the address is empty")
	}
	p, rest, ok := provincePrefix(s)
	if !ok {
		return Address{}, fmt.Errorf("%q does not start with a province (省, 自治区 or 直辖市)", short(s))
	}
	a := Address{Province: p.full}
	rest = strings.TrimSpace(rest)
	if p.municipality {
		a.City = p.full
		rest = skipMunicipalityCity(p, rest)
	} else {
		city, after, ok := takeUnit(rest, citySuffixes, 12)
		if !ok {
			// "浙江 杭州 西湖区 …": a city written without 市 is still the
			// word before the district.
			if tok, more, found := strings.Cut(rest, " "); found && placeName(tok, 12) {
				if next, _, _ := strings.Cut(more, " "); hasAnySuffix(next, areaSuffixes) && placeName(next, 16) {
					city, after, ok = tok, more, true
				}
			}
		}
		if !ok {
			return a, fmt.Errorf("cannot find the city after %s in %q", p.full, short(s))
		}
		a.City, rest = city, after
	}
	area, after, ok := takeUnit(rest, areaSuffixes, 16)
	if !ok && isNoDistrictCity(a.Province, a.City) {
		// The town or subdistrict stands for the district, but only as its
		// own word: without spaces its end cannot be told from the street's.
		if tok, more, found := strings.Cut(rest, " "); found && hasAnySuffix(tok, townSuffixes) {
			area, after, ok = tok, more, true
		} else {
			return a, fmt.Errorf("%s is a city of %s without districts (省直辖县级市/不设区的市): "+
				"the address has no district; write its town or subdistrict as the third word (%s %s 沙嘴街道 …) or use separate province/city/area columns",
				a.City, a.Province, a.Province, a.City)
		}
	}
	if !ok {
		return a, fmt.Errorf("cannot find the district or county (区/县) after %s in %q", a.City, short(s))
	}
	a.Area, a.Detail = area, strings.TrimSpace(after)
	if a.Detail == "" {
		return a, fmt.Errorf("%q has no street address after %s", short(s), a.Area)
	}
	return a, nil
}

// skipMunicipalityCity drops what exports write for a municipality's city
// level: its name again, 市辖区, or 县 for Chongqing's counties.
func skipMunicipalityCity(p province, s string) string {
	for {
		before := s
		for _, w := range []string{p.full, "市辖区", "城区", "郊县"} {
			s = strings.TrimSpace(strings.TrimPrefix(s, w))
		}
		if tok, more, found := strings.Cut(s, " "); found && (tok == p.short || tok == "县") {
			s = strings.TrimSpace(more)
		}
		if s == before {
			return s
		}
	}
}

// takeUnit takes the administrative unit at the start of s: the first word
// when s has spaces and that word ends with one of suffixes, otherwise the
// shortest prefix that ends with one. The unit must look like a place name,
// not like part of a street (see placeName).
func takeUnit(s string, suffixes []string, maxRunes int) (unit, rest string, ok bool) {
	s = strings.TrimSpace(s)
	if tok, more, found := strings.Cut(s, " "); found {
		if hasAnySuffix(tok, suffixes) && placeName(tok, maxRunes) {
			return tok, strings.TrimSpace(more), true
		}
	}
	end := -1
	for _, suf := range suffixes {
		// Index from the second character: a unit is never just its suffix.
		_, first := utf8.DecodeRuneInString(s)
		if i := strings.Index(s[first:], suf); i >= 0 {
			if e := first + i + len(suf); end < 0 || e < end {
				end = e
			}
		}
	}
	if end < 0 {
		return "", s, false
	}
	// 沙市区, 新市区: a district whose name holds 市.
	if strings.HasSuffix(s[:end], "市") && strings.HasPrefix(s[end:], "区") && slices.Contains(suffixes, "区") {
		end += len("区")
	}
	unit = s[:end]
	if strings.Contains(unit, " ") || !placeName(unit, maxRunes) {
		return "", s, false
	}
	return unit, strings.TrimSpace(s[end:]), true
}

func hasAnySuffix(s string, suffixes []string) bool {
	for _, suf := range suffixes {
		if strings.HasSuffix(s, suf) && utf8.RuneCountInString(s) > utf8.RuneCountInString(suf) {
			return true
		}
	}
	return false
}

// placeName tells a district or city name from a piece of street address:
// no digits, none of the words streets have, and street characters that
// also start real names (路桥区, 道县, 镇江市, 乡宁县, 清镇市, 新乡市) only in
// the first two characters.
func placeName(s string, maxRunes int) bool {
	runes := []rune(s)
	if len(runes) < 2 || len(runes) > maxRunes {
		return false
	}
	for _, w := range []string{"街道", "大道", "大街", "小区", "社区", "号", "弄", "巷", "栋", "楼", "室", "村", "组"} {
		if strings.Contains(s, w) {
			return false
		}
	}
	for i, r := range runes {
		if unicode.IsDigit(r) || r == '-' || r == '#' {
			return false
		}
		if i >= 2 && strings.ContainsRune("路道镇乡", r) {
			return false
		}
	}
	return true
}

func short(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
