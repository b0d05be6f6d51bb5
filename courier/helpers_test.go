package courier

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"waybilldesk/orders"
	"waybilldesk/store"
	"waybilldesk/wxapi"
)

const (
	testToken  = "1a2b3c456"
	testAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	testAppID  = "wx_courier_test"

	senderMobile   = "13763357711"
	receiverMobile = "13800138000"
	receiverTel    = "0851-28221234"
)

// gateway is a running gateway over a fresh history, on real HTTP.
type gateway struct {
	db      *store.DB
	svc     *orders.Service
	srv     *Server
	url     string
	now     time.Time
	version atomic.Int64
	nonce   atomic.Int64
}

// startGateway opens a history in a temporary folder and serves the
// gateway on loopback with its clock at now.
func startGateway(t *testing.T, now time.Time, opts Options) *gateway {
	t.Helper()
	db := openDB(t)
	g := &gateway{db: db, now: now, svc: orders.New(db, nil, orders.Options{Logger: quiet()})}
	opts.DB = db
	if opts.Token == "" {
		opts.Token = testToken
	}
	opts.Now = func() time.Time { return g.now }
	opts.Logger = quiet()
	var err error
	g.srv, err = NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(g.srv)
	t.Cleanup(hs.Close)
	g.url = hs.URL
	return g
}

// openDB opens an empty history in a temporary folder.
func openDB(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// addOrder writes a placed order through the store and its path through
// orders.ApplyPush, as an add_express_path push would.
func (g *gateway) addOrder(t *testing.T, orderID, waybill string, created time.Time, path ...wxapi.PathAction) *store.Order {
	t.Helper()
	ctx := context.Background()
	req := wxapi.AddOrderRequest{OrderID: orderID, DeliveryID: wxapi.TestDeliveryID, BizID: wxapi.TestBizID,
		Sender: wxapi.Contact{Name: "张三", Mobile: senderMobile, Province: "河北省", City: "廊坊市", Area: "永清县", Address: "永清镇1号"},
		Receiver: wxapi.Contact{Name: "李四", Mobile: receiverMobile, Tel: receiverTel, Province: "贵州省", City: "遵义市",
			Area: "红花岗区", Address: "桂花社区8号"}}
	body, _ := json.Marshal(req)
	o := &store.Order{OrderID: orderID, DeliveryID: req.DeliveryID, BizID: req.BizID, ServiceName: "标准快递",
		Status: store.StatusSubmitting, Request: body, ReceiverName: req.Receiver.Name, ReceiverPhone: receiverMobile,
		ReceiverCity: req.Receiver.City, CreatedAt: created}
	if err := g.db.CopyOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	if err := g.db.Placed(ctx, orderID, waybill, nil, "", "addOrder", time.Now()); err != nil {
		t.Fatal(err)
	}
	g.addPath(t, orderID, waybill, path...)
	got, err := g.db.Order(ctx, orderID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// addPath stores more events of an order through a newer push.
func (g *gateway) addPath(t *testing.T, orderID, waybill string, path ...wxapi.PathAction) {
	t.Helper()
	if len(path) == 0 {
		return
	}
	ev := &wxapi.PathEvent{DeliveryID: wxapi.TestDeliveryID, WaybillID: waybill, OrderID: orderID,
		Version: int(g.version.Add(1)), Count: len(path), Actions: path}
	if _, err := g.svc.ApplyPush(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
}

// cst builds a China-time instant.
func cst(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, chinaTime)
}

func act(at time.Time, typ int, msg string) wxapi.PathAction {
	return wxapi.PathAction{ActionTime: at.Unix(), ActionType: typ, ActionMsg: msg}
}

// scanURL is a scan-to-query request signed like WeChat signs it, with a
// fresh nonce at the gateway's time.
func (g *gateway) scanURL(waybill string, mutate func(q url.Values)) string {
	ts := strconv.FormatInt(g.now.Unix(), 10)
	nonce := strconv.FormatInt(1000+g.nonce.Add(1), 10)
	q := url.Values{"orderid": {waybill}, "openid": {"oUser1"}, "timestamp": {ts}, "nonce": {nonce},
		"signature": {wxapi.Signature(testToken, ts, nonce)}, "callback": {"WxOrderCb"}}
	if mutate != nil {
		mutate(q)
	}
	return g.url + DefaultQueryPath + "?" + q.Encode()
}

// get fetches a URL with a deadline and returns status, content type and body.
func get(t *testing.T, u string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// jsonp unwraps callback(...) and decodes what is inside.
func jsonp(t *testing.T, callback, body string, v any) {
	t.Helper()
	if !strings.HasPrefix(body, callback+"(") || !strings.HasSuffix(body, ")") {
		t.Fatalf("not a %s(...) call: %q", callback, body)
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(body, callback+"("), ")")
	dec := json.NewDecoder(strings.NewReader(inner))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", inner, err)
	}
}
