package courier

import (
	"bytes"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Cells of the scan-to-query page (seed 002, 落地页Cell信息 and
// 自定义cell跳转): the courier registers each cell's key, name and link with
// WeChat by e-mail, and names in every answer the cells to show, with the
// text on their right (value) and a parameter of their own (status). When a
// user taps one, WeChat opens the link with signed parameters appended
// (CellLink); the page behind the link checks them with VerifyCellLink.

// Limits of a cell, from seed 002.
const (
	MaxCellKey   = 20 // key: 不超过 20 字符
	MaxCellValue = 10 // value: 不超过10个字符
)

// Cell is one configured cell, as in the --cells JSON file.
type Cell struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	// Link is the mini-program path (pages/pay/index) or https URL the cell opens.
	Link string `json:"link"`
	// Value is the guide text on the cell's right, e.g. 去支付.
	Value string `json:"value,omitempty"`
	// Status is the courier's own parameter the link gets when tapped.
	Status string `json:"status,omitempty"`
}

// CellInfo is a cell as the scan-to-query answer names it.
type CellInfo struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Status string `json:"status,omitempty"`
}

func cellInfos(cells []Cell) []CellInfo {
	out := make([]CellInfo, len(cells))
	for i, c := range cells {
		out[i] = CellInfo{Key: c.Key, Value: c.Value, Status: c.Status}
	}
	return out
}

// LoadCells reads and validates a cells file: a JSON array of cells.
// Unknown fields are refused, so a misspelt "vlaue" is not silently lost.
func LoadCells(path string) ([]Cell, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cells: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var cells []Cell
	if err := dec.Decode(&cells); err != nil {
		return nil, fmt.Errorf("cells %s: %w", path, err)
	}
	if err := ValidateCells(cells); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cells, nil
}

// ValidateCells checks every cell against the seed's limits and names the
// first bad one: a key of 1 to 20 characters ([A-Za-z0-9_-]), unique; a
// name; a link that is a mini-program path or an http(s) URL; a value of
// at most 10 characters; no control characters anywhere.
func ValidateCells(cells []Cell) error {
	seen := map[string]bool{}
	for i, c := range cells {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("cell %d (key %q): %s", i+1, c.Key, fmt.Sprintf(format, args...))
		}
		switch n := utf8.RuneCountInString(c.Key); {
		case n == 0:
			return bad("key is required")
		case n > MaxCellKey:
			return bad("key is %d characters, at most %d", n, MaxCellKey)
		}
		if strings.IndexFunc(c.Key, func(r rune) bool { return !isKeyRune(r) }) >= 0 {
			return bad("key may hold only ASCII letters, digits, _ and -")
		}
		if seen[c.Key] {
			return bad("key is used by an earlier cell")
		}
		seen[c.Key] = true
		if strings.TrimSpace(c.Name) == "" {
			return bad("name is required (the text WeChat shows, e.g. 支付运单)")
		}
		if n := utf8.RuneCountInString(c.Value); n > MaxCellValue {
			return bad("value %q is %d characters, at most %d", c.Value, n, MaxCellValue)
		}
		if err := checkLink(c.Link); err != nil {
			return bad("link %q: %v", c.Link, err)
		}
		for field, v := range map[string]string{"name": c.Name, "value": c.Value, "status": c.Status} {
			if strings.IndexFunc(v, unicode.IsControl) >= 0 {
				return bad("%s holds a control character", field)
			}
		}
	}
	return nil
}

// isKeyRune limits keys to what survives every URL and log unescaped.
func isKeyRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-'
}

// checkLink accepts a mini-program page path (pages/test/pay, no scheme)
// or an absolute http(s) URL: what a WeChat page can open.
func checkLink(link string) error {
	if link == "" {
		return errors.New("is required")
	}
	if strings.ContainsFunc(link, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return errors.New("holds a space or control character")
	}
	u, err := url.Parse(link)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "":
		if u.Host != "" || u.Path == "" {
			return errors.New("want a mini-program path like pages/pay/index or an https URL")
		}
	case "http", "https":
		if u.Host == "" {
			return errors.New("has no host")
		}
	default:
		return fmt.Errorf("scheme %q: want a mini-program path or an http(s) URL", u.Scheme)
	}
	if u.Fragment != "" {
		return errors.New("may not hold a #fragment: the signed parameters go after it")
	}
	return nil
}

// CellSignature is the signature of a cell link: sha1 of token, timestamp
// and nonce concatenated in that order, lower-case hex. Seed 002 writes it
// sha1(token+timestamp+nonce) for cells, unlike the sorted concatenation of
// the query signature (wxapi.Signature), and this follows the text.
func CellSignature(token, timestamp, nonce string) string {
	sum := sha1.Sum([]byte(token + timestamp + nonce))
	return hex.EncodeToString(sum[:])
}

// CellLink is the link WeChat opens when a cell is tapped: the configured
// link with timestamp, nonce, signature, orderid (the waybill) and openid
// appended in the order of the seed's example
// (pages/test/pay?timestamp=1592811835&nonce=1756708668&signature=…&orderid=…&openid=…),
// then the cell's status when it has one (the seed says status is appended
// too, without naming the parameter; it is "status" here).
func CellLink(c Cell, token, waybillID, openID string, timestamp int64, nonce string) string {
	ts := strconv.FormatInt(timestamp, 10)
	var b strings.Builder
	b.WriteString(c.Link)
	if strings.Contains(c.Link, "?") {
		b.WriteByte('&')
	} else {
		b.WriteByte('?')
	}
	for i, kv := range [][2]string{{"timestamp", ts}, {"nonce", nonce}, {"signature", CellSignature(token, ts, nonce)},
		{"orderid", waybillID}, {"openid", openID}, {"status", c.Status}} {
		if kv[0] == "status" && kv[1] == "" {
			continue
		}
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[0] + "=" + url.QueryEscape(kv[1]))
	}
	return b.String()
}

// ErrCellLink is a cell link whose parameters are not WeChat's.
var ErrCellLink = errors.New("cell link: signature does not match or timestamp outside the window")

// VerifyCellLink checks the parameters WeChat appended to a cell link (the
// query of the page it opened) and returns the waybill and openid they
// carry. A link older or newer than window (default 5 minutes) is refused,
// so a shared link cannot be replayed later.
func VerifyCellLink(token string, q url.Values, now time.Time, window time.Duration) (waybillID, openID string, err error) {
	if window <= 0 {
		window = 5 * time.Minute
	}
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	want := CellSignature(token, ts, nonce)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(q.Get("signature"))), []byte(want)) != 1 {
		return "", "", ErrCellLink
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", "", ErrCellLink
	}
	if d := now.Sub(time.Unix(sec, 0)); d > window || d < -window {
		return "", "", ErrCellLink
	}
	return q.Get("orderid"), q.Get("openid"), nil
}
