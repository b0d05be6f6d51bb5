package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	deskcourier "waybilldesk/courier"
	"waybilldesk/orders"
	deskstore "waybilldesk/store"
	"waybilldesk/wxapi"
)

// The sandbox playing WeChat for a gateway courier, end to end over
// loopback: Waybill Desk's own gateway (package courier) serves a real
// history, its Notifier calls the sandbox's userquery and pathnotify, and
// the sandbox checks every push back with the gateway and pulls traces
// from its scan-to-query endpoint.

const (
	gwToken    = "gatewayToken1"
	gwAESKey   = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	gwSender   = "13763357711"
	gwReceiver = "13800138000" // ends in 0: bound by default
	gwUnbound  = "13800138001" // ends in 1: unbound by default
	gwPattern  = `^CW\d{4}$`
)

// courierGateway is a running courier.Server over its own history, with
// the sandbox's clock, recording what reached it.
type courierGateway struct {
	db      *deskstore.DB
	svc     *orders.Service
	url     string
	version atomic.Int64

	mu    sync.Mutex
	calls []gatewayCall
}

// gatewayCall is one request the gateway received.
type gatewayCall struct {
	Path, EncryptType, OpenID, Body string
}

func startCourierGateway(t *testing.T, h *harness, opts deskcourier.Options) *courierGateway {
	t.Helper()
	db, err := deskstore.Open(context.Background(), filepath.Join(t.TempDir(), "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	g := &courierGateway{db: db, svc: orders.New(db, nil, orders.Options{Logger: quietLog, Actor: "test"})}
	opts.DB = db
	if opts.Token == "" {
		opts.Token = gwToken
	}
	opts.Now, opts.Logger = h.clock.Now, quietLog
	srv, err := deskcourier.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		q := r.URL.Query()
		g.mu.Lock()
		g.calls = append(g.calls, gatewayCall{Path: r.URL.Path, EncryptType: q.Get("encrypt_type"), OpenID: q.Get("openid"), Body: string(body)})
		g.mu.Unlock()
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	g.url = hs.URL
	return g
}

// callsTo returns the requests the gateway received on a path.
func (g *courierGateway) callsTo(path string) []gatewayCall {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []gatewayCall
	for _, c := range g.calls {
		if c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

// addOrder writes a placed order into the history and its path through
// orders.ApplyPush, as an add_express_path push would.
func (g *courierGateway) addOrder(t *testing.T, orderID, waybill, receiver string, created time.Time, path ...wxapi.PathAction) {
	t.Helper()
	ctx := context.Background()
	req := wxapi.AddOrderRequest{OrderID: orderID, DeliveryID: wxapi.TestDeliveryID, BizID: wxapi.TestBizID,
		Sender: wxapi.Contact{Name: "张三", Mobile: gwSender, Province: "浙江省", City: "绍兴市", Area: "柯桥区", Address: "纺都路137号"},
		Receiver: wxapi.Contact{Name: "李四", Mobile: receiver, Province: "福建省", City: "泉州市", Area: "晋江市",
			Address: "庄宅北区158-6"}}
	body, _ := json.Marshal(req)
	o := &deskstore.Order{OrderID: orderID, DeliveryID: req.DeliveryID, BizID: req.BizID, ServiceName: "标准快递",
		Status: deskstore.StatusSubmitting, Request: body, ReceiverName: req.Receiver.Name, ReceiverPhone: receiver,
		ReceiverCity: req.Receiver.City, CreatedAt: created}
	if err := g.db.CopyOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	if err := g.db.Placed(ctx, orderID, waybill, nil, "", "addOrder", time.Now()); err != nil {
		t.Fatal(err)
	}
	g.addPath(t, orderID, waybill, path...)
}

// addPath stores more events of an order through a newer push.
func (g *courierGateway) addPath(t *testing.T, orderID, waybill string, path ...wxapi.PathAction) {
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

func pathAction(at time.Time, typ int, msg string) wxapi.PathAction {
	return wxapi.PathAction{ActionTime: at.Unix(), ActionType: typ, ActionMsg: msg}
}

// addGateway registers a gateway courier with the sandbox.
func (h *harness) addGateway(o GatewayOptions) {
	h.t.Helper()
	if _, err := h.sb.AddGateway(o); err != nil {
		h.t.Fatal(err)
	}
}

// courierNotices is GET /sandbox/courier_notices (of one waybill, or all).
func (h *harness) courierNotices(waybill string) []CourierNotice {
	h.t.Helper()
	var out struct {
		Count   int             `json:"count"`
		Notices []CourierNotice `json:"notices"`
	}
	path := "/sandbox/courier_notices"
	if waybill != "" {
		path += "?waybill_id=" + waybill
	}
	if code := h.admin(http.MethodGet, path, nil, &out); code != http.StatusOK || out.Count != len(out.Notices) {
		h.t.Fatalf("GET %s: HTTP %d %+v", path, code, out)
	}
	return out.Notices
}

// notifier is the gateway's `courier notify`, calling the sandbox.
func (h *harness) notifier(g *courierGateway) *deskcourier.Notifier {
	return &deskcourier.Notifier{DB: g.db, API: h.client, Timeout: 10 * time.Second, Now: h.clock.Now, Logger: quietLog}
}

// syncBuffer collects a log written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestGatewayNotifyEndToEnd: `courier notify` → userquery → pathnotify →
// the sandbox's waybill_notify_query to the gateway → accepted and
// recorded, in both data formats, plaintext and safe mode.
func TestGatewayNotifyEndToEnd(t *testing.T) {
	for _, format := range []string{GatewayJSON, GatewayXML} {
		for _, safe := range []bool{false, true} {
			name := format + map[bool]string{false: "/plaintext", true: "/safe-mode"}[safe]
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				var logs syncBuffer
				h := newHarnessWith(t, func(o *Options) {
					o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
				})
				now := h.clock.Now()
				gwOpts := deskcourier.Options{}
				sbOpts := GatewayOptions{DeliveryID: "SELF", Name: "自营配送", Token: gwToken, Format: format, Pattern: gwPattern}
				if safe {
					gwOpts.AESKey, gwOpts.AppID = gwAESKey, DefaultAppID
					sbOpts.AESKey = gwAESKey // AppID: the sandbox's
				}
				g := startCourierGateway(t, h, gwOpts)
				sbOpts.URL = g.url
				h.addGateway(sbOpts)
				g.addOrder(t, "GW-1", "CW1001", gwReceiver, now.Add(-48*time.Hour),
					pathAction(now.Add(-40*time.Hour), 100001, "快递员张三(13911112222)已揽收"),
					pathAction(now.Add(-20*time.Hour), 200001, "快件到达 【泉州磁灶集散中心】"))

				n := h.notifier(g)
				res, err := n.Notify(ctx, "GW-1", true)
				if err != nil || !res.Bound || res.PushedCount != 2 {
					t.Fatalf("notify: %+v %v", res, err)
				}
				checks := g.callsTo(deskcourier.DefaultNotifyPath)
				if len(checks) != 2 {
					t.Fatalf("the gateway got %d back-checks, want 2", len(checks))
				}
				for _, c := range checks {
					if (c.EncryptType == "aes") != safe || strings.HasPrefix(c.Body, "<") != (format == GatewayXML) {
						t.Errorf("back-check request (safe %v, %s): encrypt_type %q, body %.60s", safe, format, c.EncryptType, c.Body)
					}
					if safe && (strings.Contains(c.Body, "CW1001") || !strings.Contains(c.Body, "Encrypt")) {
						t.Errorf("safe-mode back-check is not encrypted: %.80s", c.Body)
					}
				}
				got := h.courierNotices("CW1001")
				if len(got) != 2 || got[0].ActionType != 100001 || got[1].ActionType != 200001 {
					t.Fatalf("notices: %+v", got)
				}
				for _, nt := range got {
					if nt.DeliveryID != "SELF" || nt.Phone != "138****8000" || nt.Result != noticePathUpdated || nt.CreateTime != now.Unix() {
						t.Errorf("notice %+v", nt)
					}
				}
				if got[1].ActionMsg != "快件到达 【泉州磁灶集散中心】" || got[1].ActionTime != now.Add(-20*time.Hour).Unix() {
					t.Errorf("second notice %+v", got[1])
				}

				// Out for delivery, naming the courier: pushed with his
				// name and phone, confirmed, and messaged to the user.
				g.addPath(t, "GW-1", "CW1001", pathAction(now.Add(-time.Hour), 300002, "派件员：王五，电话：13912345678 正在派送"))
				if res, err := n.Notify(ctx, "GW-1", false); err != nil || res.PushedCount != 1 {
					t.Fatalf("latest event: %+v %v", res, err)
				}
				got = h.courierNotices("")
				if len(got) != 3 || got[2].ActionType != 300002 || got[2].Result != noticeMessageSent {
					t.Fatalf("notices after 300002: %+v", got)
				}
				if res, err := n.Notify(ctx, "GW-1", true); err != nil || res.PushedCount != 0 {
					t.Errorf("nothing new: %+v %v", res, err)
				}
				if out := logs.String(); strings.Contains(out, gwToken) || strings.Contains(out, gwAESKey) ||
					strings.Contains(out, gwReceiver) || strings.Contains(out, gwSender) || !strings.Contains(out, "pathnotify accepted") {
					t.Errorf("sandbox log leaks a secret or a phone, or says nothing:\n%s", out)
				}
			})
		}
	}
}

// TestGatewayPathNotifyRefusals: pushes the gateway does not confirm are
// refused and not recorded; arguments, tokens and bindings are checked
// like WeChat checks them.
func TestGatewayPathNotifyRefusals(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	now := h.clock.Now()
	g := startCourierGateway(t, h, deskcourier.Options{})
	h.addGateway(GatewayOptions{DeliveryID: "SELF", URL: g.url, Token: gwToken, Pattern: gwPattern})
	created := now.Add(-48 * time.Hour)
	transit := pathAction(now.Add(-20*time.Hour), 200001, "快件到达 【泉州磁灶集散中心】")
	g.addOrder(t, "GW-R", "CW3001", gwReceiver, created, pathAction(now.Add(-40*time.Hour), 100001, "已揽收"), transit)

	push := func(mutate func(p *wxapi.PathNotifyRequest)) *wxapi.PathNotifyRequest {
		p := &wxapi.PathNotifyRequest{
			Sender:    wxapi.NotifyParty{Name: "张三", Phone: gwSender},
			Receiver:  wxapi.NotifyParty{Name: "李四", Phone: gwReceiver, City: "泉州市"},
			WaybillID: "CW3001", CreateTime: created.Unix(),
			Path: wxapi.NotifyPath{ActionTime: transit.ActionTime, ActionType: transit.ActionType, ActionMsg: transit.ActionMsg},
		}
		if mutate != nil {
			mutate(p)
		}
		return p
	}
	backChecks := func() int { return len(g.callsTo(deskcourier.DefaultNotifyPath)) }

	if exist, err := h.client.PathNotify(ctx, push(nil)); err != nil || !exist {
		t.Fatalf("a confirmed push: %v %v", exist, err)
	}
	if exist, err := h.client.PathNotify(ctx, push(nil)); err != nil || !exist {
		t.Fatalf("the same push again: %v %v", exist, err)
	}
	if n := h.courierNotices(""); len(n) != 1 {
		t.Fatalf("a push made twice is recorded %d times", len(n))
	}

	// Gateways that cannot confirm anything.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downURL := "http://" + closed.Addr().String()
	closed.Close()
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello") }))
	defer garbage.Close()
	stranger := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"ToUserName":"someone","FromUserName":"gh_x","MsgType":"event","Event":"waybill_notify_query","ResultCode":0}`)
	}))
	defer stranger.Close()
	h.addGateway(GatewayOptions{DeliveryID: "DOWN", URL: downURL, Token: gwToken, Pattern: `^DN`, Timeout: 2 * time.Second})
	h.addGateway(GatewayOptions{DeliveryID: "GARBAGE", URL: garbage.URL, Token: gwToken, Pattern: `^BD`})
	h.addGateway(GatewayOptions{DeliveryID: "STRANGER", URL: stranger.URL, Token: gwToken, Pattern: `^EC`})
	h.addGateway(GatewayOptions{DeliveryID: "WRONGTOKEN", URL: g.url, Token: "not-the-token", Pattern: `^WT`})

	for _, tc := range []struct {
		name   string
		mutate func(p *wxapi.PathNotifyRequest)
		want   int
	}{
		{"a message the history lacks", func(p *wxapi.PathNotifyRequest) { p.Path.ActionMsg = "快件到达 【广州转运中心】" }, 932002},
		{"an event the history lacks", func(p *wxapi.PathNotifyRequest) { p.Path.ActionType = 300003 }, 932002},
		{"another creation time", func(p *wxapi.PathNotifyRequest) { p.CreateTime++ }, 932002},
		{"a courier the event does not name", func(p *wxapi.PathNotifyRequest) { p.Path.DeliveryCourierPhone = "13912345678" }, 932002},
		{"a waybill the courier does not know", func(p *wxapi.PathNotifyRequest) { p.WaybillID = "CW3999" }, 932002},
		{"a receiver who is not the order's", func(p *wxapi.PathNotifyRequest) { p.Receiver.Phone = "13700000000" }, 932002},
		{"no gateway for the waybill", func(p *wxapi.PathNotifyRequest) { p.WaybillID = "ZZ3001" }, 150004},
		{"a gateway that is down", func(p *wxapi.PathNotifyRequest) { p.WaybillID = "DN3001" }, 932001},
		{"a gateway that refuses the signature", func(p *wxapi.PathNotifyRequest) { p.WaybillID = "WT3001" }, 932001},
		{"an answer that is neither JSON nor XML", func(p *wxapi.PathNotifyRequest) { p.WaybillID = "BD3001" }, 932003},
		{"an answer to someone else", func(p *wxapi.PathNotifyRequest) { p.WaybillID = "EC3001" }, 932003},
	} {
		exist, err := h.client.PathNotify(ctx, push(tc.mutate))
		if wxapi.Code(err) != tc.want || exist {
			t.Errorf("%s: %v %v, want errcode %d", tc.name, exist, err, tc.want)
		}
	}
	if n := h.courierNotices(""); len(n) != 1 {
		t.Errorf("refused pushes were recorded: %+v", n)
	}

	// An unbound receiver: answered exist 0, the courier is not asked,
	// nothing is recorded.
	before := backChecks()
	if exist, err := h.client.PathNotify(ctx, push(func(p *wxapi.PathNotifyRequest) { p.Receiver.Phone = gwUnbound })); err != nil || exist {
		t.Errorf("unbound receiver: %v %v", exist, err)
	}
	g.addOrder(t, "GW-U", "CW3002", gwUnbound, created, pathAction(now.Add(-time.Hour), 100001, "已揽收"))
	res, err := h.notifier(g).Notify(ctx, "GW-U", true)
	if err != nil || res.Bound || res.PushedCount != 0 {
		t.Errorf("notify an unbound receiver: %+v %v", res, err)
	}
	if backChecks() != before || len(h.courierNotices("")) != 1 {
		t.Errorf("an unbound receiver was checked back (%d -> %d) or recorded", before, backChecks())
	}

	// Bindings by hand win over the rule.
	if code := h.admin(http.MethodPost, "/sandbox/bound_phones", map[string]any{"phone": "+86 138-0013-8001"}, nil); code != http.StatusOK {
		t.Fatalf("bind: HTTP %d", code)
	}
	if code := h.admin(http.MethodPost, "/sandbox/bound_phones", map[string]any{"phone": gwReceiver, "bound": false}, nil); code != http.StatusOK {
		t.Fatalf("unbind: HTTP %d", code)
	}
	if code := h.admin(http.MethodPost, "/sandbox/bound_phones", map[string]any{"phone": "12"}, nil); code != http.StatusBadRequest {
		t.Errorf("binding a 2-digit phone: HTTP %d", code)
	}
	for phone, want := range map[string]bool{gwUnbound: true, gwReceiver: false, "13900000002": true, "13900000003": false} {
		if bound, err := h.client.UserQuery(ctx, phone); err != nil || bound != want {
			t.Errorf("userquery %s: %v %v, want %v", phone, bound, err, want)
		}
	}
	if res, err := h.notifier(g).Notify(ctx, "GW-U", true); err != nil || !res.Bound || res.PushedCount != 1 {
		t.Errorf("notify once bound: %+v %v", res, err)
	}
	var phones struct {
		Rule   string         `json:"rule"`
		Phones []phoneSetting `json:"phones"`
	}
	h.admin(http.MethodGet, "/sandbox/bound_phones", nil, &phones)
	if len(phones.Phones) != 2 || phones.Rule == "" || strings.Contains(mustJSON(t, phones), gwReceiver) {
		t.Errorf("GET /sandbox/bound_phones: %+v", phones)
	}

	// WeChat's argument and token checks, with raw HTTP.
	q := "?access_token=" + h.token()
	for _, tc := range []struct {
		name, path, body string
		want             int
	}{
		{"pathnotify without a waybill", wxapi.PathPathNotify + q, `{"receiver":{"name":"李四","phone":"13800138000"},"path":{"action_time":1,"action_type":100001,"action_msg":"x"}}`, 40097},
		{"pathnotify without a receiver name", wxapi.PathPathNotify + q, `{"waybill_id":"CW3001","receiver":{"phone":"13800138000"},"path":{"action_time":1,"action_type":100001,"action_msg":"x"}}`, 40097},
		{"pathnotify without a receiver phone", wxapi.PathPathNotify + q, `{"waybill_id":"CW3001","receiver":{"name":"李四"},"path":{"action_time":1,"action_type":100001,"action_msg":"x"}}`, 40097},
		{"pathnotify without a path", wxapi.PathPathNotify + q, `{"waybill_id":"CW3001","receiver":{"name":"李四","phone":"13800138000"}}`, 40097},
		{"pathnotify without an action_msg", wxapi.PathPathNotify + q, `{"waybill_id":"CW3001","receiver":{"name":"李四","phone":"13800138000"},"path":{"action_time":1,"action_type":100001}}`, 40097},
		{"pathnotify with a numeric waybill", wxapi.PathPathNotify + q, `{"waybill_id":3001,"receiver":{"name":"李四","phone":"13800138000"},"path":{"action_time":1,"action_type":100001,"action_msg":"x"}}`, 40097},
		{"pathnotify to a phone of two digits", wxapi.PathPathNotify + q, `{"waybill_id":"CW3001","receiver":{"name":"李四","phone":"12"},"path":{"action_time":1,"action_type":100001,"action_msg":"x"}}`, 40097},
		{"userquery without a phone", wxapi.PathUserQuery + q, `{}`, 40097},
		{"userquery of letters", wxapi.PathUserQuery + q, `{"phone":"abc"}`, 40097},
		{"pathnotify without a token", wxapi.PathPathNotify, `{}`, 41001},
		{"userquery without a token", wxapi.PathUserQuery, `{"phone":"13800138000"}`, 41001},
		{"pathnotify with a forged token", wxapi.PathPathNotify + "?access_token=SBX_forged", `{}`, 40001},
		{"userquery with a forged token", wxapi.PathUserQuery + "?access_token=SBX_forged", `{"phone":"13800138000"}`, 40001},
	} {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, h.do(http.MethodPost, tc.path, tc.body), tc.want) })
	}
	h.clock.Add(h.ttl + time.Second)
	wantErr(t, h.do(http.MethodPost, wxapi.PathUserQuery+q, `{"phone":"13800138000"}`), 42001)
}

// TestGatewayQueryTrace: a waybill registered with the gateway courier's
// delivery_id reports the status of the gateway's scan-to-query answer, and
// follows the history as events are added; unknown waybills are 9300559.
func TestGatewayQueryTrace(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	now := h.clock.Now()
	g := startCourierGateway(t, h, deskcourier.Options{})
	h.addGateway(GatewayOptions{DeliveryID: "SELF", Name: "自营配送", URL: g.url, Token: gwToken, Pattern: gwPattern})
	created := now.Add(-72 * time.Hour)
	g.addOrder(t, "Q-1", "CW2001", gwReceiver, created)
	g.addOrder(t, "Q-6", "CW2002", gwReceiver, created, pathAction(now.Add(-30*time.Hour), 100001, "已揽收"),
		pathAction(now.Add(-2*time.Hour), 300007, "已由【菜鸟驿站】代签收"))
	g.addOrder(t, "Q-5", "CW2003", gwReceiver, created, pathAction(now.Add(-30*time.Hour), 100001, "已揽收"),
		pathAction(now.Add(-2*time.Hour), 300004, "收件人拒收"))

	follow := func(family wxapi.NoticeFamily, waybill, deliveryID string) string {
		t.Helper()
		reg, err := h.client.Follow(ctx, family, &wxapi.FollowRequest{OpenID: "oBuyerGW", WaybillID: waybill, DeliveryID: deliveryID,
			TransID: "4200001234202503140000000009", GoodsInfo: goods("茶叶")})
		if err != nil {
			t.Fatalf("register %s: %v", waybill, err)
		}
		return reg.WaybillToken
	}
	query := func(family wxapi.NoticeFamily, token string) *wxapi.QueryTraceResponse {
		t.Helper()
		q, err := h.client.QueryTrace(ctx, family, &wxapi.QueryTraceRequest{WaybillToken: token})
		if err != nil {
			t.Fatalf("query: %v", err)
		}
		return q
	}

	tok := follow(wxapi.NoticeFollow, "CW2001", "SELF")
	for _, step := range []struct {
		add    *wxapi.PathAction
		status int
	}{
		{nil, 0},
		{&wxapi.PathAction{ActionTime: now.Add(-60 * time.Hour).Unix(), ActionType: 100001, ActionMsg: "已揽收"}, 1},
		{&wxapi.PathAction{ActionTime: now.Add(-40 * time.Hour).Unix(), ActionType: 200001, ActionMsg: "快件到达 【泉州磁灶集散中心】"}, 2},
		{&wxapi.PathAction{ActionTime: now.Add(-3 * time.Hour).Unix(), ActionType: 300002, ActionMsg: "派送中"}, 3},
		{&wxapi.PathAction{ActionTime: now.Add(-time.Hour).Unix(), ActionType: 300003, ActionMsg: "已签收"}, 4},
	} {
		if step.add != nil {
			g.addPath(t, "Q-1", "CW2001", *step.add)
		}
		q := query(wxapi.NoticeFollow, tok)
		if q.WaybillInfo.Status != step.status || q.WaybillInfo.WaybillID != "CW2001" ||
			q.DeliveryInfo.DeliveryID != "SELF" || q.DeliveryInfo.DeliveryName != "自营配送" || q.ShopInfo.GoodsInfo.DetailList[0].GoodsName != "茶叶" {
			t.Fatalf("after %+v: %+v, want status %d", step.add, q, step.status)
		}
	}
	if list, err := h.client.GetDeliveryList(ctx); err != nil || list.DeliveryList[list.Count-1] != (wxapi.NoticeDelivery{DeliveryID: "SELF", DeliveryName: "自营配送"}) {
		t.Errorf("get_delivery_list does not end with the gateway courier: %v %+v", err, list)
	}
	scans := g.callsTo(deskcourier.DefaultQueryPath)
	if len(scans) != 5 || scans[0].OpenID != "oBuyerGW" {
		t.Errorf("the gateway got %d scan queries (%+v), want 5 for oBuyerGW", len(scans), scans)
	}

	// By pattern, without a delivery_id, in both families.
	if q := query(wxapi.NoticeTrace, follow(wxapi.NoticeTrace, "CW2002", "")); q.WaybillInfo.Status != 6 || q.DeliveryInfo.DeliveryID != "SELF" {
		t.Errorf("signed by proxy: %+v", q)
	}
	if q := query(wxapi.NoticeFollow, follow(wxapi.NoticeFollow, "CW2003", "")); q.WaybillInfo.Status != 5 {
		t.Errorf("refused: %+v", q)
	}
	// A registration naming another courier is not the gateway's.
	if q := query(wxapi.NoticeFollow, follow(wxapi.NoticeFollow, "CW2003", "SF")); q.WaybillInfo.Status != 0 || q.DeliveryInfo.DeliveryID != "SF" {
		t.Errorf("registered with SF: %+v", q)
	}
	// A waybill the gateway does not know.
	_, err := h.client.QueryTrace(ctx, wxapi.NoticeFollow, &wxapi.QueryTraceRequest{WaybillToken: follow(wxapi.NoticeFollow, "CW2999", "SELF")})
	if wxapi.Code(err) != 9300559 {
		t.Errorf("unknown waybill: %v, want 9300559", err)
	}

	// A catch-all gateway takes foreign waybills but not the sandbox's own.
	h.addGateway(GatewayOptions{DeliveryID: "ALL", URL: g.url, Token: gwToken})
	placed := h.place("GW-SBX-1", "YUNDA")
	if q := query(wxapi.NoticeFollow, follow(wxapi.NoticeFollow, placed.WaybillID, "")); q.DeliveryInfo.DeliveryID != "YD" {
		t.Errorf("the sandbox's own waybill went to a gateway: %+v", q)
	}
	_, err = h.client.QueryTrace(ctx, wxapi.NoticeTrace, &wxapi.QueryTraceRequest{WaybillToken: follow(wxapi.NoticeTrace, "XY20250314", "")})
	if wxapi.Code(err) != 9300559 {
		t.Errorf("foreign waybill through the catch-all gateway: %v, want 9300559", err)
	}

	// A gateway that cannot be asked: -1, which clients retry.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	h.addGateway(GatewayOptions{DeliveryID: "DOWN", URL: "http://" + closed.Addr().String(), Token: gwToken, Pattern: `^NEVER$`})
	down := follow(wxapi.NoticeFollow, "CW2001", "DOWN")
	wantErr(t, h.do(http.MethodPost, wxapi.PathQueryFollowTrace+"?access_token="+h.token(), map[string]string{"waybill_token": down}), -1)
}

// TestGatewayAdmin: POST /sandbox/gateways checks what it registers and
// never shows a token or key; Options.Gateways and BoundPhones apply at
// Open.
func TestGatewayAdmin(t *testing.T) {
	h := newHarness(t)
	for _, bad := range []string{
		`{"url":"http://127.0.0.1:8091","token":"t"}`,
		`{"delivery_id":"A B","url":"http://127.0.0.1:8091","token":"t"}`,
		`{"delivery_id":"X","url":"ftp://127.0.0.1:8091","token":"t"}`,
		`{"delivery_id":"X","url":"http://127.0.0.1:8091"}`,
		`{"delivery_id":"X","url":"http://127.0.0.1:8091","token":"t","pattern":"("}`,
		`{"delivery_id":"X","url":"http://127.0.0.1:8091","token":"t","aes_key":"short"}`,
		`{"delivery_id":"X","url":"http://127.0.0.1:8091","token":"t","format":"yaml"}`,
		`{"delivery_id":"X","url":"http://127.0.0.1:8091","token":"t","notify_url":"not a url"}`,
		`{"delivery_id":"X","url":"http://127.0.0.1:8091","tokn":"t"}`,
	} {
		var e map[string]string
		if code := h.admin(http.MethodPost, "/sandbox/gateways", bad, &e); code != http.StatusBadRequest || e["error"] == "" {
			t.Errorf("POST %s: HTTP %d %v", bad, code, e)
		}
	}
	var v GatewayView
	raw := `{"delivery_id":"SELF","url":"http://127.0.0.1:8091","token":"secret-token","aes_key":"` + gwAESKey + `","format":"XML","pattern":"^CW"}`
	if code := h.admin(http.MethodPost, "/sandbox/gateways", raw, &v); code != http.StatusOK {
		t.Fatalf("POST a gateway: HTTP %d", code)
	}
	if v.URL != "http://127.0.0.1:8091/wx/order" || v.NotifyURL != "http://127.0.0.1:8091/wx/notify" || v.Format != "xml" ||
		!v.SafeMode || v.AppID != DefaultAppID || !strings.HasPrefix(v.ToUserName, "gh_") || v.DeliveryName != "SELF" || v.Timeout != "5s" {
		t.Errorf("registered %+v", v)
	}
	h.admin(http.MethodPost, "/sandbox/gateways", `{"delivery_id":"ZJS","url":"https://c.example/api/scan?k=secret","notify_url":"https://c.example/api/push","token":"t"}`, &v)
	if v.URL != "https://c.example/api/scan" || v.NotifyURL != "https://c.example/api/push" || v.DeliveryName != "宅急送" || v.SafeMode {
		t.Errorf("explicit URLs: %+v", v)
	}
	h.admin(http.MethodPost, "/sandbox/gateways", `{"delivery_id":"SELF","url":"http://127.0.0.1:9999","token":"secret-token"}`, &v)
	var list struct {
		Count    int           `json:"count"`
		Gateways []GatewayView `json:"gateways"`
	}
	h.admin(http.MethodGet, "/sandbox/gateways", nil, &list)
	if list.Count != 2 || list.Gateways[0].DeliveryID != "SELF" || list.Gateways[0].URL != "http://127.0.0.1:9999/wx/order" || list.Gateways[1].DeliveryID != "ZJS" {
		t.Errorf("GET /sandbox/gateways after a replacement: %+v", list)
	}
	if s := mustJSON(t, list); strings.Contains(s, "secret") || strings.Contains(s, gwAESKey) {
		t.Errorf("GET /sandbox/gateways shows a secret: %s", s)
	}
	var index struct {
		Endpoints []string `json:"endpoints"`
	}
	h.admin(http.MethodGet, "/sandbox/", nil, &index)
	if s := strings.Join(index.Endpoints, "\n"); !strings.Contains(s, "/sandbox/gateways") || !strings.Contains(s, "/sandbox/bound_phones") || !strings.Contains(s, "/sandbox/courier_notices") {
		t.Errorf("GET /sandbox/ does not list the courier endpoints:\n%s", s)
	}

	ctx := context.Background()
	dir := t.TempDir()
	if _, err := Open(ctx, Options{DBPath: filepath.Join(dir, "bad.db"), Logger: quietLog,
		Gateways: []GatewayOptions{{DeliveryID: "SELF", URL: "http://127.0.0.1:8091"}}}); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("Open with a gateway without a token: %v", err)
	}
	sb, err := Open(ctx, Options{DBPath: filepath.Join(dir, "good.db"), Logger: quietLog, BoundPhones: []string{gwUnbound},
		Gateways: []GatewayOptions{{DeliveryID: "SELF", URL: "http://127.0.0.1:8091", Token: "t"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if bound, err := sb.db.phoneBound(ctx, gwUnbound); err != nil || !bound || len(sb.Gateways()) != 1 {
		t.Errorf("Options.BoundPhones / Gateways not applied: %v %v %+v", bound, err, sb.Gateways())
	}
}

// TestGatewayMatchesCourierPackage: the defaults and the decoded answer
// agree with Waybill Desk's gateway, which the sandbox cannot import.
func TestGatewayMatchesCourierPackage(t *testing.T) {
	if DefaultGatewayQueryPath != deskcourier.DefaultQueryPath || DefaultGatewayNotifyPath != deskcourier.DefaultNotifyPath ||
		defaultUnknownWaybill != deskcourier.ErrCodeUnknownWaybill || scanCallback != deskcourier.DefaultCallback {
		t.Error("the sandbox's gateway defaults differ from package courier's")
	}
	in := deskcourier.OrderInfo{ErrMsg: "ok", OrderStatus: deskcourier.StatusProxySigned, EstimatedDeliveryTime: "2025-03-15",
		Traces: []deskcourier.Trace{{AcceptTime: "2025-03-14 09:00:00", AcceptAddress: "代签收 \n 已由驿站代签收", Remark: "泉州市"}}}
	raw, _ := json.Marshal(in)
	inner, ok := unwrapJSONP([]byte(" WxOrderCb("+string(raw)+");\n"), scanCallback)
	var out scanInfo
	if !ok || json.Unmarshal(inner, &out) != nil || out.OrderStatus == nil || *out.OrderStatus != 6 ||
		len(out.Traces) != 1 || out.Traces[0].AcceptAddress != in.Traces[0].AcceptAddress || out.EstimatedDeliveryTime != "2025-03-15" {
		t.Errorf("courier.OrderInfo decoded as %+v", out)
	}
}
