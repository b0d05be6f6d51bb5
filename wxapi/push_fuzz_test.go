package wxapi

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// FuzzPushRequest: whatever query and body arrive, a push handler
// answers an error status or the event, never panics, and remembers a
// nonce only for a request that opened (verify before remember).
func FuzzPushRequest(f *testing.F) {
	const token = "pushtoken"
	now := time.Unix(1763800000, 0)
	ts := "1763800000"
	body := fixture(f, "add_express_path.event.json")
	p, err := NewPushCrypto(token, keyB, appB, "")
	if err != nil {
		f.Fatal(err)
	}
	enc, err := p.encryptWith([]byte("aaaabbbbccccdddd"), body)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(plainQuery(token, ts, "n1").Encode(), body)
	f.Add(url.Values{"timestamp": {ts}, "nonce": {"n2"}, "encrypt_type": {"aes"},
		"msg_signature": {Signature(token, ts, "n2", enc)}}.Encode(), []byte(`{"Encrypt":"`+enc+`"}`))
	f.Add("timestamp=1763800000&nonce=x&encrypt_type=aes&msg_signature=00", []byte(`<xml><Encrypt>AAAA</Encrypt></xml>`))
	f.Add("", []byte{})
	f.Fuzz(func(t *testing.T, query string, body []byte) {
		for _, h := range []*PushHandler{
			{Crypto: &PushCrypto{Token: token}, Now: func() time.Time { return now }, MaxBody: 64 << 10},
			{Crypto: p, Now: func() time.Time { return now }, MaxBody: 64 << 10},
			{Crypto: p, Compat: true, Now: func() time.Time { return now }, MaxBody: 64 << 10},
		} {
			u, err := url.Parse("/?" + query)
			if err != nil {
				return
			}
			r := &http.Request{Method: http.MethodPost, URL: u, Body: http.NoBody, ContentLength: int64(len(body))}
			r.Body = nopCloser{bytes.NewReader(body)}
			plain, status, err := h.OpenRequest(r)
			switch {
			case err != nil && (status < 400 || status > 599):
				t.Fatalf("refused with HTTP %d: %v", status, err)
			case err != nil && h.Remembered() != 0:
				t.Fatalf("a refused request left %d nonces: %v", h.Remembered(), err)
			case err == nil && (plain == nil || h.Remembered() != 1):
				t.Fatalf("opened %q with %d nonces", plain, h.Remembered())
			}
		}
	})
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
