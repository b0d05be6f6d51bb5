package wxapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fixture reads a sample payload copied from the shared spec
// (../shared/spec/fixtures; see testdata/fixtures/README.md for sources).
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fixtures", name))
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return b
}

// fakeWeChat is an httptest server that issues tokens and hands business
// calls to handle, recording what it saw.
type fakeWeChat struct {
	*httptest.Server
	tokenCalls atomic.Int32
	mu         sync.Mutex
	seen       []*http.Request
	bodies     []string
	token      atomic.Value // current valid token
}

func newFake(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, body []byte)) *fakeWeChat {
	f := &fakeWeChat{}
	f.token.Store("TOKEN-1")
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == PathStableToken || r.URL.Path == PathToken {
			n := f.tokenCalls.Add(1)
			time.Sleep(20 * time.Millisecond) // let concurrent callers pile up
			var req StableTokenRequest
			json.Unmarshal(body, &req)
			if req.ForceRefresh {
				f.token.Store("TOKEN-FORCED")
			}
			_ = n
			json.NewEncoder(w).Encode(TokenResponse{AccessToken: f.token.Load().(string), ExpiresIn: 7200})
			return
		}
		f.mu.Lock()
		f.seen = append(f.seen, r)
		f.bodies = append(f.bodies, string(body))
		f.mu.Unlock()
		handle(w, r, body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeWeChat) client(opts Options) *Client {
	opts.BaseURL = f.URL
	if opts.AppID == "" {
		opts.AppID, opts.Secret = "wxapp", "s3cret"
	}
	return New(opts)
}

func TestGetAllDeliveryDecodesFixture(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if r.Method != http.MethodGet || r.URL.Path != PathGetAllDelivery || r.URL.Query().Get("access_token") != "TOKEN-1" {
			t.Errorf("got %s %s", r.Method, r.URL)
		}
		w.Write(fixture(t, "getAllDelivery.response.json"))
	})
	got, err := f.client(Options{}).GetAllDelivery(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.Count != 7 || len(got.Data) != 7 || got.Data[3].DeliveryID != "SF" || got.Data[3].DeliveryName != "顺丰速运" {
		t.Fatalf("decoded %+v", got)
	}
}

func TestGetAllAccountReadsQuota(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if r.Method != http.MethodGet || r.URL.Path != PathGetAllAccount {
			t.Errorf("got %s %s", r.Method, r.URL.Path)
		}
		w.Write(fixture(t, "getAllAccount.response.json"))
	})
	got, err := f.client(Options{}).GetAllAccount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a := got.List[0]
	if a.QuotaNum != 55 || a.BizID != "123456789" || a.DeliveryID != "YUNDA" || a.QuotaUpdateTime != 1556594799 || !a.Usable() {
		t.Fatalf("decoded %+v", a)
	}
}

// TestAddOrderSendsSpecFieldsAndUnits checks the body field by field
// against the spec's sample: snake_case names, decimal kilograms, fen, real
// objects, and "&" not escaped.
func TestAddOrderSendsSpecFieldsAndUnits(t *testing.T) {
	var sample AddOrderRequest
	if err := json.Unmarshal(fixture(t, "addOrder.request.json"), &sample); err != nil {
		t.Fatal(err)
	}
	// The payment id kept for buyer notices is not addOrder's to carry.
	sample.TransID = "4200001234202503140000000001"
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if r.Method != http.MethodPost || r.URL.Path != PathAddOrder || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("got %s %s %s", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		w.Write(fixture(t, "addOrder.response.json"))
	})
	resp, err := f.client(Options{}).AddOrder(context.Background(), &sample)
	if err != nil {
		t.Fatal(err)
	}
	if resp.WaybillID != "123456789" || len(resp.WaybillData) != 2 || resp.WaybillData[0].Key != "SF_bagAddr" {
		t.Fatalf("response %+v", resp)
	}
	body := f.bodies[0]
	var sent map[string]any
	if err := json.Unmarshal([]byte(body), &sent); err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	json.Unmarshal(fixture(t, "addOrder.request.json"), &want)
	for _, key := range []string{"add_source", "order_id", "openid", "delivery_id", "biz_id", "custom_remark", "sender", "receiver", "shop", "cargo", "insured", "service"} {
		gotJSON, _ := json.Marshal(sent[key])
		wantJSON, _ := json.Marshal(want[key])
		if string(gotJSON) != string(wantJSON) {
			t.Errorf("%s sent as %s, want %s", key, gotJSON, wantJSON)
		}
	}
	if !strings.Contains(body, `"weight":5.5`) || !strings.Contains(body, `"space_x":30.5`) || !strings.Contains(body, `"insured_value":10000`) {
		t.Errorf("units wrong in %s", body)
	}
	if !strings.Contains(body, "抱枕&微信") || strings.Contains(body, `\u0026`) {
		t.Errorf("goods name escaped: %s", body)
	}
	if !strings.Contains(body, `"expect_time":0`) {
		t.Errorf("expect_time not sent: SF needs it present")
	}
	if _, ok := sent["trans_id"]; ok || sample.TransID == "" {
		t.Errorf("addOrder sent trans_id (or dropped it from the caller's order): %s", body)
	}
}

