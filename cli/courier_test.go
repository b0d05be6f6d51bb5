package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// courierHistory writes a history with one placed order and two path
// events, as the desk would have stored them.
func courierHistory(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "history.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	req := wxapi.AddOrderRequest{OrderID: "CO-1", DeliveryID: wxapi.TestDeliveryID, BizID: wxapi.TestBizID,
		Sender:   wxapi.Contact{Name: "张三", Mobile: "13763357711", Province: "浙江省", City: "绍兴市", Area: "柯桥区", Address: "纺都路137号"},
		Receiver: wxapi.Contact{Name: "李四", Mobile: "13800138000", Province: "福建省", City: "泉州市", Area: "晋江市", Address: "庄宅北区158-6"}}
	body, _ := json.Marshal(req)
	if err := db.CopyOrder(ctx, &store.Order{OrderID: "CO-1", DeliveryID: req.DeliveryID, BizID: req.BizID,
		Status: store.StatusSubmitting, Request: body, ReceiverName: "李四", ReceiverPhone: "13800138000",
		ReceiverCity: "泉州市", CreatedAt: time.Now().Add(-2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := db.Placed(ctx, "CO-1", "CW123", nil, "", "addOrder", time.Now()); err != nil {
		t.Fatal(err)
	}
	events := []store.PathEvent{
		{ActionTime: time.Now().Add(-time.Hour), ActionType: 100001, ActionMsg: "快递员已揽收", Source: "push"},
		{ActionTime: time.Now().Add(-time.Minute), ActionType: 200001, ActionMsg: "快件到达 【泉州磁灶集散中心】", Source: "push"},
	}
	if _, err := db.AddPathEvents(ctx, "CO-1", 0, events); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCourierServe runs the gateway as a user would: a bad cells file is
// refused naming the cell, a good one is served with the order's path.
func TestCourierServe(t *testing.T) {
	db := courierHistory(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`[{"key":"pay","name":"支付","link":"pages/pay","value":"这段引导语超过了十个字符"}]`), 0o600)
	_, errOut, code := run(t, "--db", db, "courier", "serve", "--listen", "127.0.0.1:0", "--token", "tok", "--cells", bad)
	if code != 2 || !strings.Contains(errOut, `cell 1 (key "pay"): value`) {
		t.Fatalf("bad cells: exit %d %s", code, errOut)
	}
	if _, errOut, code := run(t, "--db", db, "courier", "serve"); code != 2 || !strings.Contains(errOut, "Token is required: --token-file F") {
		t.Fatalf("no token: exit %d %s", code, errOut)
	}
	good := filepath.Join(dir, "cells.json")
	os.WriteFile(good, []byte(`[{"key":"wxpay","name":"支付运单","link":"pages/test/pay","value":"去支付"}]`), 0o600)

	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- Main(ctx, []string{"--db", db, "courier", "serve", "--listen", addr, "--token", "tok", "--cells", good}, &out, &errb, nil)
	}()
	waitListening(t, addr)
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), "77"
	q := url.Values{"orderid": {"CW123"}, "openid": {"o1"}, "timestamp": {ts}, "nonce": {nonce},
		"signature": {wxapi.Signature("tok", ts, nonce)}, "callback": {"WxOrderCb"}}
	resp, err := http.Get("http://" + addr + "/wx/order?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`WxOrderCb({"err_code":0,"err_msg":"ok"`, `"order_status":2`, `"key":"wxpay"`, `运输中 \n 快件到达 【泉州磁灶集散中心】`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("answer lacks %s: %s", want, body)
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("courier serve exit %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "scan-to-query /wx/order, waybill_notify_query /wx/notify") || strings.Contains(errb.String(), "tok") {
		t.Errorf("start line: %s", errb.String())
	}
}

// TestCourierUserQueryAndNotify runs userquery and notify against a fake
// WeChat: the phone is masked in the output, and events are pushed once.
func TestCourierUserQueryAndNotify(t *testing.T) {
	db := courierHistory(t)
	var mu sync.Mutex
	var pushes []wxapi.PathNotifyRequest
	wc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case wxapi.PathStableToken:
			io.WriteString(w, `{"access_token":"T","expires_in":7200}`)
		case wxapi.PathUserQuery:
			var q wxapi.UserQueryRequest
			json.Unmarshal(body, &q)
			exist := 0
			if q.Phone == "13800138000" {
				exist = 1
			}
			json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "exist": exist})
		case wxapi.PathPathNotify:
			var p wxapi.PathNotifyRequest
			json.Unmarshal(body, &p)
			mu.Lock()
			pushes = append(pushes, p)
			mu.Unlock()
			io.WriteString(w, `{"errcode":0,"errmsg":"ok","exist":1}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer wc.Close()
	flags := []string{"--db", db, "--api-base", wc.URL, "--appid", "wxcourier", "--secret", "s"}

	out, errOut, code := run(t, append(flags, "courier", "userquery", "--phone", "13800138000")...)
	if code != 0 || out != "138****8000 bound to WeChat's express service\n" {
		t.Fatalf("userquery: exit %d %q %s", code, out, errOut)
	}
	if out, _, _ := run(t, append(flags, "--json", "courier", "userquery", "--phone", "13900000000")...); !strings.Contains(out, `"exist": 0`) || strings.Contains(out, "13900000000") {
		t.Fatalf("userquery --json: %s", out)
	}
	if _, errOut, code := run(t, append(flags, "courier", "userquery")...); code != 2 {
		t.Fatalf("userquery without --phone: exit %d %s", code, errOut)
	}
	if _, errOut, code := run(t, append(flags, "courier", "notify")...); code != 2 {
		t.Fatalf("notify without an order: exit %d %s", code, errOut)
	}

	out, errOut, code = run(t, append(flags, "courier", "notify", "CO-1", "--all-new")...)
	if code != 0 || out != "CO-1 CW123 to 138****8000: pushed 2\n" {
		t.Fatalf("notify: exit %d %q %s", code, out, errOut)
	}
	if len(pushes) != 2 || pushes[1].Path.ActionType != 200001 || pushes[1].Receiver.City != "泉州市" {
		t.Fatalf("pushes: %+v", pushes)
	}
	out, _, code = run(t, append(flags, "courier", "notify", "--all-new")...)
	if code != 0 || out != "nothing to push\n" || len(pushes) != 2 {
		t.Fatalf("notify again: exit %d %q, %d pushes", code, out, len(pushes))
	}
}

// TestCourierServeSafeMode runs the gateway with its Token and AES key in
// files: a plaintext back-check (signed only in the URL) gets no path, a
// sealed one does; a large body is answered 413.
func TestCourierServeSafeMode(t *testing.T) {
	db := courierHistory(t)
	addr := freeAddr(t)
	s := startServer(t, addr, "--db", db, "--appid", evAppID, "courier", "serve", "--listen", addr,
		"--token-file", secretFile(t, "token", evToken), "--aes-key-file", secretFile(t, "key", evAESKey))
	u := "http://" + addr + "/wx/notify"
	ev := []byte(`<xml><ToUserName>gh_c</ToUserName><FromUserName>o</FromUserName><MsgType>event</MsgType>` +
		`<Event>waybill_notify_query</Event><CreateTime>1</CreateTime><WaybillId>CW123</WaybillId>` +
		`<ReceiverPhone>13800138000</ReceiverPhone></xml>`)
	now := strconv.FormatInt(time.Now().Unix(), 10)
	code, answer := sendPush(t, u, plainPush(evToken, now, "1"), ev)
	if code != http.StatusForbidden || strings.Contains(answer, "揽收") || strings.Contains(answer, "泉州") {
		t.Fatalf("plaintext back-check in safe mode: %d %s", code, answer)
	}
	crypto, _ := wxapi.NewPushCrypto(evToken, evAESKey, evAppID, "")
	q, envelope := sealedPush(t, crypto, now, "2", ev, "")
	code, answer = sendPush(t, u, q, envelope)
	if code != 200 {
		t.Fatalf("sealed back-check: %d %s", code, answer)
	}
	plain, err := crypto.OpenReply([]byte(answer))
	if err != nil || !strings.Contains(string(plain), "快递员已揽收") {
		t.Fatalf("sealed answer: %s %v", plain, err)
	}
	q, _ = sealedPush(t, crypto, now, "3", ev, "")
	if code, answer = sendPush(t, u, q, make([]byte, 2<<20)); code != http.StatusRequestEntityTooLarge || !strings.Contains(answer, "too large") {
		t.Fatalf("2 MB back-check: %d %.100q", code, answer)
	}
	s.stop(t)
	if logs := s.errb.String(); !strings.Contains(logs, "safe mode: encrypted messages only") || strings.Contains(logs, evToken) || strings.Contains(logs, evAESKey) {
		t.Errorf("logs: %s", logs)
	}
}
