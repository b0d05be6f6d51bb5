package courier

import (
	"crypto/sha1"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadCellsNamesTheBadCell(t *testing.T) {
	good := `[{"key":"wxpay","name":"支付运单","link":"pages/test/pay","value":"去支付","status":"unpaid"},
	          {"key":"order","name":"寄快递","link":"https://courier.example.com/send?from=scan"}]`
	cells, err := LoadCells(writeFile(t, "cells.json", good))
	if err != nil || len(cells) != 2 || cells[0].Status != "unpaid" || cells[1].Value != "" {
		t.Fatalf("good file: %+v %v", cells, err)
	}
	for _, tc := range []struct{ name, file, want string }{
		{"key too long", `[{"key":"a_key_of_twenty_one__","name":"n","link":"pages/a"}]`, `cell 1 (key "a_key_of_twenty_one__"): key is 21 characters, at most 20`},
		{"no key", `[{"key":"ok","name":"n","link":"pages/a"},{"name":"n","link":"pages/a"}]`, `cell 2 (key ""): key is required`},
		{"key not ASCII", `[{"key":"支付","name":"n","link":"pages/a"}]`, `cell 1 (key "支付"): key may hold only`},
		{"duplicate key", `[{"key":"k","name":"n","link":"pages/a"},{"key":"k","name":"m","link":"pages/b"}]`, `cell 2 (key "k"): key is used by an earlier cell`},
		{"no name", `[{"key":"k","link":"pages/a"}]`, `cell 1 (key "k"): name is required`},
		{"value too long", `[{"key":"k","name":"n","link":"pages/a","value":"一二三四五六七八九十一"}]`, `value "一二三四五六七八九十一" is 11 characters, at most 10`},
		{"no link", `[{"key":"k","name":"n"}]`, `cell 1 (key "k"): link "": is required`},
		{"javascript link", `[{"key":"k","name":"n","link":"javascript:alert(1)"}]`, `scheme "javascript"`},
		{"link with space", `[{"key":"k","name":"n","link":"pages/a b"}]`, `holds a space`},
		{"link with fragment", `[{"key":"k","name":"n","link":"https://x.example/#/pay"}]`, `#fragment`},
		{"control character", `[{"key":"k","name":"n","link":"pages/a","status":"a\u0007"}]`, `status holds a control character`},
		{"unknown field", `[{"key":"k","name":"n","link":"pages/a","vlaue":"x"}]`, `unknown field "vlaue"`},
		{"not JSON", `{`, `unexpected EOF`},
	} {
		_, err := LoadCells(writeFile(t, "cells.json", tc.file))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := NewServer(Options{DB: openDB(t), Token: "t", Cells: []Cell{{Key: "k", Name: "n"}}}); err == nil ||
		!strings.Contains(err.Error(), `cell 1 (key "k"): link`) {
		t.Errorf("gateway started with a bad cell: %v", err)
	}
}

// TestCellLinkFollowsTheSeed: seed 002's 自定义cell跳转 appends timestamp,
// nonce, signature = sha1(token+timestamp+nonce), orderid and openid, in the
// order of its example.
func TestCellLinkFollowsTheSeed(t *testing.T) {
	const token = "1a2b3c456"
	sum := sha1.Sum([]byte(token + "1592811835" + "1756708668"))
	wantSig := hex.EncodeToString(sum[:])
	if got := CellSignature(token, "1592811835", "1756708668"); got != wantSig {
		t.Fatalf("CellSignature = %s, want sha1(token+timestamp+nonce) %s", got, wantSig)
	}
	for _, tc := range []struct {
		cell Cell
		want string
	}{
		{Cell{Key: "pay", Name: "支付", Link: "pages/test/pay"},
			"pages/test/pay?timestamp=1592811835&nonce=1756708668&signature=" + wantSig + "&orderid=6000069559003&openid=omJOjjvB9iYTYiEKp7GFfweffQPmdU"},
		{Cell{Key: "pay", Name: "支付", Link: "https://pay.example.com/p?src=wx", Status: "待支付 1"},
			"https://pay.example.com/p?src=wx&timestamp=1592811835&nonce=1756708668&signature=" + wantSig +
				"&orderid=6000069559003&openid=omJOjjvB9iYTYiEKp7GFfweffQPmdU&status=%E5%BE%85%E6%94%AF%E4%BB%98+1"},
	} {
		got := CellLink(tc.cell, token, "6000069559003", "omJOjjvB9iYTYiEKp7GFfweffQPmdU", 1592811835, "1756708668")
		if got != tc.want {
			t.Errorf("CellLink\n got %s\nwant %s", got, tc.want)
		}
	}

	link := CellLink(Cell{Link: "pages/test/pay"}, token, "YT1", "oX", 1592811835, "42")
	u, _ := url.Parse(link)
	now := time.Unix(1592811835, 0)
	if wb, openID, err := VerifyCellLink(token, u.Query(), now.Add(time.Minute), 0); err != nil || wb != "YT1" || openID != "oX" {
		t.Fatalf("VerifyCellLink: %q %q %v", wb, openID, err)
	}
	for name, check := range map[string]func() error{
		"other token": func() error { _, _, err := VerifyCellLink("x", u.Query(), now, 0); return err },
		"too old":     func() error { _, _, err := VerifyCellLink(token, u.Query(), now.Add(6*time.Minute), 0); return err },
		"signed like the query (sorted)": func() error {
			q := u.Query()
			q.Set("signature", wxapi.Signature(token, "1592811835", "42"))
			_, _, err := VerifyCellLink(token, q, now, 0)
			return err
		},
		"tampered timestamp": func() error {
			q := u.Query()
			q.Set("timestamp", "1592811836")
			_, _, err := VerifyCellLink(token, q, now, 0)
			return err
		},
	} {
		if err := check(); err != ErrCellLink {
			t.Errorf("%s: %v, want ErrCellLink", name, err)
		}
	}
}
