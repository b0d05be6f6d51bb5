package courier

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

// wechat plays WeChat's side of the back-check: it signs (and in safe mode
// encrypts) a waybill_notify_query event, posts it to the gateway and opens
// the answer.
type wechat struct {
	token  string
	crypto *wxapi.PushCrypto // nil in plaintext mode
	asXML  bool
	nonce  atomic.Int64
}

// sendOpts vary one back-check request from WeChat's.
type sendOpts struct {
	ts     time.Time        // default: the gateway's now
	nonce  string           // default: a fresh one
	mutate func(url.Values) // after signing
	raw    []byte           // the body instead of the event's
}

// send posts a back-check to the gateway and returns the HTTP status and,
// on 200, the decoded answer.
func (w *wechat) send(t *testing.T, g *gateway, ev wxapi.NotifyQueryEvent, o sendOpts) (int, *wxapi.NotifyQueryReply, string) {
	t.Helper()
	if o.ts.IsZero() {
		o.ts = g.now
	}
	if o.nonce == "" {
		o.nonce = "wx" + strconv.FormatInt(w.nonce.Add(1), 10)
	}
	body := o.raw
	if body == nil {
		body = w.encode(t, struct {
			XMLName xml.Name `xml:"xml" json:"-"`
			wxapi.NotifyQueryEvent
		}{NotifyQueryEvent: ev})
	}
	ts := strconv.FormatInt(o.ts.Unix(), 10)
	q := url.Values{"timestamp": {ts}, "nonce": {o.nonce}, "signature": {wxapi.Signature(w.token, ts, o.nonce)}}
	if w.crypto != nil {
		enc, err := w.crypto.Encrypt(body)
		if err != nil {
			t.Fatal(err)
		}
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", wxapi.Signature(w.token, ts, o.nonce, enc))
		body = w.encode(t, struct {
			XMLName    xml.Name `xml:"xml" json:"-"`
			ToUserName string   `xml:"ToUserName" json:"ToUserName"`
			Encrypt    string   `xml:"Encrypt" json:"Encrypt"`
		}{ToUserName: ev.ToUserName, Encrypt: enc})
	}
	if o.mutate != nil {
		o.mutate(q)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.url+DefaultNotifyPath+"?"+q.Encode(), bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil, string(raw)
	}
	if w.crypto != nil {
		if raw, err = w.crypto.OpenReply(raw); err != nil {
			t.Fatalf("sealed answer: %v", err)
		}
	}
	var reply wxapi.NotifyQueryReply
	if wxapi.IsXML(raw) {
		err = xml.Unmarshal(raw, &reply)
	} else {
		err = json.Unmarshal(raw, &reply)
	}
	if err != nil {
		t.Fatalf("answer %s: %v", raw, err)
	}
	return resp.StatusCode, &reply, string(raw)
}

