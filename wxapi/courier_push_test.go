package wxapi

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCheckFreshTellsStaleFromReplayed(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	h := &PushHandler{Crypto: &PushCrypto{Token: "t"}, Now: func() time.Time { return now }}
	ts := strconv.FormatInt(now.Unix(), 10)
	if err := h.CheckFresh(ts, "n1"); err != nil {
		t.Fatalf("fresh: %v", err)
	}
	if err := h.CheckFresh(ts, "n1"); !errors.Is(err, ErrReplayed) || !errors.Is(err, ErrStale) {
		t.Fatalf("replay: %v", err)
	}
	for _, bad := range []string{"", "x", strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10), strconv.FormatInt(now.Add(6*time.Minute).Unix(), 10)} {
		if err := h.CheckFresh(bad, "n2"); !errors.Is(err, ErrStale) || errors.Is(err, ErrReplayed) {
			t.Errorf("timestamp %q: %v", bad, err)
		}
	}
}

// TestOpenRequestAndOpenReply: a sealed push opened as PushHandler does,
// and a sealed answer opened as WeChat does.
func TestOpenRequestAndOpenReply(t *testing.T) {
	p := mustCrypto(t, "tok", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wxapp")
	now := time.Unix(1_700_000_000, 0)
	h := &PushHandler{Crypto: p, Now: func() time.Time { return now }}
	enc, err := p.Encrypt([]byte(`<xml><Event>waybill_notify_query</Event></xml>`))
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	q := url.Values{"timestamp": {ts}, "nonce": {"n"}, "encrypt_type": {"aes"}, "msg_signature": {Signature("tok", ts, "n", enc)}}
	r := httptest.NewRequest(http.MethodPost, "/?"+q.Encode(), strings.NewReader(`<xml><Encrypt>`+enc+`</Encrypt></xml>`))
	body, status, err := h.OpenRequest(r)
	if err != nil || string(body) != `<xml><Event>waybill_notify_query</Event></xml>` {
		t.Fatalf("OpenRequest: %q %d %v", body, status, err)
	}
	r = httptest.NewRequest(http.MethodPost, "/?"+q.Encode(), strings.NewReader(`<xml><Encrypt>`+enc+`</Encrypt></xml>`))
	if _, status, err := h.OpenRequest(r); status != http.StatusUnauthorized || !errors.Is(err, ErrStale) {
		t.Fatalf("replayed OpenRequest: %d %v", status, err)
	}

	sealed, err := p.Seal([]byte(`{"ResultCode":0}`), now.Unix(), "n9")
	if err != nil {
		t.Fatal(err)
	}
	x, _ := xml.Marshal(struct {
		XMLName xml.Name `xml:"xml"`
		SealedReply
	}{SealedReply: *sealed})
	if msg, err := p.OpenReply(x); err != nil || string(msg) != `{"ResultCode":0}` {
		t.Fatalf("OpenReply: %q %v", msg, err)
	}
	sealed.MsgSignature = strings.Repeat("0", 40)
	x, _ = xml.Marshal(sealed)
	if _, err := p.OpenReply(x); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("forged reply: %v", err)
	}
	if _, err := p.OpenReply([]byte(`{}`)); err == nil {
		t.Fatal("empty reply opened")
	}
}
