package courier

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzScanQuery: whatever query a scan brings, the gateway answers a
// JSONP call of a valid callback name or a plain-text refusal that echoes
// no markup, and never panics.
func FuzzScanQuery(f *testing.F) {
	now := cst(2024, 3, 10, 12, 0, 0)
	db := openDB(f)
	srv, err := NewServer(Options{DB: db, Token: testToken, Now: func() time.Time { return now }, Logger: quiet()})
	if err != nil {
		f.Fatal(err)
	}
	g := &gateway{url: "", now: now}
	f.Add(strings.TrimPrefix(g.scanURL("CW1", nil), DefaultQueryPath+"?"))
	f.Add("orderid==CW1&callback=</script><script>alert(1)//")
	f.Add("callback=a%E2%80%A8b&timestamp=x")
	f.Fuzz(func(t *testing.T, query string) {
		u, err := url.Parse(DefaultQueryPath + "?" + query)
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, &http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}})
		body := rec.Body.String()
		switch rec.Code {
		case http.StatusOK:
			name, _, ok := strings.Cut(body, "(")
			if !ok || !callbackName.MatchString(name) || !strings.HasSuffix(body, ")") {
				t.Fatalf("answer %q", body)
			}
		case http.StatusBadRequest:
			if strings.ContainsAny(body, "<>") {
				t.Fatalf("refusal echoes markup: %q", body)
			}
		default:
			t.Fatalf("HTTP %d %q", rec.Code, body)
		}
	})
}

// FuzzMaskCodes: masking never panics, is idempotent, and leaves no
// shelf-shaped code behind.
func FuzzMaskCodes(f *testing.F) {
	for _, s := range []string{"取件码 7-5-2072", "凭A12-3-4567取件", "验证码：1234、5678", "客服 400-820-8820"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		once := maskCodes(msg)
		if twice := maskCodes(once); twice != once {
			t.Fatalf("not idempotent: %q -> %q -> %q", msg, once, twice)
		}
		if shelfCode.MatchString(once) {
			t.Fatalf("a shelf code left in %q", once)
		}
	})
}
