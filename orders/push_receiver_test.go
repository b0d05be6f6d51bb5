package orders

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"waybilldesk/wxapi"
	"waybilldesk/wxapi/sandbox"
)

const (
	recvToken = "recvtoken"
	recvKey   = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

// listenReceiver runs a PushReceiver over e's history on loopback.
func listenReceiver(t *testing.T, e *env, opts PushReceiverOptions) (*PushReceiver, string) {
	t.Helper()
	opts.Token, opts.AppID = recvToken, sandbox.DefaultAppID
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	r, err := NewPushReceiver(e.svc, opts)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := r.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, "http://" + addr + "/"
}

// pathPush is an add_express_path event for o at version, as JSON.
func pathPush(o *Order, version int) []byte {
	ev := map[string]any{"ToUserName": "gh_x", "FromUserName": "o", "CreateTime": time.Now().Unix(), "MsgType": "event",
		"Event": wxapi.EventAddExpressPath, "DeliveryID": o.DeliveryID, "WayBillId": o.WaybillID, "OrderId": o.OrderID,
		"Version": version, "Count": 1, "Actions": []map[string]any{{"ActionTime": time.Now().Unix(), "ActionType": 100001, "ActionMsg": "已揽收"}}}
	b, _ := json.Marshal(ev)
	return b
}

// sendPlain posts body signed only in the URL; sendSealed encrypts it as
// safe mode does. msgSig, when set, replaces the right msg_signature.
func sendPlain(t *testing.T, u, nonce string, body []byte) (int, string) {
	t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	q := url.Values{"timestamp": {ts}, "nonce": {nonce}, "signature": {wxapi.Signature(recvToken, ts, nonce)}}
	return postTo(t, u+"?"+q.Encode(), body)
}

func sendSealed(t *testing.T, u, nonce string, body []byte, msgSig string) (int, string) {
	t.Helper()
	c, err := wxapi.NewPushCrypto(recvToken, recvKey, sandbox.DefaultAppID, "")
	if err != nil {
		t.Fatal(err)
	}
	enc, err := c.Encrypt(body)
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	if msgSig == "" {
		msgSig = wxapi.Signature(recvToken, ts, nonce, enc)
	}
	q := url.Values{"timestamp": {ts}, "nonce": {nonce}, "encrypt_type": {"aes"},
		"signature": {wxapi.Signature(recvToken, ts, nonce)}, "msg_signature": {msgSig}}
	envelope, _ := json.Marshal(map[string]string{"ToUserName": "gh_x", "Encrypt": enc})
	return postTo(t, u+"?"+q.Encode(), envelope)
}

func postTo(t *testing.T, u string, body []byte) (int, string) {
	t.Helper()
	resp, err := http.Post(u, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func eventCount(t *testing.T, e *env, o *Order) int {
	t.Helper()
	events, err := e.svc.Events(context.Background(), o.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	return len(events)
}

// TestSafeModeReceiverRefusesThePlaintextDowngrade: with an
// EncodingAESKey, a plaintext push signed only in the URL is refused and
// changes nothing; an encrypted one is applied; compatible mode, an
// explicit option, takes both.
func TestSafeModeReceiverRefusesThePlaintextDowngrade(t *testing.T) {
	e := newEnv(t)
	o := testOrder(t, e, "RECV-SAFE")
	r, u := listenReceiver(t, e, PushReceiverOptions{AESKey: recvKey})
	if st := r.Status(); !st.SafeMode || st.Compat {
		t.Fatalf("status %+v", st)
	}
	code, answer := sendPlain(t, u, "p1", pathPush(o, 1))
	if code != http.StatusForbidden || !strings.Contains(answer, "takes only encrypted messages") {
		t.Fatalf("plaintext push in safe mode: %d %q", code, answer)
	}
	if n := eventCount(t, e, o); n != 0 {
		t.Fatalf("the refused push stored %d events", n)
	}
	if st := r.Status(); st.Received != 0 || !strings.Contains(st.Error, "HTTP 403") {
		t.Fatalf("status after the downgrade: %+v", st)
	}
	if code, answer := sendSealed(t, u, "s1", pathPush(o, 1), ""); code != 200 || answer != "success" {
		t.Fatalf("encrypted push: %d %q", code, answer)
	}
	if n := eventCount(t, e, o); n != 1 {
		t.Fatalf("the encrypted push stored %d events", n)
	}

	compat, cu := listenReceiver(t, e, PushReceiverOptions{AESKey: recvKey, Compat: true})
	if st := compat.Status(); !st.SafeMode || !st.Compat {
		t.Fatalf("compat status %+v", st)
	}
	o2 := testOrder(t, e, "RECV-COMPAT")
	if code, answer := sendPlain(t, cu, "p2", pathPush(o2, 1)); code != 200 || answer != "success" {
		t.Fatalf("plaintext push in compatible mode: %d %q", code, answer)
	}
	if code, _ := sendSealed(t, cu, "s2", pathPush(o2, 2), ""); code != 200 {
		t.Fatalf("encrypted push in compatible mode: %d", code)
	}
	if n := eventCount(t, e, o2); n != 1 {
		t.Fatalf("compatible mode stored %d events", n)
	}
	if _, err := NewPushReceiver(nil, PushReceiverOptions{Token: recvToken, Compat: true}); err == nil || !strings.Contains(err.Error(), "EncodingAESKey") {
		t.Fatalf("compatible mode without a key: %v", err)
	}
}

// TestReceiverForgedPushDoesNotBurnTheNonce: a forged push with a fresh
// timestamp and nonce is refused; the genuine push with that nonce right
// after is applied.
func TestReceiverForgedPushDoesNotBurnTheNonce(t *testing.T) {
	e := newEnv(t)
	o := testOrder(t, e, "RECV-NONCE")
	_, u := listenReceiver(t, e, PushReceiverOptions{AESKey: recvKey})
	if code, _ := sendSealed(t, u, "n-1", pathPush(o, 1), strings.Repeat("0", 40)); code != http.StatusUnauthorized {
		t.Fatalf("forged push: %d", code)
	}
	if code, answer := sendSealed(t, u, "n-1", pathPush(o, 1), ""); code != 200 {
		t.Fatalf("genuine push after a forged one with its nonce: %d %q", code, answer)
	}
	if n := eventCount(t, e, o); n != 1 {
		t.Fatalf("%d events stored", n)
	}
	if code, answer := sendSealed(t, u, "n-1", pathPush(o, 2), ""); code != http.StatusUnauthorized || !strings.Contains(answer, "already used") {
		t.Fatalf("the nonce again: %d %q", code, answer)
	}
}

// TestReceiverRefusesLargeBodies: a body over the limit is answered 413
// "too large" by the real listener and nothing is applied.
func TestReceiverRefusesLargeBodies(t *testing.T) {
	e := newEnv(t)
	o := testOrder(t, e, "RECV-BIG")
	_, u := listenReceiver(t, e, PushReceiverOptions{Limits: wxapi.ServerLimits{MaxBody: 2048}})
	big := append(pathPush(o, 1), bytes.Repeat([]byte(" "), 4096)...)
	if code, answer := sendPlain(t, u, "b1", big); code != http.StatusRequestEntityTooLarge || !strings.Contains(answer, "too large") {
		t.Fatalf("large push: %d %q", code, answer)
	}
	if n := eventCount(t, e, o); n != 0 {
		t.Fatalf("the large push stored %d events", n)
	}
	if code, _ := sendPlain(t, u, "b2", pathPush(o, 1)); code != 200 {
		t.Fatalf("a push within the limit: %d", code)
	}
}
