package wxapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Vectors from testdata/fixtures/crypto-vectors.md (sets A-D).
const (
	keyA   = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	appA   = "wxba5fad812f8e6fb9"
	encA3  = "+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04="
	msgA3  = `{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714112445,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}`
	keyB   = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	appB   = "wxb11529c136998cb6"
	encB1  = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
	encC   = "rTNFcsut4LfGuAFKEUVVpwcaCOTJzOd9twZdIW910jb3k+iicx2uvhttIZ3Qg9Qgty3BEF2xbOrz6boTfb30dMomcgrkTqdFPwnhqbk+kIQ7rZiwny9D7NUrTgA5kpX3KsZvrXzUZyP2x9YOlxbgm572lmxKvM7HAQQhIQ/p6HBmoY30bGXFK0BtIu1pW9TjhOYrLQoU18nWYjWqDA1ynkmOytpv7QRI1P1+0NoxL0q2zO1DgeSvnE8CZGo/o5Ap/WHK5W2RAsinpzN4/LjPnmB6U01I5XCoJoC0GK/yMZycd2Oh8Nq6+wBkC1U85oy0ktOY4nLvsQMLrourmMGdZHuTbqpeJ8Ao/5PRYJ+WBvRUwPfGKBL2+2IKZF49vAJqkcGWSHGE76ZN2erXeuNazf/o9o3lIE3q739o4c8t9QGPe31GT2Go/rOz1BsrASwvauNulCh+++yz+CQzBIuikA=="
	keyD   = "CyjBvGm4tJNmcThkeL5Wajzom4jKlBygKtpTkYeqsnE"
	encD2  = "o1XtmVltGmUAqoWee54yd4Q5ZBgrw4/9lFo5qdZoVPd1DybzarjuYCfFlR2AFbAcWHwFgmbrVBD+f9910QIF6g=="
	tokenD = "pcoLldqMu2WQQtYBeDX5HiXPsBFlTnDM"
)

