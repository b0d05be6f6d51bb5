package desk

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"waybilldesk/orders"
	"waybilldesk/settings"
	"waybilldesk/store"
	"waybilldesk/wxapi"
)

func TestMain(m *testing.M) {
	keyring.MockInit() // the desk reads the EncodingAESKey from the keyring
	os.Exit(m.Run())
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// openWith opens a sandbox desk on a history whose settings are st.
func openWith(t *testing.T, st settings.Settings) *Desk {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "history.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := settings.New(db).Save(ctx, st); err != nil {
		t.Fatal(err)
	}
	db.Close()
	d, err := Open(ctx, Config{DBPath: path, Sandbox: true,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return d
}

// TestSandboxPushesReachTheDesksOwnReceiver: with the callback URL and the
// push token stored, the embedded sandbox pushes add_express_path events
// there; with "receive pushes" on, the desk listens there itself and the
// order's tracking follows the sandbox clock, through pushes alone.
func TestSandboxPushesReachTheDesksOwnReceiver(t *testing.T) {
	ctx := context.Background()
	addr := freeAddr(t)
	d := openWith(t, settings.Settings{CallbackURL: "http://" + addr + "/push", PushToken: "desktoken",
		ReceivePushes: true, PushListen: addr})
	if d.Config.CallbackURL == "" || d.Config.PushToken != "desktoken" {
		t.Fatalf("config %+v lacks the push settings", d.Config)
	}
	updates, stop := d.SubscribePushes(8)
	defer stop()
	st, err := d.ApplyPushSettings(ctx)
	if err != nil || st.Addr != addr || st.SafeMode {
		t.Fatalf("receiver: %+v, %v", st, err)
	}
	// Unchanged settings keep the same receiver.
	if again, err := d.ApplyPushSettings(ctx); err != nil || again.Addr != addr {
		t.Fatalf("again: %+v, %v", again, err)
	}

	var req wxapi.AddOrderRequest
	raw, err := os.ReadFile(filepath.Join("..", "examples", "order.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		t.Fatal(err)
	}
	o, err := d.Orders.Place(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Sandbox().Advance(ctx, 30*time.Hour); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(15 * time.Second)
	for st.LastOrderID != o.OrderID {
		select {
		case st = <-updates:
		case <-deadline:
			t.Fatalf("no push for %s applied; status %+v", o.OrderID, d.PushStatus())
		}
	}
	got, err := d.Orders.Get(ctx, o.OrderID)
	if err != nil || got.TrackStatus == "" || got.TrackStatus != st.LastStage || st.Applied == 0 {
		t.Fatalf("order %+v (%v), status %+v", got, err, st)
	}
	events, _ := d.Orders.Events(ctx, o.OrderID)
	if len(events) == 0 || events[0].Source != "push" {
		t.Fatalf("events %+v", events)
	}

	// A push for a waybill this history does not have is answered success
	// (not ours: WeChat must not retry), a forged one is refused.
	now := strconv.FormatInt(time.Now().Unix(), 10)
	foreign := `{"ToUserName":"gh_x","FromUserName":"o","CreateTime":1,"MsgType":"event","Event":"add_express_path",` +
		`"DeliveryID":"YTO","WayBillId":"YT0000000000000","Version":1,"Count":0,"Actions":[]}`
	post := func(nonce, sig, body string) int {
		t.Helper()
		resp, err := http.Post("http://"+addr+"/push?timestamp="+now+"&nonce="+nonce+"&signature="+sig, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("7", wxapi.Signature("desktoken", now, "7"), foreign); code != http.StatusOK {
		t.Errorf("foreign push answered %d", code)
	}
	if code := post("8", "forged", foreign); code != http.StatusUnauthorized {
		t.Errorf("forged push answered %d", code)
	}
	if st := d.PushStatus(); st.LastWaybill != "YT0000000000000" || st.LastOrderID != "" || !strings.Contains(st.Error, "signature") {
		t.Errorf("status after foreign and forged pushes: %+v", st)
	}

	// Turned off: the port is free again; a taken port is an error.
	var off settings.Settings
	if off, err = d.Settings.Load(ctx); err != nil {
		t.Fatal(err)
	}
	off.ReceivePushes = false
	d.Settings.Save(ctx, off)
	if st, err := d.ApplyPushSettings(ctx); err != nil || st.Addr != "" {
		t.Fatalf("off: %+v, %v", st, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the port is still taken: %v", err)
	}
	defer ln.Close()
	off.ReceivePushes = true
	d.Settings.Save(ctx, off)
	if st, err := d.ApplyPushSettings(ctx); err == nil || st.Addr != "" || st.Error == "" {
		t.Fatalf("on a taken port: %+v, %v", st, err)
	}
}

// TestSandboxDoesNotPushWithoutAToken: a callback URL alone is not enough
// to sign pushes; the desk opens and the sandbox stays quiet.
func TestSandboxDoesNotPushWithoutAToken(t *testing.T) {
	d := openWith(t, settings.Settings{CallbackURL: "http://127.0.0.1:1/push"})
	if p := d.sandboxPush(context.Background(), d.Config); p.URL != "" {
		t.Errorf("sandbox pushes to %s without a token", p.URL)
	}
	if st := d.PushStatus(); st != (orders.PushStatus{}) {
		t.Errorf("receiver status %+v before any ApplyPushSettings", st)
	}
}

// TestWindowReceiverInSafeModeTakesOnlyEncryptedPushes: with an
// EncodingAESKey in the keyring, the window's receiver refuses a
// plaintext push signed only in the URL (nothing received, the refusal in
// its status) and takes the same push encrypted.
func TestWindowReceiverInSafeModeTakesOnlyEncryptedPushes(t *testing.T) {
	ctx := context.Background()
	const token, key = "desktoken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	addr := freeAddr(t)
	d := openWith(t, settings.Settings{PushToken: token, ReceivePushes: true, PushListen: addr})
	if err := d.Settings.SetAESKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Settings.SetAESKey(ctx, "") })
	st, err := d.ApplyPushSettings(ctx)
	if err != nil || !st.SafeMode || st.Compat {
		t.Fatalf("receiver: %+v, %v", st, err)
	}
	body := `{"ToUserName":"gh_x","FromUserName":"o","CreateTime":1,"MsgType":"event","Event":"add_express_path",` +
		`"DeliveryID":"YTO","WayBillId":"YT0000000000001","Version":1,"Count":0,"Actions":[]}`
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	post := func(q url.Values, payload string) (int, string) {
		t.Helper()
		resp, err := http.Post("http://"+addr+"/push?"+q.Encode(), "application/json", strings.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	plain := url.Values{"timestamp": {ts}, "nonce": {"1"}, "signature": {wxapi.Signature(token, ts, "1")}}
	if code, answer := post(plain, body); code != http.StatusForbidden || !strings.Contains(answer, "encrypted") {
		t.Fatalf("plaintext push to the safe-mode window: %d %q", code, answer)
	}
	if st := d.PushStatus(); st.Received != 0 || !strings.Contains(st.Error, "403") {
		t.Fatalf("status after the downgrade: %+v", st)
	}
	c, err := wxapi.NewPushCrypto(token, key, d.Config.AppID, "")
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := c.Encrypt([]byte(body))
	sealed := url.Values{"timestamp": {ts}, "nonce": {"1"}, "encrypt_type": {"aes"},
		"signature": {wxapi.Signature(token, ts, "1")}, "msg_signature": {wxapi.Signature(token, ts, "1", enc)}}
	if code, answer := post(sealed, `{"ToUserName":"gh_x","Encrypt":"`+enc+`"}`); code != http.StatusOK {
		t.Fatalf("encrypted push: %d %q", code, answer)
	}
	if st := d.PushStatus(); st.Received != 1 || st.LastWaybill != "YT0000000000001" {
		t.Fatalf("status after the encrypted push: %+v", st)
	}
}
