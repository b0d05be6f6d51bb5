package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

// testClock is a clock tests can move forward.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2025, 3, 14, 9, 26, 53, 0, chinaTime)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness is a sandbox served over real HTTP on loopback, with the real
// client pointed at it.
type harness struct {
	t      *testing.T
	sb     *Sandbox
	url    string
	dbPath string
	clock  *testClock
	client *wxapi.Client
	ttl    time.Duration
	tune   func(*Options) // optional: changes the Options of every start
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, nil)
}

// newHarnessWith starts a harness whose Options tune adjusts.
func newHarnessWith(t *testing.T, tune func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, dbPath: filepath.Join(t.TempDir(), "sandbox.db"), clock: newTestClock(), ttl: time.Hour, tune: tune}
	h.start()
	return h
}

// start opens the sandbox on h.dbPath and starts serving it.
func (h *harness) start() {
	h.t.Helper()
	opts := Options{DBPath: h.dbPath, TokenTTL: h.ttl, Now: h.clock.Now, Logger: quietLog}
	if h.tune != nil {
		h.tune(&opts)
	}
	sb, err := Open(context.Background(), opts)
	if err != nil {
		h.t.Fatalf("Open: %v", err)
	}
	url, err := sb.Start("127.0.0.1:0")
	if err != nil {
		sb.Close()
		h.t.Fatalf("Start: %v", err)
	}
	h.sb, h.url = sb, url
	h.client = wxapi.New(wxapi.Options{BaseURL: url, AppID: DefaultAppID, Secret: DefaultSecret, Logger: quietLog, Timeout: 10 * time.Second})
	h.t.Cleanup(func() { h.sb.Close() })
}

// restart closes the sandbox and opens the same database file again.
func (h *harness) restart() {
	h.t.Helper()
	if err := h.sb.Close(); err != nil {
		h.t.Fatalf("Close: %v", err)
	}
	h.start()
}

// reply is any WeChat answer, decoded loosely.
type reply struct {
	ErrCode            int        `json:"errcode"`
	ErrMsg             string     `json:"errmsg"`
	DeliveryResultCode int        `json:"delivery_resultcode"`
	DeliveryResultMsg  string     `json:"delivery_resultmsg"`
	AccessToken        string     `json:"access_token"`
	ExpiresIn          int        `json:"expires_in"`
	OrderID            string     `json:"order_id"`
	WaybillID          string     `json:"waybill_id"`
	WaybillData        []wxapi.KV `json:"waybill_data"`
	raw                string
}

// do sends one raw HTTP request; body may be nil, a string (sent as is) or
// a value encoded as JSON.
func (h *harness) do(method, pathAndQuery string, body any) reply {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.url+pathAndQuery, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, pathAndQuery, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("%s %s: HTTP %d: %s", method, pathAndQuery, resp.StatusCode, raw)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		h.t.Errorf("%s %s: Content-Type %q", method, pathAndQuery, ct)
	}
	var r reply
	if err := json.Unmarshal(raw, &r); err != nil {
		h.t.Fatalf("%s %s: answer is not JSON: %v: %s", method, pathAndQuery, err, raw)
	}
	r.raw = string(raw)
	return r
}

// token gets a stable token with raw HTTP.
func (h *harness) token() string {
	h.t.Helper()
	r := h.do(http.MethodPost, wxapi.PathStableToken, wxapi.StableTokenRequest{
		GrantType: "client_credential", AppID: DefaultAppID, Secret: DefaultSecret})
	if r.ErrCode != 0 || r.AccessToken == "" {
		h.t.Fatalf("stable_token: %s", r.raw)
	}
	return r.AccessToken
}

var ridRe = regexp.MustCompile(` rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$`)

// wantErr checks an error answer's code and WeChat-style errmsg.
func wantErr(t *testing.T, r reply, code int) {
	t.Helper()
	if r.ErrCode != code {
		t.Errorf("errcode = %d, want %d (answer %s)", r.ErrCode, code, r.raw)
	}
	if !ridRe.MatchString(r.ErrMsg) {
		t.Errorf("errmsg %q does not end with a WeChat rid", r.ErrMsg)
	}
}

// Phones used by sampleOrder; the label must show none of them in full.
const (
	receiverMobile = "13812345678"
	receiverTel    = "020-88888888"
	senderMobile   = "18666666666"
	senderTel      = "0755-12345678"
)