func mustCrypto(t *testing.T, token, key, app string) *PushCrypto {
	t.Helper()
	p, err := NewPushCrypto(token, key, app, "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSignatureVectors(t *testing.T) {
	tests := []struct {
		name  string
		parts []string
		want  string
	}{
		{"A1 echostr", []string{"AAAAA", "1714036504", "1514711492"}, "f464b24fc39322e44b38aa78f5edd27bd1441696"},
		{"A2 plaintext", []string{"AAAAA", "1714037059", "486452656"}, "899cf89e464efb63f54ddac96b0a0a235f53aa78"},
		{"A3 url", []string{"AAAAA", "1714112445", "415670741"}, "6c5c811b55cc85e0e1b54100749188c20beb3f5d"},
		{"A3 msg_signature", []string{"AAAAA", "1714112445", "415670741", encA3}, "046e02f8204d34f8ba5fa3b1db94908f3df2e9b3"},
		{"B1 msg_signature", []string{"pamtest", "1409304348", "xxxxxx", encB1}, "82c962d39941aa48552f90ef55aa323dc620cc10"},
		{"C msg_signature", []string{"pamtest", "1458300676", "260774613", encC}, "4f3ad57b6989f09f4eb392acce4f9e93942ed890"},
		{"D2 msg_signature", []string{tokenD, "1623292419", "1623324060", encD2}, "1495c4dfd4958d4e5faf618978ae66943a042f87"},
	}
	for _, tt := range tests {
		if got := Signature(tt.parts...); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestDecryptVectors(t *testing.T) {
	tests := []struct {
		name, key, app, enc, want string
	}{
		{"A3 all-zero key", keyA, appA, encA3, msgA3},
		{"B1 CJK text", keyB, appB, encB1, "我是中文abcd123"},
		{"C XML", keyB, appB, encC, "<xml><URL><![CDATA[http://wechat.laravel.so/server]]></URL><ToUserName><![CDATA[asdasdasd]]></ToUserName><FromUserName><![CDATA[asdasdasdsadasd]]></FromUserName><CreateTime>1234567898</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello]]></Content><MsgId>12345</MsgId></xml>"},
		{"D2 WeCom id", keyD, "wwedab3d5fc43636d8", encD2, "6058207018001857403"},
	}
	for _, tt := range tests {
		got, err := mustCrypto(t, "t", tt.key, tt.app).Decrypt(tt.enc)
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: %q %v", tt.name, got, err)
		}
	}
}

func TestEncryptVectors(t *testing.T) {
	// A4: the published encrypted reply.
	a := mustCrypto(t, "AAAAA", keyA, appA)
	enc, err := a.encryptWith([]byte("707722b803182950"), []byte(`{"demo_resp":"good luck"}`))
	if err != nil || enc != "ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==" {
		t.Fatalf("A4 Encrypt = %s %v", enc, err)
	}
	if sig := Signature("AAAAA", "1713424427", "415670741", enc); sig != "1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1" {
		t.Fatalf("A4 MsgSignature = %s", sig)
	}
	// B1: a non-trivial key, so key and IV mix-ups show.
	b := mustCrypto(t, "pamtest", keyB, appB)
	if enc, _ := b.encryptWith([]byte("aaaabbbbccccdddd"), []byte("我是中文abcd123")); enc != encB1 {
		t.Fatalf("B1 Encrypt = %s", enc)
	}
	// A random prefix round-trips, and Seal signs what it returns.
	sealed, err := b.Seal([]byte("success"), 1700000000, "n1")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := b.Open(sealed.MsgSignature, "1700000000", "n1", sealed.Encrypt)
	if err != nil || string(plain) != "success" {
		t.Fatalf("sealed reply did not open: %q %v", plain, err)
	}
}

func TestDecryptRejects(t *testing.T) {
	b := mustCrypto(t, "pamtest", keyB, appB)
	if _, err := b.Open("12345", "1409304348", "xxxxxx", encB1); !errors.Is(err, ErrBadSignature) {
		t.Errorf("forged msg_signature: %v", err)
	}
	if _, err := mustCrypto(t, "pamtest", keyB, "invalid appid").Decrypt(encC); !errors.Is(err, ErrWrongAppID) {
		t.Errorf("other AppID: %v", err)
	}
	if _, err := b.Decrypt("not base64!!"); !errors.Is(err, ErrBadCipher) {
		t.Errorf("garbage: %v", err)
	}
	if _, err := b.Decrypt(encB1[:20]); !errors.Is(err, ErrBadCipher) {
		t.Errorf("truncated: %v", err)
	}
	// The right layout under the wrong key decrypts to bad padding.
	if _, err := mustCrypto(t, "pamtest", keyA, appB).Decrypt(encB1); err == nil {
		t.Error("decrypted with the wrong key")
	}
	for _, k := range []string{"short", keyB + "x", strings.Repeat("-", 43)} {
		if _, err := NewPushCrypto("t", k, appB, ""); !errors.Is(err, ErrBadAESKey) {
			t.Errorf("key %q accepted", k)
		}
	}
}

func TestPreviousKeyStillOpens(t *testing.T) {
	p, err := NewPushCrypto("pamtest", keyA, appB, keyB)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := p.Decrypt(encB1); err != nil || string(got) != "我是中文abcd123" {
		t.Fatalf("message under the previous key: %q %v", got, err)
	}
}

func TestParsePathEventJSONAndXML(t *testing.T) {
	for _, name := range []string{"add_express_path.event.json", "add_express_path.event.xml", "add_express_path.event.weapp.xml"} {
		ev, err := ParsePathEvent(fixture(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ev.WaybillID != "123456789" || ev.DeliveryID != "SF" || len(ev.Actions) != ev.Count || ev.Actions[0].ActionType != 100001 ||
			ev.Actions[1].ActionMsg != "到达广州集包地" || ev.Version == 0 {
			t.Fatalf("%s parsed %+v", name, ev)
		}
	}
	ev, _ := ParsePathEvent(fixture(t, "add_express_path.event.xml"))
	if ev.OrderID != "123456" || ev.Version != 3 {
		t.Fatalf("xml OrderId/Version: %+v", ev)
	}
}

func TestStage(t *testing.T) {
	for code, want := range map[int]string{90001: "pre-pickup", 100001: "pickup", 200001: "transit", 300003: "delivery", 400002: "exception", 500001: "other"} {
		if got := Stage(code); got != want {
			t.Errorf("Stage(%d) = %s, want %s", code, got, want)
		}
	}
}

// pushServer runs a PushHandler on loopback with a fixed clock.
func pushServer(t *testing.T, p *PushCrypto, now time.Time) (*httptest.Server, chan *PathEvent) {
	srv, got, _ := pushServerWith(t, &PushHandler{Crypto: p}, now)
	return srv, got
}

// pushServerWith runs h on loopback with its clock at now (moved by the
// returned function) and delivers its add_express_path events.
func pushServerWith(t *testing.T, h *PushHandler, now time.Time) (*httptest.Server, chan *PathEvent, func(time.Time)) {
	t.Helper()
	got := make(chan *PathEvent, 16)
	var mu sync.Mutex
	h.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	setNow := func(t time.Time) { mu.Lock(); defer mu.Unlock(); now = t }
	h.OnPath = func(_ context.Context, ev *PathEvent) error { got <- ev; return nil }
	h.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, got, setNow
}

func post(t *testing.T, u string, q url.Values, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(u+"?"+q.Encode(), "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(b)
}

// plainQuery signs a plaintext push in the URL, as WeChat does.
func plainQuery(token, ts, nonce string) url.Values {
	return url.Values{"signature": {Signature(token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}}
}

// sealed encrypts body into an Encrypt envelope and signs it as WeChat
// does in safe mode.
func sealed(t *testing.T, p *PushCrypto, ts, nonce, body string) (url.Values, string) {
	t.Helper()
	enc, err := p.Encrypt([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	envelope, _ := json.Marshal(map[string]string{"ToUserName": "gh_x", "Encrypt": enc})
	return url.Values{"timestamp": {ts}, "nonce": {nonce}, "encrypt_type": {"aes"},
		"signature": {Signature(p.Token, ts, nonce)}, "msg_signature": {Signature(p.Token, ts, nonce, enc)}}, string(envelope)
}

func noDelivery(t *testing.T, got chan *PathEvent, what string) {
	t.Helper()
	select {
	case ev := <-got:
		t.Fatalf("%s: an event was delivered: %+v", what, ev)
	default:
	}
}

func TestPushHandlerURLVerification(t *testing.T) {
	srv, _ := pushServer(t, mustCrypto(t, "AAAAA", keyA, appA), time.Unix(1714036504, 0))
	get := func(q string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + "?" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := get("signature=f464b24fc39322e44b38aa78f5edd27bd1441696&timestamp=1714036504&nonce=1514711492&echostr=4375120948345356249")
	if resp.StatusCode != 200 || body != "4375120948345356249" {
		t.Fatalf("echostr answer %d %q", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("echostr answered as %q", ct)
	}
	if resp, _ = get("signature=0000&timestamp=1714036504&nonce=1514711492&echostr=1"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged echostr check answered %d", resp.StatusCode)
	}
	// Correctly signed, but ten minutes old: refused like a stale push.
	old := "1714035904"
	if resp, body = get("signature=" + Signature("AAAAA", old, "1") + "&timestamp=" + old + "&nonce=1&echostr=42"); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "window") {
		t.Fatalf("stale echostr check answered %d %q", resp.StatusCode, body)
	}
	// Only a plausible echostr is echoed, never markup.
	sig := Signature("AAAAA", "1714036504", "1514711492")
	for _, echo := range []string{"<script>alert(1)</script>", "", strings.Repeat("9", 129)} {
		q := url.Values{"signature": {sig}, "timestamp": {"1714036504"}, "nonce": {"1514711492"}, "echostr": {echo}}
		if resp, body = get(q.Encode()); resp.StatusCode != http.StatusBadRequest || strings.Contains(body, "<script>") {
			t.Errorf("echostr %.20q answered %d %q", echo, resp.StatusCode, body)
		}
	}
}

// TestPushHandlerPlainAndSafeMode: a handler without an EncodingAESKey
// takes plaintext pushes; one with a key takes encrypted pushes and
// refuses plaintext ones (the downgrade), unless compatible mode is on.
func TestPushHandlerPlainAndSafeMode(t *testing.T) {
	const token = "pushtoken"
	now := time.Unix(1763800000, 0)
	p := mustCrypto(t, token, keyB, appB)
	plainSrv, plainGot := pushServer(t, &PushCrypto{Token: token}, now)
	safeSrv, safeGot := pushServer(t, p, now)
	compatSrv, compatGot, _ := pushServerWith(t, &PushHandler{Crypto: p, Compat: true}, now)
	ts := "1763800000"

	for _, name := range []string{"add_express_path.event.json", "add_express_path.event.xml"} {
		body := string(fixture(t, name))
		nonce := "plain-" + name
		code, answer := post(t, plainSrv.URL, plainQuery(token, ts, nonce), body)
		if code != 200 || answer != "success" {
			t.Fatalf("plaintext %s: %d %q", name, code, answer)
		}
		if ev := <-plainGot; ev.WaybillID != "123456789" {
			t.Fatalf("plaintext %s delivered %+v", name, ev)
		}
		// The downgrade: a plaintext push signed only in the URL.
		code, answer = post(t, safeSrv.URL, plainQuery(token, ts, nonce), body)
		if code != http.StatusForbidden || !strings.Contains(answer, "takes only encrypted messages") {
			t.Fatalf("plaintext %s to safe mode: %d %q", name, code, answer)
		}
		noDelivery(t, safeGot, "downgrade")
		if code, answer = post(t, compatSrv.URL, plainQuery(token, ts, nonce), body); code != 200 || answer != "success" {
			t.Fatalf("plaintext %s in compatible mode: %d %q", name, code, answer)
		}
		<-compatGot

		q, envelope := sealed(t, p, ts, "safe-"+name, body)
		if code, answer = post(t, safeSrv.URL, q, envelope); code != 200 || answer != "success" {
			t.Fatalf("safe mode %s: %d %q", name, code, answer)
		}
		if ev := <-safeGot; len(ev.Actions) != 3 {
			t.Fatalf("safe mode %s delivered %+v", name, ev)
		}
		// The same request again is a replay.
		if code, answer = post(t, safeSrv.URL, q, envelope); code != http.StatusUnauthorized || !strings.Contains(answer, "already used") {
			t.Fatalf("replayed push answered %d %q", code, answer)
		}
		// An encrypted push to a plaintext receiver cannot be opened.
		if code, answer = post(t, plainSrv.URL, q, envelope); code != http.StatusBadRequest || !strings.Contains(answer, "no EncodingAESKey") {
			t.Fatalf("encrypted push to plaintext mode: %d %q", code, answer)
		}
	}

	body := string(fixture(t, "add_express_path.event.json"))
	old := "1763799000" // more than five minutes ago
	if code, _ := post(t, plainSrv.URL, plainQuery(token, old, "n"), body); code != http.StatusUnauthorized {
		t.Fatalf("stale push answered %d", code)
	}
	if code, _ := post(t, plainSrv.URL, url.Values{"signature": {"forged"}, "timestamp": {ts}, "nonce": {"f"}}, body); code != http.StatusUnauthorized {
		t.Fatalf("forged push answered %d", code)
	}
	q, envelope := sealed(t, p, ts, "other", body)
	q.Set("encrypt_type", "rot13")
	if code, _ := post(t, safeSrv.URL, q, envelope); code != http.StatusBadRequest {
		t.Fatalf("unknown encrypt_type answered %d", code)
	}
	noDelivery(t, plainGot, "rejected plaintext pushes")
	noDelivery(t, safeGot, "rejected safe-mode pushes")
}

// TestForgedRequestDoesNotBurnTheNonce: a request with a bad signature
// and a fresh timestamp and nonce is refused without remembering them, so
// the genuine push with the same nonce afterwards is accepted.
func TestForgedRequestDoesNotBurnTheNonce(t *testing.T) {
	const token = "pushtoken"
	now := time.Unix(1763800000, 0)
	ts := "1763800000"
	body := string(fixture(t, "add_express_path.event.json"))
	p := mustCrypto(t, token, keyB, appB)

	plainSrv, plainGot := pushServer(t, &PushCrypto{Token: token}, now)
	if code, _ := post(t, plainSrv.URL, url.Values{"signature": {Signature("guessed", ts, "n1")}, "timestamp": {ts}, "nonce": {"n1"}}, body); code != http.StatusUnauthorized {
		t.Fatalf("forged plaintext push answered %d", code)
	}
	if code, answer := post(t, plainSrv.URL, plainQuery(token, ts, "n1"), body); code != 200 {
		t.Fatalf("genuine plaintext push after a forged one with its nonce: %d %q", code, answer)
	}
	<-plainGot

	safeSrv, safeGot := pushServer(t, p, now)
	q, envelope := sealed(t, p, ts, "n2", body)
	forged := url.Values{}
	for k, v := range q {
		forged[k] = v
	}
	forged.Set("msg_signature", strings.Repeat("0", 40))
	if code, _ := post(t, safeSrv.URL, forged, envelope); code != http.StatusUnauthorized {
		t.Fatalf("forged safe-mode push answered %d", code)
	}
	// A plaintext push in the genuine URL's clothes (the downgrade) does
	// not burn it either.
	if code, _ := post(t, safeSrv.URL, plainQuery(token, ts, "n2"), body); code != http.StatusForbidden {
		t.Fatalf("downgraded push answered %d", code)
	}
	if code, answer := post(t, safeSrv.URL, q, envelope); code != 200 {
		t.Fatalf("genuine safe-mode push after forged ones with its nonce: %d %q", code, answer)
	}
	<-safeGot
}

// TestNonceMemoryIsBounded: thousands of forged requests leave the nonce
// memory empty; a genuine push is remembered and its replay refused while
// in the window; entries leave with the window; a full memory refuses
// (503) rather than forgets.
func TestNonceMemoryIsBounded(t *testing.T) {
	const token = "pushtoken"
	start := time.Unix(1763800000, 0)
	h := &PushHandler{Crypto: &PushCrypto{Token: token}, MaxNonces: 3}
	srv, got, setNow := pushServerWith(t, h, start)
	body := string(fixture(t, "add_express_path.event.json"))
	ts := strconv.FormatInt(start.Unix(), 10)

	for i := range 3000 {
		nonce := strconv.Itoa(i)
		q := url.Values{"signature": {Signature("not-the-token", ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}}
		if code, _ := post(t, srv.URL, q, body); code != http.StatusUnauthorized {
			t.Fatalf("forged push %d answered %d", i, code)
		}
	}
	if n := h.Remembered(); n != 0 {
		t.Fatalf("3000 forged pushes left %d nonces in memory", n)
	}

	genuine := plainQuery(token, ts, "g1")
	if code, _ := post(t, srv.URL, genuine, body); code != 200 {
		t.Fatalf("genuine push: %d", code)
	}
	<-got
	if n := h.Remembered(); n != 1 {
		t.Fatalf("%d nonces after one genuine push", n)
	}
	setNow(start.Add(4 * time.Minute)) // still within the 5-minute window
	if code, answer := post(t, srv.URL, genuine, body); code != http.StatusUnauthorized || !strings.Contains(answer, "already used") {
		t.Fatalf("replay within the window: %d %q", code, answer)
	}
	for _, nonce := range []string{"g2", "g3"} {
		if code, _ := post(t, srv.URL, plainQuery(token, ts, nonce), body); code != 200 {
			t.Fatalf("genuine push %s: %d", nonce, code)
		}
		<-got
	}
	// Full: a fourth genuine push waits rather than pushes an old nonce out.
	if code, answer := post(t, srv.URL, plainQuery(token, ts, "g4"), body); code != http.StatusServiceUnavailable || !strings.Contains(answer, "try again later") {
		t.Fatalf("push to a full memory: %d %q", code, answer)
	}
	noDelivery(t, got, "push to a full memory")

	// Past the window the old entries go, and the replay is stale anyway.
	later := start.Add(7 * time.Minute)
	setNow(later)
	if n := h.Remembered(); n != 0 {
		t.Fatalf("%d nonces kept past the window", n)
	}
	if code, _ := post(t, srv.URL, genuine, body); code != http.StatusUnauthorized {
		t.Fatalf("replay past the window: %d", code)
	}
	fresh := strconv.FormatInt(later.Unix(), 10)
	if code, _ := post(t, srv.URL, plainQuery(token, fresh, "g4"), body); code != 200 {
		t.Fatalf("push after the memory emptied: %d", code)
	}
	<-got
}

// TestNonceMemorySweepsByBucket: entries expire with their timestamp,
// bucket by bucket, whatever the arrival order.
func TestNonceMemorySweepsByBucket(t *testing.T) {
	var m nonceMemory
	const window = 300
	now := int64(1_000_000)
	for i := range 100 {
		ts := now - window + int64(i*3) // spread over the past window
		if err := m.add(ts, strconv.Itoa(i), now, window, 1000); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.add(now-window, "0", now, window, 1000); !errors.Is(err, ErrReplayed) {
		t.Fatalf("oldest entry replayed: %v", err)
	}
	m.sweep(now+window/2, window)
	// The 50 older than the window go; a bucket may linger with a few more.
	if m.n < 50 || m.n > 50+window/nonceBuckets/3+1 {
		t.Fatalf("half a window later %d of 100 entries remain", m.n)
	}
	if len(m.buckets) > nonceBuckets+2 {
		t.Fatalf("%d buckets", len(m.buckets))
	}
	m.sweep(now+window+1, window)
	if m.n != 0 || len(m.buckets) != 0 {
		t.Fatalf("a window later: %d entries in %d buckets", m.n, len(m.buckets))
	}
}