func (w *wechat) encode(t *testing.T, v any) []byte {
	t.Helper()
	var b []byte
	var err error
	if w.asXML {
		b, err = xml.Marshal(v)
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeWeChat is WeChat's API for 手机号物流消息推送: userquery answers from
// a set of bound phones; pathnotify checks every push back against the
// gateway, as WeChat does, and refuses it (932002) when the answer's path
// lacks the pushed event.
type fakeWeChat struct {
	t     *testing.T
	g     *gateway
	side  *wechat
	bound map[string]bool
	url   string

	mu          sync.Mutex
	userqueries int
	pushes      []wxapi.PathNotifyRequest
	replies     []*wxapi.NotifyQueryReply
}

func newFakeWeChat(t *testing.T, g *gateway, side *wechat, bound ...string) *fakeWeChat {
	f := &fakeWeChat{t: t, g: g, side: side, bound: map[string]bool{}}
	for _, p := range bound {
		f.bound[p] = true
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *fakeWeChat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Query().Get("access_token") != "T" {
		io.WriteString(w, `{"errcode":40001,"errmsg":"invalid credential"}`)
		return
	}
	body, _ := io.ReadAll(r.Body)
	switch r.URL.Path {
	case wxapi.PathUserQuery:
		var q wxapi.UserQueryRequest
		json.Unmarshal(body, &q)
		f.mu.Lock()
		f.userqueries++
		exist := f.bound[q.Phone]
		f.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok", "exist": map[bool]int{true: 1}[exist]})
	case wxapi.PathPathNotify:
		var push wxapi.PathNotifyRequest
		if err := json.Unmarshal(body, &push); err != nil || push.Validate() != nil {
			io.WriteString(w, `{"errcode":40097,"errmsg":"invalid args"}`)
			return
		}
		ev := wxapi.NotifyQueryEvent{WaybillID: push.WaybillID, SenderPhone: push.Sender.Phone, ReceiverPhone: push.Receiver.Phone,
			EventHeader: wxapi.EventHeader{ToUserName: "gh_courier", FromUserName: "oWeChatTeam", CreateTime: f.g.now.Unix(),
				MsgType: "event", Event: wxapi.EventWaybillNotifyQuery}}
		status, reply, text := f.side.send(f.t, f.g, ev, sendOpts{})
		f.mu.Lock()
		f.pushes = append(f.pushes, push)
		f.replies = append(f.replies, reply)
		f.mu.Unlock()
		if status != http.StatusOK || reply.ResultCode != 0 || !containsPath(reply.Path, push.Path) ||
			reply.WaybillCreateTime != push.CreateTime || reply.ToUserName != "oWeChatTeam" || reply.FromUserName != "gh_courier" {
			f.t.Errorf("back-check of %d disagrees with the push: HTTP %d %s", push.Path.ActionType, status, text)
			io.WriteString(w, `{"errcode":932002,"errmsg":"back-check logic error"}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok", "exist": 1})
	default:
		http.NotFound(w, r)
	}
}

func containsPath(path []wxapi.NotifyQueryPath, p wxapi.NotifyPath) bool {
	want := wxapi.NotifyQueryPath{ActionTime: p.ActionTime, ActionType: p.ActionType, ActionMsg: p.ActionMsg,
		PickupCourierName: p.PickupCourierName, PickupCourierPhone: p.PickupCourierPhone,
		DeliveryCourierName: p.DeliveryCourierName, DeliveryCourierPhone: p.DeliveryCourierPhone}
	for _, q := range path {
		if q == want {
			return true
		}
	}
	return false
}

func (f *fakeWeChat) counts() (userqueries, pushes int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.userqueries, len(f.pushes)
}

func (f *fakeWeChat) notifier() *Notifier {
	api := wxapi.New(wxapi.Options{BaseURL: f.url, Tokens: wxapi.StaticToken("T"), Timeout: 5 * time.Second, Logger: quiet()})
	return &Notifier{DB: f.g.db, API: api, Timeout: 5 * time.Second, Logger: quiet(), Now: func() time.Time { return f.g.now }}
}

// TestNotifyAndBackCheckRoundTrip pushes an order's path with userquery and
// pathnotify to a fake WeChat that checks every push back against the
// running gateway, in XML and JSON, plaintext and safe mode.
func TestNotifyAndBackCheckRoundTrip(t *testing.T) {
	now := cst(2024, 3, 10, 12, 0, 0)
	created := cst(2024, 3, 9, 9, 0, 0)
	for _, mode := range []struct {
		name        string
		asXML, safe bool
	}{{"xml plaintext", true, false}, {"json plaintext", false, false}, {"xml safe mode", true, true}, {"json safe mode", false, true}} {
		t.Run(mode.name, func(t *testing.T) {
			ctx := context.Background()
			opts := Options{}
			side := &wechat{token: testToken, asXML: mode.asXML}
			if mode.safe {
				opts.AESKey, opts.AppID = testAESKey, testAppID
				c, err := wxapi.NewPushCrypto(testToken, testAESKey, testAppID, "")
				if err != nil {
					t.Fatal(err)
				}
				side.crypto = c
			}
			g := startGateway(t, now, opts)
			g.addOrder(t, "O-N1", "NT1", created,
				act(cst(2024, 3, 9, 9, 30, 0), 90002, "已分配快递员张三(13911112222)上门取件"),
				act(cst(2024, 3, 9, 10, 0, 0), 100001, "【永清营业部】已揽收"),
				act(cst(2024, 3, 10, 8, 0, 0), 300002, "【遵义桂花社区】派件员：王五，电话：13912345678 正在派送"))
			wc := newFakeWeChat(t, g, side, receiverMobile)
			n := wc.notifier()

			res, err := n.Notify(ctx, "O-N1", true)
			if err != nil || !res.Bound || res.PushedCount != 3 || res.Phone != "138****8000" {
				t.Fatalf("notify: %+v %v", res, err)
			}
			if q, p := wc.counts(); q != 1 || p != 3 {
				t.Fatalf("WeChat saw %d userquery, %d pathnotify; want 1, 3", q, p)
			}
			first := wc.pushes[0]
			wantSender := wxapi.NotifyParty{Name: "张三", Phone: senderMobile, Province: "河北省", City: "廊坊市", Area: "永清县", Address: "永清镇1号"}
			wantReceiver := wxapi.NotifyParty{Name: "李四", Phone: receiverMobile, Province: "贵州省", City: "遵义市", Area: "红花岗区", Address: "桂花社区8号"}
			if first.Sender != wantSender || first.Receiver != wantReceiver || first.WaybillID != "NT1" || first.CreateTime != created.Unix() {
				t.Errorf("pathnotify parties: %+v", first)
			}
			if p := first.Path; p.ActionType != 90002 || p.PickupCourierName != "张三" || p.PickupCourierPhone != "13911112222" ||
				p.ActionMsg != "已分配快递员张三(13911112222)上门取件" || p.ActionTime != cst(2024, 3, 9, 9, 30, 0).Unix() {
				t.Errorf("pick-up push: %+v", p)
			}
			if p := wc.pushes[2].Path; p.DeliveryCourierName != "王五" || p.DeliveryCourierPhone != "13912345678" || p.PickupCourierName != "" {
				t.Errorf("delivery push: %+v", p)
			}
			// The back-check answers the whole path, newest first.
			last := wc.replies[2]
			if len(last.Path) != 3 || last.Path[0].ActionType != 300002 || last.Path[2].ActionType != 90002 || last.Event != wxapi.EventWaybillNotifyQuery {
				t.Errorf("back-check path: %+v", last)
			}

			// Nothing new: nothing pushed, WeChat not even asked.
			if res, err := n.Notify(ctx, "NT1", true); err != nil || res.PushedCount != 0 {
				t.Fatalf("second notify: %+v %v", res, err)
			}
			if q, p := wc.counts(); q != 1 || p != 3 {
				t.Fatalf("second notify called WeChat: %d userquery, %d pathnotify", q, p)
			}
			// A new event: only it is pushed, and the back-check has it first.
			g.addPath(t, "O-N1", "NT1", act(cst(2024, 3, 10, 11, 0, 0), 300003, "已签收，签收人：本人"))
			res, err = n.Notify(ctx, "NT1", false)
			if err != nil || res.PushedCount != 1 || res.Pushed[0].ActionType != 300003 {
				t.Fatalf("latest event: %+v %v", res, err)
			}
			if r := wc.replies[3]; len(r.Path) != 4 || r.Path[0].ActionType != 300003 {
				t.Errorf("back-check after signing: %+v", r.Path)
			}
			if res, err := n.Notify(ctx, "NT1", false); err != nil || res.PushedCount != 0 || res.Note == "" {
				t.Errorf("latest again: %+v %v", res, err)
			}
		})
	}
}

// TestNotifySkipsUnboundPhones: an unbound receiver gets nothing, and the
// events stay to push once the phone is bound.
func TestNotifySkipsUnboundPhones(t *testing.T) {
	ctx := context.Background()
	now := cst(2024, 3, 10, 12, 0, 0)
	g := startGateway(t, now, Options{})
	g.addOrder(t, "O-A", "NA1", now.Add(-48*time.Hour), act(now.Add(-40*time.Hour), 100001, "已揽收"), act(now.Add(-time.Hour), 200001, "运输中"))
	g.addOrder(t, "O-B", "NB1", now.Add(-24*time.Hour), act(now.Add(-20*time.Hour), 100001, "已揽收"))
	g.addOrder(t, "O-C", "NC1", now.Add(-24*time.Hour)) // no events: not a candidate
	wc := newFakeWeChat(t, g, &wechat{token: testToken})
	n := wc.notifier()

	res, err := n.Notify(ctx, "O-A", true)
	if err != nil || res.Bound || res.PushedCount != 0 || !strings.Contains(res.Note, "not bound") {
		t.Fatalf("unbound: %+v %v", res, err)
	}
	if todo, _ := g.db.UnpushedPathEvents(ctx, "O-A"); len(todo) != 2 {
		t.Fatalf("unbound push marked %d events", 2-len(todo))
	}
	wc.mu.Lock()
	wc.bound[receiverMobile] = true
	wc.mu.Unlock()
	all, err := n.NotifyAllNew(ctx)
	if err != nil || len(all) != 2 || all[0].OrderID != "O-A" || all[0].PushedCount != 2 || all[1].PushedCount != 1 {
		t.Fatalf("all new: %+v %v", all, err)
	}
	if all, err := n.NotifyAllNew(ctx); err != nil || len(all) != 0 {
		t.Fatalf("all new again: %+v %v", all, err)
	}
	if _, err := n.Notify(ctx, "NOPE", true); err == nil {
		t.Fatal("unknown order notified")
	}
}

// TestBackCheckRefusals: unknown waybills and foreign phones get a
// non-zero ResultCode; forged, stale, replayed or malformed requests get
// no answer at all.
func TestBackCheckRefusals(t *testing.T) {
	now := cst(2024, 3, 10, 12, 0, 0)
	ev := func(waybill, sender, receiver string) wxapi.NotifyQueryEvent {
		return wxapi.NotifyQueryEvent{WaybillID: waybill, SenderPhone: sender, ReceiverPhone: receiver,
			EventHeader: wxapi.EventHeader{ToUserName: "gh_courier", FromUserName: "oWeChatTeam", CreateTime: now.Unix(),
				MsgType: "event", Event: "WAYBILL_NOTIFY_QUERY"}}
	}
	for _, safe := range []bool{false, true} {
		opts := Options{}
		side := &wechat{token: testToken, asXML: true}
		if safe {
			opts.AESKey, opts.AppID = testAESKey, testAppID
			side.crypto, _ = wxapi.NewPushCrypto(testToken, testAESKey, testAppID, "")
		}
		g := startGateway(t, now, opts)
		g.addOrder(t, "O-R", "RB1", now.Add(-time.Hour), act(now.Add(-time.Minute), 100001, "已揽收"))
		for _, tc := range []struct {
			name   string
			ev     wxapi.NotifyQueryEvent
			o      sendOpts
			status int
			result int
		}{
			{"match", ev("RB1", senderMobile, receiverMobile), sendOpts{}, 200, ResultOK},
			{"receiver only, +86 and dashes", ev("RB1", "", "+86 138-0013-8000"), sendOpts{}, 200, ResultOK},
			{"receiver's landline", ev("RB1", "", receiverTel), sendOpts{}, 200, ResultOK},
			{"one number in both, as in the seed", ev("RB1", receiverMobile, receiverMobile), sendOpts{}, 200, ResultOK},
			{"unknown waybill", ev("NOPE", senderMobile, receiverMobile), sendOpts{}, 200, ResultUnknownWaybill},
			{"foreign receiver", ev("RB1", senderMobile, "13000000000"), sendOpts{}, 200, ResultPhoneMismatch},
			{"foreign sender", ev("RB1", "13000000000", receiverMobile), sendOpts{}, 200, ResultPhoneMismatch},
			{"no phones", ev("RB1", "", ""), sendOpts{}, 200, ResultPhoneMismatch},
			{"forged signature", ev("RB1", senderMobile, receiverMobile), sendOpts{mutate: func(q url.Values) {
				q.Set("signature", strings.Repeat("0", 40))
				q.Set("msg_signature", strings.Repeat("0", 40))
			}}, 401, 0},
			{"stale", ev("RB1", senderMobile, receiverMobile), sendOpts{ts: now.Add(-10 * time.Minute)}, 401, 0},
			{"from the future", ev("RB1", senderMobile, receiverMobile), sendOpts{ts: now.Add(10 * time.Minute)}, 401, 0},
			{"another event", wxapi.NotifyQueryEvent{WaybillID: "RB1", EventHeader: wxapi.EventHeader{Event: "add_express_path"}}, sendOpts{}, 400, 0},
			{"not XML or JSON", wxapi.NotifyQueryEvent{}, sendOpts{raw: []byte("hello")}, 400, 0},
		} {
			name := tc.name + map[bool]string{false: " (plaintext)", true: " (safe mode)"}[safe]
			status, reply, text := side.send(t, g, tc.ev, tc.o)
			if status != tc.status {
				t.Errorf("%s: HTTP %d %s, want %d", name, status, text, tc.status)
				continue
			}
			if status != 200 {
				continue
			}
			if reply.ResultCode != tc.result || (tc.result == 0) != (len(reply.Path) == 1) || (tc.result == 0) != (reply.WaybillCreateTime > 0) {
				t.Errorf("%s: answer %s", name, text)
			}
			if tc.result != 0 && (reply.ResultMsg == "" || strings.Contains(text, receiverMobile)) {
				t.Errorf("%s: refusal %s", name, text)
			}
		}
		// The same timestamp and nonce twice is a replay.
		o := sendOpts{nonce: "same-nonce"}
		if status, _, _ := side.send(t, g, ev("RB1", senderMobile, receiverMobile), o); status != 200 {
			t.Fatalf("first of a pair: HTTP %d", status)
		}
		if status, _, text := side.send(t, g, ev("RB1", senderMobile, receiverMobile), o); status != 401 || !strings.Contains(text, "already used") {
			t.Errorf("replay (safe %v): HTTP %d %s", safe, status, text)
		}
		// WeChat's URL check when the push URL is configured.
		ts := strconv.FormatInt(now.Unix(), 10)
		q := url.Values{"timestamp": {ts}, "nonce": {"n"}, "signature": {wxapi.Signature(testToken, ts, "n")}, "echostr": {"hello42"}}
		if status, ct, body := get(t, g.url+DefaultNotifyPath+"?"+q.Encode()); status != 200 || body != "hello42" || !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("echostr check: HTTP %d %s %q", status, ct, body)
		}
		// Signed, but from long ago: refused like a stale back-check.
		q = url.Values{"timestamp": {"1"}, "nonce": {"n"}, "signature": {wxapi.Signature(testToken, "1", "n")}, "echostr": {"hello42"}}
		if status, _, body := get(t, g.url+DefaultNotifyPath+"?"+q.Encode()); status != http.StatusUnauthorized || body == "hello42" {
			t.Errorf("stale echostr check: HTTP %d %q", status, body)
		}
	}

	// Safe-mode messages need an AES key; sealed with another app's key
	// they are refused.
	plain := startGateway(t, now, Options{})
	other, _ := wxapi.NewPushCrypto(testToken, testAESKey, "wx_other_app", "")
	if status, _, text := (&wechat{token: testToken, crypto: other}).send(t, plain, ev("RB1", "", receiverMobile), sendOpts{}); status != 400 {
		t.Errorf("safe-mode message to a plaintext gateway: HTTP %d %s", status, text)
	}
	safeGW := startGateway(t, now, Options{AESKey: testAESKey, AppID: testAppID})
	if status, _, text := (&wechat{token: testToken, crypto: other}).send(t, safeGW, ev("RB1", "", receiverMobile), sendOpts{}); status != 401 {
		t.Errorf("message for another AppID: HTTP %d %s", status, text)
	}

	// A configured format wins over the request's.
	forced := startGateway(t, now, Options{Format: FormatJSON})
	forced.addOrder(t, "O-F", "FB1", now.Add(-time.Hour), act(now.Add(-time.Minute), 100001, "已揽收"))
	status, reply, text := (&wechat{token: testToken, asXML: true}).send(t, forced, ev("FB1", "", receiverMobile), sendOpts{})
	if status != 200 || !strings.HasPrefix(text, "{") || reply.ResultCode != 0 || !reflect.DeepEqual(reply.Path[0].ActionMsg, "已揽收") {
		t.Errorf("forced JSON answer: HTTP %d %s", status, text)
	}
}

func TestCourierIn(t *testing.T) {
	for msg, want := range map[string][2]string{
		"已分配快递员张三(13911112222)上门取件":                     {"张三", "13911112222"},
		"派件员：王五，电话：13912345678 正在派送":                    {"王五", "13912345678"},
		"【河北永清县】(0316-6840631) 的 操作一组(15731691877) 已揽收": {"操作一组", "15731691877"},
		"快件已由派件员13800001111派送":                          {"", "13800001111"},
		"快递小哥赵六 手机 13700001111":                         {"赵六", "13700001111"},
		"快件已发出":                                         {"", ""},
		"请致电 0851-28221234":                             {"", ""},
		"单号 1391234567890 已发出":                          {"", ""},
	} {
		name, phone := courierIn(msg)
		if name != want[0] || phone != want[1] {
			t.Errorf("courierIn(%q) = %q %q, want %q %q", msg, name, phone, want[0], want[1])
		}
	}
}