// sampleOrder is a complete addOrder that every courier accepts.
func sampleOrder(orderID, deliveryID, bizID string, serviceType int, serviceName string) *wxapi.AddOrderRequest {
	return &wxapi.AddOrderRequest{
		AddSource:    wxapi.AddSourceMiniProgram,
		OrderID:      orderID,
		OpenID:       "oSandboxBuyer0001",
		DeliveryID:   deliveryID,
		BizID:        bizID,
		CustomRemark: "易碎物品，轻拿轻放",
		Sender: wxapi.Contact{Name: "张三", Tel: senderTel, Mobile: senderMobile, Company: "深圳星河电子商行",
			Country: "中国", Province: "广东省", City: "深圳市", Area: "南山区", Address: "科技园科苑路15号科兴科学园B栋3单元1201"},
		Receiver: wxapi.Contact{Name: "王小蒙", Tel: receiverTel, Mobile: receiverMobile,
			Country: "中国", Province: "广东省", City: "广州市", Area: "天河区", Address: "天河路385号太古汇一座18楼"},
		Cargo: wxapi.Cargo{Count: 2, Weight: 1.2, SpaceX: 30.5, SpaceY: 20, SpaceZ: 20,
			DetailList: []wxapi.CargoDetail{{Name: "微信气泡狗抱枕", Count: 1}, {Name: "微信气泡狗钥匙扣", Count: 1}}},
		Shop: wxapi.Shop{WxaPath: "/pages/order/detail?id=" + orderID,
			DetailList: []wxapi.ShopGoods{{GoodsName: "微信气泡狗抱枕", GoodsImgURL: "https://example.com/a.png"}}},
		Insured: wxapi.Insured{UseInsured: 0},
		Service: wxapi.Service{ServiceType: serviceType, ServiceName: serviceName},
	}
}

// quota returns the quota_num of an account via the real client.
func (h *harness) quota(deliveryID, bizID string) int {
	h.t.Helper()
	resp, err := h.client.GetAllAccount(context.Background())
	if err != nil {
		h.t.Fatalf("GetAllAccount: %v", err)
	}
	for _, a := range resp.List {
		if a.DeliveryID == deliveryID && a.BizID == bizID {
			return a.QuotaNum
		}
	}
	h.t.Fatalf("no account %s/%s", deliveryID, bizID)
	return 0
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// courierCase is a courier with an account (or cash biz id) and a service
// every sample order can use.
type courierCase struct {
	delivery, biz string
	svc           int
	svcName       string
}

// everyCourier covers the whole catalogue, TEST included.
var everyCourier = []courierCase{
	{"SF", "SF_CASH", 3, "顺丰标快"},
	{"YTO", "SANDBOX_YTO", 0, "普通快递"},
	{"ZTO", "SANDBOX_ZTO", 0, "标准快件"},
	{"STO", "SANDBOX_STO", 1, "标准快递"},
	{"YUNDA", "SANDBOX_YUNDA", 0, "标准快件"},
	{"BEST", "SANDBOX_BEST", 1, "标准快递"},
	{"EMS", "SANDBOX_EMS", 9, "快递包裹"},
	{"DB", "DB_CASH", 2, "特准快件"},
	{"OTP", "OTP_CASH", 1, "标准快递"},
	{"PJ", "PJ_CASH", 1, "标准快递"},
	{"TEST", "test_biz_id", 1, "test_service_name"},
}

// courierByID finds a case of everyCourier.
func courierByID(t *testing.T, id string) courierCase {
	t.Helper()
	for _, c := range everyCourier {
		if c.delivery == id {
			return c
		}
	}
	t.Fatalf("no courier case %s", id)
	return courierCase{}
}

// place adds a sample order of the courier through the real client.
func (h *harness) place(orderID, deliveryID string) *wxapi.AddOrderResponse {
	h.t.Helper()
	c := courierByID(h.t, deliveryID)
	resp, err := h.client.AddOrder(context.Background(), sampleOrder(orderID, c.delivery, c.biz, c.svc, c.svcName))
	if err != nil {
		h.t.Fatalf("AddOrder %s %s: %v", deliveryID, orderID, err)
	}
	return resp
}

// advance moves the sandbox clock only (tokens live on the wall clock).
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	if err := h.sb.Advance(context.Background(), d); err != nil {
		h.t.Fatal(err)
	}
}

// path reads an order's path through the real client.
func (h *harness) path(orderID, deliveryID, waybillID string) *wxapi.GetPathResponse {
	h.t.Helper()
	resp, err := h.client.GetPath(context.Background(), &wxapi.GetPathRequest{OrderID: orderID, DeliveryID: deliveryID, WaybillID: waybillID})
	if err != nil {
		h.t.Fatalf("GetPath %s: %v", orderID, err)
	}
	return resp
}

// admin calls a /sandbox/ endpoint and decodes its JSON answer into out
// (may be nil); it returns the HTTP status.
func (h *harness) admin(method, path string, body any, out any) int {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		rd = strings.NewReader(mustJSON(h.t, b))
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			h.t.Fatalf("%s %s: answer %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}

// sandboxOrders is GET /sandbox/orders.
type sandboxOrders struct {
	Count  int          `json:"count"`
	Orders []adminOrder `json:"orders"`
}

// orders lists the sandbox's orders by order_id.
func (h *harness) orders() map[string]adminOrder {
	h.t.Helper()
	var list sandboxOrders
	if code := h.admin(http.MethodGet, "/sandbox/orders", nil, &list); code != http.StatusOK {
		h.t.Fatalf("GET /sandbox/orders: HTTP %d", code)
	}
	out := map[string]adminOrder{}
	for _, o := range list.Orders {
		out[o.OrderID] = o
	}
	if len(out) != list.Count {
		h.t.Errorf("/sandbox/orders count %d for %d orders", list.Count, len(out))
	}
	return out
}
