package courier

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

// backCheckEvent is WeChat's waybill_notify_query for waybill, naming the
// receiver's phone.
func backCheckEvent(now time.Time, waybill string) wxapi.NotifyQueryEvent {
	return wxapi.NotifyQueryEvent{WaybillID: waybill, ReceiverPhone: receiverMobile,
		EventHeader: wxapi.EventHeader{ToUserName: "gh_courier", FromUserName: "oWeChatTeam", CreateTime: now.Unix(),
			MsgType: "event", Event: wxapi.EventWaybillNotifyQuery}}
}

// TestSafeModeGatewayNeverAnswersThePathInClear: with an AES key, a
// plaintext back-check signed only in the URL is refused without a word of
// the path; in compatible mode, an explicit option, it is answered.
func TestSafeModeGatewayNeverAnswersThePathInClear(t *testing.T) {
	now := cst(2024, 3, 10, 12, 0, 0)
	plainSide := &wechat{token: testToken, asXML: true}
	sealed, _ := wxapi.NewPushCrypto(testToken, testAESKey, testAppID, "")
	sealedSide := &wechat{token: testToken, crypto: sealed, asXML: true}
	sealedSide.nonce.Store(1000) // nonces of its own, not the plain side's

	safe := startGateway(t, now, Options{AESKey: testAESKey, AppID: testAppID})
	safe.addOrder(t, "O-S", "SB1", now.Add(-time.Hour), act(now.Add(-time.Minute), 100001, "快递员已揽收"))
	status, _, text := plainSide.send(t, safe, backCheckEvent(now, "SB1"), sendOpts{})
	if status != http.StatusForbidden || strings.Contains(text, "揽收") || !strings.Contains(text, "encrypted") {
		t.Fatalf("plaintext back-check to a safe-mode gateway: HTTP %d %s", status, text)
	}
	if status, reply, text := sealedSide.send(t, safe, backCheckEvent(now, "SB1"), sendOpts{}); status != 200 || reply.ResultCode != 0 || len(reply.Path) != 1 {
		t.Fatalf("sealed back-check: HTTP %d %s", status, text)
	}

	compat := startGateway(t, now, Options{AESKey: testAESKey, AppID: testAppID, Compat: true})
	compat.addOrder(t, "O-C", "CB1", now.Add(-time.Hour), act(now.Add(-time.Minute), 100001, "快递员已揽收"))
	if status, reply, text := plainSide.send(t, compat, backCheckEvent(now, "CB1"), sendOpts{}); status != 200 || len(reply.Path) != 1 {
		t.Fatalf("plaintext back-check in compatible mode: HTTP %d %s", status, text)
	}
	if status, _, text := sealedSide.send(t, compat, backCheckEvent(now, "CB1"), sendOpts{}); status != 200 {
		t.Fatalf("sealed back-check in compatible mode: HTTP %d %s", status, text)
	}
	if _, err := NewServer(Options{DB: safe.db, Token: testToken, Compat: true}); err == nil {
		t.Fatal("compatible mode without an AES key accepted")
	}
}

// TestGatewayForgedRequestsDoNotBurnNonces: on both endpoints a forged
// request with a fresh timestamp and nonce is refused, and the genuine one
// with that nonce right after is answered.
func TestGatewayForgedRequestsDoNotBurnNonces(t *testing.T) {
	now := cst(2024, 3, 10, 12, 0, 0)
	g := startGateway(t, now, Options{})
	g.addOrder(t, "O-N", "NB1", now.Add(-time.Hour), act(now.Add(-time.Minute), 100001, "已揽收"))

	forged := g.scanURL("NB1", func(q url.Values) { q.Set("nonce", "scan-1"); q.Set("signature", strings.Repeat("0", 40)) })
	_, _, body := get(t, forged)
	if !strings.Contains(body, `"err_code":1002`) {
		t.Fatalf("forged scan query: %s", body)
	}
	genuine := g.scanURL("NB1", func(q url.Values) {
		ts := q.Get("timestamp")
		q.Set("nonce", "scan-1")
		q.Set("signature", wxapi.Signature(testToken, ts, "scan-1"))
	})
	if _, _, body = get(t, genuine); !strings.Contains(body, `"err_code":0`) {
		t.Fatalf("genuine scan query after a forged one with its nonce: %s", body)
	}
	if _, _, body = get(t, genuine); !strings.Contains(body, `"err_code":1004`) {
		t.Fatalf("the genuine scan query again: %s", body)
	}

	side := &wechat{token: testToken}
	bad := sendOpts{nonce: "bc-1", mutate: func(q url.Values) { q.Set("signature", strings.Repeat("0", 40)) }}
	if status, _, text := side.send(t, g, backCheckEvent(now, "NB1"), bad); status != http.StatusUnauthorized {
		t.Fatalf("forged back-check: HTTP %d %s", status, text)
	}
	if status, reply, text := side.send(t, g, backCheckEvent(now, "NB1"), sendOpts{nonce: "bc-1"}); status != 200 || reply.ResultCode != 0 {
		t.Fatalf("genuine back-check after a forged one with its nonce: HTTP %d %s", status, text)
	}
	if n := g.srv.guard.Remembered(); n != 2 {
		t.Fatalf("%d nonces remembered after two genuine requests", n)
	}
}

// TestGatewayServeLimits runs the gateway on a real listener: a large
// body is answered 413 "too large", a client that never ends its headers
// is cut off.
func TestGatewayServeLimits(t *testing.T) {
	now := time.Now()
	db := openDB(t)
	srv, err := NewServer(Options{DB: db, Token: testToken, Logger: quiet(),
		Limits: wxapi.ServerLimits{MaxBody: 4096, ReadHeaderTimeout: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	base := "http://" + ln.Addr().String()

	g := &gateway{url: base, now: now}
	side := &wechat{token: testToken}
	raw := append([]byte(`<xml><Event>waybill_notify_query</Event><WaybillId>X</WaybillId>`), bytes.Repeat([]byte(" "), 8000)...)
	if status, _, text := side.send(t, g, wxapi.NotifyQueryEvent{}, sendOpts{raw: append(raw, "</xml>"...)}); status != http.StatusRequestEntityTooLarge || !strings.Contains(text, "too large") {
		t.Fatalf("large back-check: HTTP %d %s", status, text)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	q := url.Values{"timestamp": {ts}, "nonce": {"chunked"}, "signature": {wxapi.Signature(testToken, ts, "chunked")}}
	resp, err := http.Post(base+DefaultNotifyPath+"?"+q.Encode(), "text/xml", io.MultiReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(text), "too large") {
		t.Fatalf("large chunked back-check: HTTP %d %s", resp.StatusCode, text)
	}

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /wx/order HTTP/1.1\r\nHost: x\r\n")
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.ReadAll(c); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("a client that never ends its headers still holds a connection")
	}
}
