package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// TestSandboxGatewayEndToEnd runs the three commands a courier would, in
// process and over loopback: `courier serve` over the history (safe mode),
// `sandbox --gateway ...` playing WeChat for it (XML back-checks), and
// `courier notify` pushing through the sandbox, which checks each push back
// with the gateway; then a follow_waybill registration with the gateway's
// delivery_id reports the status of the gateway's scan-to-query answer.
func TestSandboxGatewayEndToEnd(t *testing.T) {
	const token, aesKey = "gwTok-5f2c", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	db := gatewayHistory(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	gwAddr, sbAddr := freeAddr(t), freeAddr(t)
	var gwOut, gwErr, sbOut, sbErr syncBuffer
	gwDone, sbDone := make(chan int), make(chan int)
	go func() {
		gwDone <- Main(ctx, []string{"--db", db, "--appid", "wxsandbox", "courier", "serve", "--listen", gwAddr,
			"--token", token, "--aes-key", aesKey}, &gwOut, &gwErr, nil)
	}()
	go func() {
		sbDone <- Main(ctx, []string{"sandbox", "--listen", sbAddr, "--state", filepath.Join(t.TempDir(), "sandbox.db"),
			"--appid", "wxsandbox", "--secret", "sandbox", "--gateway", "http://" + gwAddr, "--gateway-token", token,
			"--gateway-aes-key", aesKey, "--gateway-format", "xml", "--gateway-pattern", `^CW\d+$`, "--gateway-name", "自营配送",
			"--bound-phone", "13900000001"}, &sbOut, &sbErr, nil)
	}()
	waitListening(t, gwAddr)
	waitListening(t, sbAddr)
	sbURL := "http://" + sbAddr
	desk := []string{"--db", db, "--api-base", sbURL, "--appid", "wxsandbox", "--secret", "sandbox"}

	out, errOut, code := run(t, append(desk, "courier", "notify", "GW-1", "--all-new")...)
	if code != 0 || out != "GW-1 CW20250001 to 138****8000: pushed 2\n" {
		t.Fatalf("courier notify: exit %d %q %s\nsandbox: %s", code, out, errOut, sbErr.String())
	}
	var notices struct {
		Count   int `json:"count"`
		Notices []struct {
			DeliveryID string `json:"delivery_id"`
			WaybillID  string `json:"waybill_id"`
			ActionType int    `json:"action_type"`
			Result     string `json:"result"`
		} `json:"notices"`
	}
	getJSON(t, sbURL+"/sandbox/courier_notices?waybill_id=CW20250001", &notices)
	if notices.Count != 2 || notices.Notices[0].ActionType != 100001 || notices.Notices[1].ActionType != 200001 ||
		notices.Notices[1].DeliveryID != "SELF" || notices.Notices[1].Result != "path_updated" {
		t.Errorf("courier notices: %+v", notices)
	}
	for phone, want := range map[string]string{"13900000001": "bound", "13900000003": "not bound"} {
		out, _, code := run(t, append(desk, "courier", "userquery", "--phone", phone)...)
		if code != 0 || !strings.HasSuffix(out, " "+want+" to WeChat's express service\n") {
			t.Errorf("userquery %s: exit %d %q, want %s", phone, code, out, want)
		}
	}

	c := wxapi.New(wxapi.Options{BaseURL: sbURL, AppID: "wxsandbox", Secret: "sandbox", Timeout: 10 * time.Second, Logger: discardLogger()})
	reg, err := c.Follow(ctx, wxapi.NoticeFollow, &wxapi.FollowRequest{OpenID: "oBuyer", WaybillID: "CW20250001", DeliveryID: "SELF",
		TransID: "4200001234202503140000000002", GoodsInfo: wxapi.GoodsInfo{DetailList: []wxapi.NoticeGoods{{GoodsName: "茶叶", GoodsImgURL: "https://example.com/t.png"}}}})
	if err != nil {
		t.Fatal(err)
	}
	q, err := c.QueryTrace(ctx, wxapi.NoticeFollow, &wxapi.QueryTraceRequest{WaybillToken: reg.WaybillToken})
	if err != nil || q.WaybillInfo.Status != wxapi.NoticeStatusTransit || q.DeliveryInfo.DeliveryName != "自营配送" {
		t.Errorf("query_follow_trace: %+v %v", q, err)
	}
	reg, err = c.Follow(ctx, wxapi.NoticeFollow, &wxapi.FollowRequest{OpenID: "oBuyer", WaybillID: "CW20259999", DeliveryID: "SELF",
		TransID: "4200001234202503140000000002", GoodsInfo: wxapi.GoodsInfo{DetailList: []wxapi.NoticeGoods{{GoodsName: "茶叶", GoodsImgURL: "https://example.com/t.png"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.QueryTrace(ctx, wxapi.NoticeFollow, &wxapi.QueryTraceRequest{WaybillToken: reg.WaybillToken}); wxapi.Code(err) != 9300559 {
		t.Errorf("unknown waybill: %v, want 9300559", err)
	}

	cancel()
	if code := <-sbDone; code != 0 {
		t.Errorf("sandbox exit %d: %s", code, sbErr.String())
	}
	if code := <-gwDone; code != 0 {
		t.Errorf("courier serve exit %d: %s", code, gwErr.String())
	}
	logs := sbErr.String()
	if !strings.Contains(logs, "gateway courier registered") || !strings.Contains(logs, "pathnotify accepted") {
		t.Errorf("sandbox log:\n%s", logs)
	}
	for _, secret := range []string{token, aesKey, "13800138000", "13900000001"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the sandbox logged %s:\n%s", secret, logs)
		}
	}
}

// gatewayHistory writes a history with one placed order, GW-1 with waybill
// CW20250001 for receiver 13800138000 (bound by the sandbox's default
// rule), collected and in transit.
func gatewayHistory(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "history.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	req := wxapi.AddOrderRequest{OrderID: "GW-1", DeliveryID: wxapi.TestDeliveryID, BizID: wxapi.TestBizID,
		Sender:   wxapi.Contact{Name: "张三", Mobile: "13763357711", Province: "浙江省", City: "绍兴市", Area: "柯桥区", Address: "纺都路137号"},
		Receiver: wxapi.Contact{Name: "李四", Mobile: "13800138000", Province: "福建省", City: "泉州市", Area: "晋江市", Address: "庄宅北区158-6"}}
	body, _ := json.Marshal(req)
	if err := db.CopyOrder(ctx, &store.Order{OrderID: "GW-1", DeliveryID: req.DeliveryID, BizID: req.BizID,
		Status: store.StatusSubmitting, Request: body, ReceiverName: "李四", ReceiverPhone: "13800138000",
		ReceiverCity: "泉州市", CreatedAt: time.Now().Add(-2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := db.Placed(ctx, "GW-1", "CW20250001", nil, "", "addOrder", time.Now()); err != nil {
		t.Fatal(err)
	}
	events := []store.PathEvent{
		{ActionTime: time.Now().Add(-time.Hour), ActionType: 100001, ActionMsg: "快递员已揽收", Source: "push"},
		{ActionTime: time.Now().Add(-time.Minute), ActionType: 200001, ActionMsg: "快件到达 【泉州磁灶集散中心】", Source: "push"},
	}
	if _, err := db.AddPathEvents(ctx, "GW-1", 0, events); err != nil {
		t.Fatal(err)
	}
	return path
}

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d %s", url, resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, raw)
	}
}

// The gateway switches are explained in --help and checked before the
// sandbox starts.
func TestSandboxGatewayFlags(t *testing.T) {
	_, errOut, code := run(t, "sandbox", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, flag := range []string{"gateway", "gateway-token", "gateway-scan-token", "gateway-aes-key", "gateway-appid", "gateway-format",
		"gateway-pattern", "gateway-delivery-id", "gateway-name", "gateway-notify-url", "bound-phone"} {
		m := regexp.MustCompile(`(?m)^  -` + regexp.QuoteMeta(flag) + `( \w+)?\n    \t(.{20,})$`).FindStringSubmatch(errOut)
		if m == nil {
			t.Errorf("--help does not explain --%s in a sentence:\n%s", flag, errOut)
		}
	}
	for _, want := range []string{"/sandbox/gateways", "/sandbox/bound_phones", "/sandbox/courier_notices"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("--help does not mention %s", want)
		}
	}
	state := filepath.Join(t.TempDir(), "s.db")
	for _, bad := range [][]string{
		{"--gateway-token", "t"},
		{"--gateway", "http://127.0.0.1:8091"},
		{"--gateway", "ftp://127.0.0.1:8091", "--gateway-token", "t"},
		{"--gateway", "http://127.0.0.1:8091", "--gateway-token", "t", "--gateway-pattern", "("},
		{"--gateway", "http://127.0.0.1:8091", "--gateway-token", "t", "--gateway-format", "yaml"},
		{"--gateway", "http://127.0.0.1:8091", "--gateway-token", "t", "--gateway-aes-key", "short"},
		{"--bound-phone", ""},
		{"--bound-phone", "12"},
	} {
		args := append([]string{"sandbox", "--listen", "127.0.0.1:0", "--state", state}, bad...)
		if _, errOut, code := run(t, args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d %q, want 2", bad, code, errOut)
		}
	}
}