func TestErrorsKeepErrcode(t *testing.T) {
	tests := []struct {
		fixture      string
		code         int
		deliveryCode int
	}{
		{"addOrder.response.error-9300501.easywechat.json", 9300501, 10002},
		{"addOrder.response.error-30001-detaillist.community.json", 9300501, 30001},
		{"addOrder.response.error-9300522-repeated.community.json", 9300522, 0},
		{"addOrder.response.error-9300535-shop.community.json", 9300535, 0},
	}
	var sample AddOrderRequest
	json.Unmarshal(fixture(t, "addOrder.request.json"), &sample)
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) { w.Write(fixture(t, tt.fixture)) })
			_, err := f.client(Options{}).AddOrder(context.Background(), &sample)
			var we *Error
			if !errors.As(err, &we) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if we.Code != tt.code || we.DeliveryResultCode != tt.deliveryCode || Code(err) != tt.code {
				t.Fatalf("got %+v", we)
			}
			if !strings.Contains(err.Error(), "errcode") || we.Endpoint != "addOrder" {
				t.Fatalf("message %q", err)
			}
		})
	}
}

func TestGetOrderDecodesLabel(t *testing.T) {
	html := "<!doctype html><html><body>运单 SF123</body></html>"
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		var req GetOrderRequest
		json.Unmarshal(body, &req)
		if req.OrderID != "A1" || req.DeliveryID != "SF" || req.PrintType == nil || *req.PrintType != PrintTypeOnePart {
			t.Errorf("request %s", body)
		}
		json.NewEncoder(w).Encode(GetOrderResponse{PrintHTML: b64(html), WaybillID: "SF123", OrderID: "A1", DeliveryID: "SF"})
	})
	one := PrintTypeOnePart
	resp, err := f.client(Options{}).GetOrder(context.Background(), &GetOrderRequest{OrderID: "A1", DeliveryID: "SF", PrintType: &one})
	if err != nil {
		t.Fatal(err)
	}
	got, err := resp.Label()
	if err != nil || got != html {
		t.Fatalf("label %q %v", got, err)
	}
}

func TestDecodePrintHTMLRejectsPlaceholder(t *testing.T) {
	var sample GetOrderResponse
	json.Unmarshal(fixture(t, "getOrder.response.json"), &sample)
	if _, err := sample.Label(); err == nil {
		t.Fatal("the official placeholder print_html decoded as a label")
	}
	if _, err := DecodePrintHTML(b64("just text")); err == nil {
		t.Fatal("non-HTML accepted")
	}
}

func TestConcurrentCallsShareOneTokenFetch(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Write(fixture(t, "getAllAccount.response.json"))
	})
	c := f.client(Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.GetAllAccount(context.Background())
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := f.tokenCalls.Load(); n != 1 {
		t.Fatalf("%d token fetches for 20 concurrent calls, want 1", n)
	}
}

func TestRejectedTokenIsRefreshedOnceAndRetried(t *testing.T) {
	var calls atomic.Int32
	f := newFake(t, nil)
	f.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == PathStableToken {
			f.tokenCalls.Add(1)
			var req StableTokenRequest
			json.Unmarshal(body, &req)
			tok := "STALE"
			if req.ForceRefresh {
				tok = "FRESH"
			}
			json.NewEncoder(w).Encode(TokenResponse{AccessToken: tok, ExpiresIn: 7200})
			return
		}
		calls.Add(1)
		if r.URL.Query().Get("access_token") != "FRESH" {
			w.Write([]byte(`{"errcode":40001,"errmsg":"invalid credential, access_token is invalid or not latest rid: 1"}`))
			return
		}
		w.Write(fixture(t, "getAllAccount.response.json"))
	})
	c := f.client(Options{})
	if _, err := c.GetAllAccount(context.Background()); err != nil {
		t.Fatal(err)
	}
	// First call with STALE, refresh (normal mode returns STALE again, so a
	// forced refresh follows), then one retry with FRESH.
	if calls.Load() != 2 || f.tokenCalls.Load() != 3 {
		t.Fatalf("business calls %d, token calls %d", calls.Load(), f.tokenCalls.Load())
	}
}

