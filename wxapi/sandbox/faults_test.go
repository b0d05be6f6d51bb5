package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

// setFaults posts a fault change and fails on anything but 200.
func (h *harness) setFaults(body string) Faults {
	h.t.Helper()
	var f Faults
	if code := h.admin(http.MethodPost, "/sandbox/faults", body, &f); code != http.StatusOK {
		h.t.Fatalf("POST /sandbox/faults %s: HTTP %d", body, code)
	}
	return f
}

func TestFaultsJSON(t *testing.T) {
	f := Faults{Latency: 80 * time.Millisecond, ErrorRate: 0.05, HTTP500Rate: 0.02, DropAfterCommitRate: 0.05, TokenTTL: 10 * time.Minute,
		UnknownAfterCommitRate: 0.01, AddOrderLatency: 5 * time.Second}
	raw, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"addorder-latency":"5s","drop-after-commit-rate":0.05,"error-rate":0.05,"http500-rate":0.02,"latency":"80ms","token-ttl":"10m0s","unknown-after-commit-rate":0.01}`
	if string(raw) != want {
		t.Errorf("JSON %s, want %s", raw, want)
	}
	var back Faults
	if err := json.Unmarshal(raw, &back); err != nil || back != f {
		t.Errorf("round trip: %v %+v", err, back)
	}
	// A partial update keeps the rest; underscores work too.
	if err := json.Unmarshal([]byte(`{"error_rate": 0.5}`), &back); err != nil || back.ErrorRate != 0.5 || back.Latency != f.Latency {
		t.Errorf("partial update: %v %+v", err, back)
	}
	for _, bad := range []string{`{"eror-rate":1}`, `{"latency":80}`, `{"latency":"fast"}`, `[1]`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	for _, bad := range []Faults{{ErrorRate: 1.5}, {HTTP500Rate: -0.1}, {Latency: -time.Second}, {Latency: time.Minute}, {TokenTTL: -1},
		{UnknownAfterCommitRate: 2}, {AddOrderLatency: time.Hour}} {
		if bad.Validate() == nil {
			t.Errorf("%+v validated", bad)
		}
	}
}

func TestFaultsAdmin(t *testing.T) {
	h := newHarnessWith(t, func(o *Options) { o.Faults.Latency = 5 * time.Millisecond })
	var got Faults
	if code := h.admin(http.MethodGet, "/sandbox/faults", nil, &got); code != http.StatusOK || got.Latency != 5*time.Millisecond {
		t.Fatalf("GET /sandbox/faults: %d %+v (the Options' faults)", code, got)
	}
	got = h.setFaults(`{"error-rate":0.25}`)
	if got.ErrorRate != 0.25 || got.Latency != 5*time.Millisecond || h.sb.Faults() != got {
		t.Errorf("after POST: %+v", got)
	}
	for _, bad := range []string{`{"error-rate":2}`, `{"nope":1}`, `not json`} {
		var e map[string]string
		if code := h.admin(http.MethodPost, "/sandbox/faults", bad, &e); code != http.StatusBadRequest || e["error"] == "" {
			t.Errorf("POST %s: HTTP %d %v", bad, code, e)
		}
	}
	if h.sb.Faults().ErrorRate != 0.25 {
		t.Errorf("a refused POST changed the faults: %+v", h.sb.Faults())
	}
	if code := h.admin(http.MethodGet, "/sandbox/nope", nil, nil); code != http.StatusNotFound {
		t.Errorf("unknown admin path: HTTP %d", code)
	}
}

// Faults hit WeChat's paths only: with every fault on, the admin paths
// answer at once and correctly.
func TestFaultsNeverOnAdmin(t *testing.T) {
	h := newHarness(t)
	h.setFaults(`{"latency":"2s","error-rate":1,"http500-rate":1,"drop-after-commit-rate":1}`)
	start := time.Now()
	for _, p := range []string{"/sandbox/faults", "/sandbox/orders", "/sandbox/clock", "/sandbox/label_size", "/sandbox/"} {
		if code := h.admin(http.MethodGet, p, nil, nil); code != http.StatusOK {
			t.Errorf("GET %s under faults: HTTP %d", p, code)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("admin calls took %v under a 2s latency", d)
	}
}

func TestFaultLatency(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.client.GetAllDelivery(ctx); err != nil { // token fetched without latency
		t.Fatal(err)
	}
	const latency = 150 * time.Millisecond
	h.setFaults(`{"latency":"150ms"}`)
	start := time.Now()
	if _, err := h.client.GetAllDelivery(ctx); err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	t.Logf("getAllDelivery with %v latency took %v", latency, d)
	if d < latency || d > latency+2*time.Second {
		t.Errorf("call took %v with %v latency", d, latency)
	}
}

func TestFaultErrorRate(t *testing.T) {
	h := newHarness(t)
	tok := h.token()
	h.setFaults(`{"error-rate":1}`)
	wantErr(t, h.do(http.MethodGet, wxapi.PathGetAllDelivery+"?access_token="+tok, nil), -1)
	_, err := h.client.AddOrder(context.Background(), sampleOrder("ERR-1", "YTO", "SANDBOX_YTO", 0, "普通快递"))
	if wxapi.Code(err) != wxapi.CodeBusy {
		t.Errorf("AddOrder under error-rate 1: %v, want errcode -1", err)
	}
	h.setFaults(`{"error-rate":0}`)
	if _, ok := h.orders()["ERR-1"]; ok {
		t.Error("an order answered -1 was stored")
	}
}

func TestFaultHTTP500(t *testing.T) {
	h := newHarness(t)
	tok := h.token()
	h.setFaults(`{"http500-rate":1}`)
	resp, err := http.Get(h.url + wxapi.PathGetAllDelivery + "?access_token=" + tok)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), "500 Internal Server Error") {
		t.Errorf("HTTP %d %q, want 500", resp.StatusCode, body)
	}
	_, err = h.client.GetAllDelivery(context.Background())
	if err == nil || !strings.Contains(err.Error(), "HTTP 500") {
		t.Errorf("client under http500-rate 1: %v", err)
	}
}

// The hardest case for a client: the order is stored but the answer lost.
func TestFaultDropAfterCommit(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.client.GetAllDelivery(ctx); err != nil { // the token comes before the fault
		t.Fatal(err)
	}
	h.setFaults(`{"drop-after-commit-rate":1}`)
	_, err := h.client.AddOrder(ctx, sampleOrder("DROP-1", "ZTO", "SANDBOX_ZTO", 0, "标准快件"))
	var we *wxapi.Error
	if err == nil || errors.As(err, &we) {
		t.Fatalf("AddOrder with its answer dropped: %v, want a connection error", err)
	}
	t.Logf("client saw: %v", err)
	h.setFaults(`{"drop-after-commit-rate":0}`)
	o, ok := h.orders()["DROP-1"]
	if !ok || o.Status != "placed" || o.WaybillID == "" {
		t.Fatalf("/sandbox/orders after a dropped answer: %+v %v", o, ok)
	}
	got, err := h.client.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: "DROP-1", DeliveryID: "ZTO"})
	if err != nil || got.WaybillID != o.WaybillID {
		t.Errorf("getOrder recovers the waybill: %v %+v", err, got)
	}
	_, err = h.client.AddOrder(ctx, sampleOrder("DROP-1", "ZTO", "SANDBOX_ZTO", 0, "标准快件"))
	if wxapi.Code(err) != wxapi.CodeOrderRepeated {
		t.Errorf("retrying the dropped addOrder: %v, want 9300522", err)
	}
}

// 9909001 after a commit: WeChat stored the order and answered a
// transient failure, as it once did; getOrder finds the waybill.
func TestFaultUnknownAfterCommit(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.client.GetAllDelivery(ctx); err != nil {
		t.Fatal(err)
	}
	h.setFaults(`{"unknown-after-commit-rate":1}`)
	_, err := h.client.AddOrder(ctx, sampleOrder("UNK-1", "ZTO", "SANDBOX_ZTO", 0, "标准快件"))
	if wxapi.Code(err) != wxapi.CodeTransient {
		t.Fatalf("AddOrder under unknown-after-commit-rate 1: %v, want errcode 9909001", err)
	}
	h.setFaults(`{"unknown-after-commit-rate":0}`)
	o, ok := h.orders()["UNK-1"]
	if !ok || o.WaybillID == "" {
		t.Fatalf("the order answered 9909001 was not stored: %+v", o)
	}
	_, err = h.client.AddOrder(ctx, sampleOrder("UNK-1", "ZTO", "SANDBOX_ZTO", 0, "标准快件"))
	if wxapi.Code(err) != wxapi.CodeOrderRepeated {
		t.Errorf("retry after 9909001: %v, want 9300522 as WeChat answered", err)
	}
}

// addorder-latency holds an addOrder before it is carried out: while it
// waits, getOrder does not know the order; after, it does.
func TestFaultAddOrderLatency(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.client.GetAllDelivery(ctx); err != nil {
		t.Fatal(err)
	}
	h.setFaults(`{"addorder-latency":"600ms"}`)
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := h.client.AddOrder(ctx, sampleOrder("SLOW-1", "ZTO", "SANDBOX_ZTO", 0, "标准快件"))
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	if _, err := h.client.GetOrder(ctx, &wxapi.GetOrderRequest{OrderID: "SLOW-1", DeliveryID: "ZTO"}); wxapi.Code(err) != wxapi.CodeOrderNotFound && wxapi.Code(err) != wxapi.CodeInvalidWaybill {
		t.Errorf("getOrder while the addOrder waits: %v, want no such order", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 600*time.Millisecond {
		t.Errorf("addOrder took %v under a 600ms addorder-latency", d)
	}
	if _, ok := h.orders()["SLOW-1"]; !ok {
		t.Error("the slow order was not stored")
	}
}

// Tokens die early under token-ttl although expires_in promises more; the
// client meets 42001 and refreshes by itself.
func TestFaultTokenTTL(t *testing.T) {
	h := newHarnessWith(t, func(o *Options) { o.Faults.TokenTTL = 10 * time.Minute })
	ctx := context.Background()
	r := h.do(http.MethodPost, wxapi.PathStableToken, wxapi.StableTokenRequest{GrantType: "client_credential", AppID: DefaultAppID, Secret: DefaultSecret})
	if r.ExpiresIn != int(h.ttl/time.Second) {
		t.Errorf("expires_in %d, want the announced %d", r.ExpiresIn, int(h.ttl/time.Second))
	}
	if _, err := h.client.GetAllDelivery(ctx); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(11 * time.Minute)
	wantErr(t, h.do(http.MethodGet, wxapi.PathGetAllDelivery+"?access_token="+r.AccessToken, nil), 42001)
	if _, err := h.client.GetAllDelivery(ctx); err != nil {
		t.Fatalf("the client did not recover from an early expiry: %v", err)
	}
	// Changed at run time, for tokens issued from then on.
	h.setFaults(`{"token-ttl":"0s"}`)
	h.clock.Add(11 * time.Minute)
	r = h.do(http.MethodPost, wxapi.PathStableToken, wxapi.StableTokenRequest{GrantType: "client_credential", AppID: DefaultAppID, Secret: DefaultSecret})
	h.clock.Add(11 * time.Minute)
	if got := h.do(http.MethodGet, wxapi.PathGetAllDelivery+"?access_token="+r.AccessToken, nil); got.ErrCode != 0 {
		t.Errorf("a token issued without the fault died early: %s", got.raw)
	}
}

func TestFaultQuotaExhausted(t *testing.T) {
	h := newHarness(t)
	h.admin(http.MethodPost, "/sandbox/quota", map[string]any{"delivery_id": "STO", "biz_id": "SANDBOX_STO", "quota_num": 0}, nil)
	_, err := h.client.AddOrder(context.Background(), sampleOrder("Q0-1", "STO", "SANDBOX_STO", 1, "标准快递"))
	var we *wxapi.Error
	if !errors.As(err, &we) || we.Code != wxapi.CodeCourierFailure || we.DeliveryResultCode != -1 ||
		!strings.Contains(we.DeliveryResultMsg, "电子面单余额不足") {
		t.Errorf("AddOrder on an empty account: %v, want 9300501 电子面单余额不足", err)
	}
}

// The dice are seeded: the same seed gives the same sequence of faults.
func TestFaultsRepeatable(t *testing.T) {
	outcomes := func(seed int64) string {
		h := newHarnessWith(t, func(o *Options) { o.Seed = seed; o.Faults.ErrorRate = 0.5 })
		var b strings.Builder
		for range 24 {
			r := h.do(http.MethodGet, wxapi.PathGetAllDelivery, nil) // 41001 when served, -1 when faulted
			if r.ErrCode == -1 {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b, c := outcomes(7), outcomes(7), outcomes(8)
	t.Logf("seed 7: %s, seed 8: %s", a, c)
	if a != b {
		t.Errorf("seed 7 gave %s then %s", a, b)
	}
	if a == c {
		t.Errorf("seeds 7 and 8 gave the same %s", a)
	}
	if !strings.Contains(a, "x") || !strings.Contains(a, ".") {
		t.Errorf("error-rate 0.5 gave %s", a)
	}
}
