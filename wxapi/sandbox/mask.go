package sandbox

import (
	"regexp"
	"strings"
)

// Phone masking for labels (隐私面单): a label travels through many hands,
// so only enough digits for the courier to match a call are printed.

var (
	// mobileDigits: a mainland mobile, optionally with the +86/86 prefix.
	mobileDigits = regexp.MustCompile(`^(?:86)?(1\d{10})$`)
	nonDigit     = regexp.MustCompile(`\D`)
)

// maskPhone masks a phone number: mobile 13812345678 -> 138****5678,
// landline 020-88888888 -> 020-****8888. Only the last four digits and a
// prefix (the mobile carrier block or the area code) survive, so the full
// number never appears.
func maskPhone(p string) string {
	p = strings.TrimSpace(p)
	if p == "" {
		return ""
	}
	digits := nonDigit.ReplaceAllString(p, "")
	if m := mobileDigits.FindStringSubmatch(digits); m != nil {
		return m[1][:3] + "****" + m[1][7:]
	}
	// Landline with an area code: "020-88888888", "0755-1234567-808".
	if area, rest, ok := strings.Cut(p, "-"); ok {
		area = nonDigit.ReplaceAllString(area, "")
		sub, _, _ := strings.Cut(rest, "-") // an extension is dropped
		sub = nonDigit.ReplaceAllString(sub, "")
		if strings.HasPrefix(area, "0") && len(area) <= 4 && len(sub) > 4 {
			return area + "-****" + sub[len(sub)-4:]
		}
	}
	switch {
	case len(digits) > 7:
		return digits[:3] + "****" + digits[len(digits)-4:]
	case len(digits) > 4:
		return "****" + digits[len(digits)-4:]
	default:
		return "****"
	}
}
