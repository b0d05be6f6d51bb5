package courier

import "regexp"

// What a scan shows: the scan-to-query page is public to whoever holds
// the label (or a photo of it), so an event text there must not hand over
// what collects the parcel. Pickup codes and the like are masked as phone
// numbers are (maskPhones).

// codeMask replaces a masked code.
const codeMask = "****"

// codeChars are the characters of a code, half- and full-width.
const codeChars = `[A-Za-z0-9０-９Ａ-Ｚａ-ｚ]`

// code is one code: letters and digits, maybe in dashed groups
// ("7-5-2072", "A12-3-4567").
const code = codeChars + `+(?:[-－—_]` + codeChars + `+)*`

// codeAfterWord is a code after the word that names it (取件码, 提货码...),
// with what may stand between ("：", "为", "【"), and more codes after it
// in a list ("取件码1234、5678").
var codeAfterWord = regexp.MustCompile(
	`(取件码|提货码|取货码|验证码|取件密码|提货密码|开箱码|开柜码|柜门码|收货码|签收码|(?i:pick-?up code|verification code))` +
		`([\s:：=＝为是]{0,4}[【\[(（"“'‘「]?\s*)` +
		`(` + code + `(?:\s*[、,，/]\s*` + code + `)*)`)

// shelfCode is a pickup code without its word, in the shelf-layer-number
// shape parcel stations print ("凭7-5-2072取件", "A12-3-4567"): a middle
// group of one or two digits keeps hotlines like 400-820-8820 readable.
var shelfCode = regexp.MustCompile(`\b[A-Za-z]?[0-9]{1,3}-[0-9]{1,2}-[0-9]{3,6}\b`)

// maskCodes hides the pickup codes (and the like) of an event text,
// keeping the word that names them: "取件码 7-5-2072" -> "取件码 ****".
func maskCodes(msg string) string {
	msg = codeAfterWord.ReplaceAllString(msg, "${1}${2}"+codeMask)
	return shelfCode.ReplaceAllString(msg, codeMask)
}

// maskScanText is an event text as the public scan page may show it: codes
// masked first (a code that looks like a phone number is masked whole),
// then phone numbers.
func maskScanText(msg string, phones []string) string {
	return maskPhones(maskCodes(msg), phones)
}