func TestTokenRejectedTwiceGivesTheError(t *testing.T) {
	var calls atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		calls.Add(1)
		w.Write([]byte(`{"errcode":42001,"errmsg":"access_token expired rid: 2"}`))
	})
	_, err := f.client(Options{}).GetAllAccount(context.Background())
	if Code(err) != CodeTokenExpired || calls.Load() != 2 {
		t.Fatalf("err %v after %d calls; want 42001 after exactly one retry", err, calls.Load())
	}
}

func TestClassicTokenMode(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) { w.Write([]byte(`{"count":0,"list":[]}`)) })
	var got *http.Request
	inner := f.Config.Handler
	f.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == PathToken {
			got = r
		}
		inner.ServeHTTP(w, r)
	})
	if _, err := f.client(Options{TokenMode: TokenClassic}).GetAllAccount(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Method != http.MethodGet || got.URL.Query().Get("grant_type") != "client_credential" || got.URL.Query().Get("appid") != "wxapp" {
		t.Fatalf("classic token request %v", got)
	}
}

func TestMalformedAndFailedAnswers(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"truncated JSON", 200, `{"count":3,"data":[`, "malformed answer"},
		{"wrong types", 200, `{"count":"many","data":{}}`, "malformed answer"},
		{"HTTP 502", 502, `<html>bad gateway</html>`, "HTTP 502"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			})
			_, err := f.client(Options{}).GetAllDelivery(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestTimeoutDoesNotLeakToken(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) { time.Sleep(500 * time.Millisecond) })
	_, err := f.client(Options{Timeout: 100 * time.Millisecond}).GetAllDelivery(context.Background())
	if err == nil {
		t.Fatal("no timeout")
	}
	if strings.Contains(err.Error(), "TOKEN-1") || strings.Contains(err.Error(), "access_token=") {
		t.Fatalf("error leaks the token: %v", err)
	}
}

func TestNoCredentials(t *testing.T) {
	c := New(Options{BaseURL: "http://127.0.0.1:1"})
	if _, err := c.GetAllDelivery(context.Background()); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("err = %v, want ErrNoCredentials", err)
	}
}

func TestReadsRetryTransientFailuresWritesNever(t *testing.T) {
	var gets, adds atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		switch r.URL.Path {
		case PathGetOrder:
			switch gets.Add(1) {
			case 1:
				w.Write([]byte(`{"errcode":-1,"errmsg":"system error"}`))
			case 2:
				w.WriteHeader(http.StatusBadGateway)
			default:
				json.NewEncoder(w).Encode(GetOrderResponse{OrderID: "A1", WaybillID: "W1", PrintHTML: b64("<html></html>")})
			}
		case PathAddOrder:
			adds.Add(1)
			w.Write([]byte(`{"errcode":-1,"errmsg":"system error"}`))
		}
	})
	c := f.client(Options{})
	got, err := c.GetOrder(context.Background(), &GetOrderRequest{OrderID: "A1", DeliveryID: "SF"})
	if err != nil || got.WaybillID != "W1" || gets.Load() != 3 {
		t.Fatalf("getOrder after -1 and 502: %v %+v (%d tries)", err, got, gets.Load())
	}
	var sample AddOrderRequest
	json.Unmarshal(fixture(t, "addOrder.request.json"), &sample)
	if _, err := c.AddOrder(context.Background(), &sample); Code(err) != CodeBusy || adds.Load() != 1 {
		t.Fatalf("addOrder was retried (%d sends): %v", adds.Load(), err)
	}
	// A refusal is not transient: one try.
	gets.Store(100)
	f2 := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		gets.Add(1)
		w.Write([]byte(`{"errcode":9300528,"errmsg":"invalid waybill_id"}`))
	})
	if _, err := f2.client(Options{}).GetOrder(context.Background(), &GetOrderRequest{OrderID: "A1", DeliveryID: "SF"}); Code(err) != CodeInvalidWaybill || gets.Load() != 101 {
		t.Fatalf("refusal retried: %v (%d)", err, gets.Load()-100)
	}
}
