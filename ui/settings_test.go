package ui

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"waybilldesk/desk"
	"waybilldesk/orders"
	"waybilldesk/settings"
	"waybilldesk/store"
)

func TestSettingsKeepTheSecretInTheKeyringAndApplyAtNextStart(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // the data folder pointer goes here, not to the real config
	t.Logf("real Secret Service: %v", realKeyring)
	h := newHarness(t)
	s := h.m.Settings
	h.m.ShowSettings()
	h.waitFor("the settings loaded", func() bool { return s.DataDir.Text != "" })
	if s.DataDir.Text != filepath.Dir(h.d.DB.Path()) {
		t.Errorf("data folder %q, want %q", s.DataDir.Text, filepath.Dir(h.d.DB.Path()))
	}

	// A malformed AppID is shown at the field; nothing is stored.
	typeInto(s.AppID, "wx12")
	test.Tap(s.Save)
	h.waitFor("the refusal", func() bool { return s.AppID.ErrorText() != "" })
	if v, _ := h.d.Settings.Load(h.ctx); v.AppID != "" {
		t.Errorf("stored AppID %q after a refusal", v.AppID)
	}

	const appID, secret = "wx00112233445566aa", "abcdefabcdefabcdefabcdefabcdef12"
	typeInto(s.AppID, appID)
	typeInto(s.Secret, secret)
	s.TokenMode.SetSelected("普通 access_token")
	typeInto(s.Callback, "https://desk.example.com/wechat/push")
	typeInto(s.Speed, "1440")
	test.Tap(s.Save)
	h.waitFor("saved", func() bool { return s.Message.Visible() && !s.busy })
	if s.Message.Importance != widget.SuccessImportance || !strings.Contains(s.Message.Text, "重启") {
		t.Fatalf("save: %q", s.Message.Text)
	}
	t.Cleanup(func() { h.d.Settings.SetSecret(h.ctx, appID, "") })
	if s.Secret.Text != "" || !strings.Contains(s.SecretRow.Text, "已保存在系统钥匙串中") {
		t.Errorf("after saving: secret field %q, row %q", s.Secret.Text, s.SecretRow.Text)
	}
	if got, err := h.d.Settings.Secret(h.ctx, appID); err != nil || got != secret {
		t.Errorf("keyring has %q, %v", got, err)
	}
	// The history holds the AppID but never the secret.
	if err := h.d.DB.Backup(h.ctx, filepath.Join(t.TempDir(), "copy.db")); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{h.d.DB.Path(), h.d.DB.Path() + "-wal"} {
		b, _ := os.ReadFile(f)
		if strings.Contains(string(b), secret) {
			t.Fatalf("%s contains the AppSecret", f)
		}
	}

	// The next start reads them: the desk leaves the sandbox.
	d2, err := desk.Open(h.ctx, desk.Config{DBPath: h.d.DB.Path(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := d2.Config
	d2.Close()
	if cfg.AppID != appID || cfg.Secret != secret || cfg.TokenMode != settings.TokenClassic || cfg.Sandbox {
		t.Errorf("next start: appid %q secret set %v token %q sandbox %v", cfg.AppID, cfg.Secret == secret, cfg.TokenMode, cfg.Sandbox)
	}

	// Buyer notices need a goods picture; with one they are on at once.
	s.Notices.SetChecked(true)
	typeInto(s.GoodsImage, "")
	test.Tap(s.SaveNotices)
	h.waitFor("the picture asked for", func() bool { return s.GoodsImage.ErrorText() != "" })
	typeInto(s.GoodsImage, "https://shop.example.com/logo.png")
	test.Tap(s.SaveNotices)
	h.waitFor("notices on", func() bool { return strings.Contains(s.Message.Text, "买家通知已开启") })
	if n, _ := h.d.Orders.Notices(h.ctx); !n.Enabled || n.GoodsImgURL == "" {
		t.Errorf("stored notices %+v", n)
	}

	// Language: kept for the next start.
	s.Language.SetSelected("English")
	if h.app.Preferences().String(PrefLanguage) != "en" || !strings.Contains(s.Message.Text, "Restart to apply") {
		t.Errorf("language pref %q, message %q", h.app.Preferences().String(PrefLanguage), s.Message.Text)
	}

	// Backup now writes a verified copy into the backups folder.
	test.Tap(s.BackupNow)
	h.waitFor("the backup", func() bool { return strings.Contains(s.Message.Text, "备份") && !s.BackupNow.Disabled() })
	path := strings.TrimSpace(strings.TrimPrefix(s.Message.Text, "备份已写入:"))
	if _, err := store.Verify(h.ctx, path); err != nil {
		t.Errorf("backup %q: %v (message %q)", path, err, s.Message.Text)
	}

	// Data folder: kept for the next start.
	dir := filepath.Join(t.TempDir(), "desk-data")
	typeInto(s.DataDir, dir)
	test.Tap(s.SaveDir)
	h.waitFor("the folder saved", func() bool { return strings.Contains(s.Message.Text, "数据文件夹已保存") })
	if got, _ := settings.DataDir(); got != dir {
		t.Errorf("data folder %q, want %q", got, dir)
	}
}

// freeAddr is a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestPushesFromTheSandboxMoveTheOrderInOrders: the callback URL, push
// token and EncodingAESKey are stored, so the embedded sandbox pushes
// there in safe mode; Settings turns on the desk's own receiver at that
// address. A forged push is refused and shown; when the sandbox clock
// moves a day on, the sandbox's pushes reach the receiver, the order's
// tracking changes and the Orders detail shows it, without asking WeChat.
func TestPushesFromTheSandboxMoveTheOrderInOrders(t *testing.T) {
	const token, aesKey = "deskpush2026", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	ctx := context.Background()
	addr := freeAddr(t)
	dbPath := filepath.Join(t.TempDir(), "history.db")
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	st := settings.New(db)
	if err := st.Save(ctx, settings.Settings{CallbackURL: "http://" + addr + "/wechat/push", PushToken: token}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetAESKey(ctx, aesKey); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.SetAESKey(ctx, "") })
	db.Close()

	h := newHarnessAt(t, dbPath)
	s, l := h.m.Settings, h.m.Orders
	h.m.ShowSettings()
	h.waitFor("the settings loaded", func() bool { return s.DataDir.Text != "" })
	if s.PushToken.Text != token || !strings.Contains(s.AESKeyRow.Text, "安全模式") || s.PushListen.Text != settings.DefaultPushListen {
		t.Fatalf("loaded: token %q, key %q, listen %q", s.PushToken.Text, s.AESKeyRow.Text, s.PushListen.Text)
	}
	if !strings.Contains(s.PushStatus.Text, "本机未接收") {
		t.Errorf("status before: %q", s.PushStatus.Text)
	}

	// Receive pushes on this machine, at the callback URL's address.
	s.ReceivePushes.SetChecked(true)
	typeInto(s.PushListen, addr)
	test.Tap(s.Save)
	h.waitFor("the receiver listening", func() bool { return strings.Contains(s.PushStatus.Text, "正在监听 http://"+addr+"/") })
	if !strings.Contains(s.PushStatus.Text, "安全模式") || s.Message.Importance != widget.SuccessImportance {
		t.Errorf("status %q, message %q", s.PushStatus.Text, s.Message.Text)
	}

	// A plaintext push to this safe-mode receiver is refused (it would let
	// anyone who saw one signed URL post an event), and the status says so.
	now := strconv.FormatInt(time.Now().Unix(), 10)
	resp, err := http.Post("http://"+addr+"/wechat/push?timestamp="+now+"&nonce=1&signature=forged", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("plaintext push to a safe-mode receiver answered %s", resp.Status)
	}
	h.waitFor("the downgrade's refusal shown", func() bool { return strings.Contains(s.PushStatus.Text, "plaintext message refused") })
	// A forged encrypted push is refused too, and the status says why.
	resp, err = http.Post("http://"+addr+"/wechat/push?timestamp="+now+"&nonce=2&signature=forged&encrypt_type=aes&msg_signature=forged",
		"application/json", strings.NewReader(`{"ToUserName":"gh_x","Encrypt":"AAAA"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged push answered %s", resp.Status)
	}
	h.waitFor("the refusal shown", func() bool { return strings.Contains(s.PushStatus.Text, "signature does not match") })

	// An order, shown in Orders; a day later the sandbox pushes its path.
	o := h.placeOrder("张三", "13812345678")
	h.m.ShowOrders()
	l.Refresh()
	h.waitFor("the order listed", func() bool { return l.SelectOrder(o.OrderID) })
	h.waitFor("its details", func() bool { return showsText(l.DetailFields, o.OrderID) })
	if l.values["Track status"].Visible() {
		t.Errorf("tracking %q shown before any event", l.values["Track status"].Text)
	}
	start := time.Now()
	if err := h.d.Sandbox().Advance(h.ctx, 30*time.Hour); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the pushed tracking in the detail", func() bool {
		return l.values["Track status"].Visible() && l.values["Track status"].Text != "" && len(l.Timeline.Objects) >= 2
	})
	t.Logf("pushed in %s: %s", time.Since(start).Round(time.Millisecond), l.values["Track status"].Text)
	got, err := h.d.Orders.Get(h.ctx, o.OrderID)
	if err != nil || got.TrackStatus == "" || !strings.HasPrefix(l.values["Track status"].Text, stageText(got.TrackStatus)) {
		t.Fatalf("history %+v (%v), detail %q", got, err, l.values["Track status"].Text)
	}
	events, _ := h.d.Orders.Events(h.ctx, o.OrderID)
	for _, e := range events {
		if e.Source != "push" {
			t.Errorf("event %+v did not come from a push", e)
		}
	}
	if head := firstEventHead(events); head == "" || !showsText(l.Timeline, head) {
		t.Errorf("timeline %q lacks the first event %q", texts(l.Timeline), head)
	}
	h.waitFor("the push in the status", func() bool { return strings.Contains(s.PushStatus.Text, o.WaybillID) })
	t.Logf("status: %s", s.PushStatus.Text)

	// Off again: nothing listens.
	s.ReceivePushes.SetChecked(false)
	test.Tap(s.Save)
	h.waitFor("the receiver stopped", func() bool { return strings.Contains(s.PushStatus.Text, "本机未接收") })
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Error("still listening after the switch was turned off")
	}
}

// firstEventHead is the timeline's line for the first event: its time and
// stage, "" without one.
func firstEventHead(events []store.PathEvent) string {
	if len(events) == 0 {
		return ""
	}
	e := events[0]
	return e.ActionTime.Local().Format("01-02 15:04") + "  " + stageText(orders.TrackStage(e.ActionType))
}

// TestLabelRenderingSettings: the number of labels rendered at once and the
// hosts labels may load from are saved with the other settings and used by
// the next start; a bad value is shown at its field and nothing is stored.
func TestLabelRenderingSettings(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	h := newHarness(t)
	s := h.m.Settings
	h.m.ShowSettings()
	h.waitFor("the settings loaded", func() bool { return s.DataDir.Text != "" })
	if s.LabelTabs.Text != "" || !strings.Contains(s.LabelTabs.PlaceHolder, "自动") {
		t.Errorf("fresh: tabs %q, placeholder %q", s.LabelTabs.Text, s.LabelTabs.PlaceHolder)
	}

	for _, bad := range []struct {
		tabs, hosts string
		field       *FormEntry
	}{
		{"两个", "", s.LabelTabs},
		{"40", "", s.LabelTabs},
		{"2", "img.example.com\nhttps://cdn.example.com/logo.png", s.LabelHosts},
	} {
		typeInto(s.LabelTabs, bad.tabs)
		typeInto(s.LabelHosts, bad.hosts)
		test.Tap(s.Save)
		h.waitFor("the refusal of "+bad.tabs+" "+bad.hosts, func() bool { return bad.field.ErrorText() != "" && !s.busy })
		if v, _ := h.d.Settings.Load(h.ctx); v.LabelTabs != 0 || v.LabelHosts != nil {
			t.Errorf("stored tabs %d hosts %q after a refusal", v.LabelTabs, v.LabelHosts)
		}
	}

	typeInto(s.LabelTabs, "２") // full-width, as a Chinese input method types it
	typeInto(s.LabelHosts, "img.example.com\n192.168.1.10:8080")
	test.Tap(s.Save)
	h.waitFor("saved", func() bool { return s.Message.Visible() && !s.busy })
	if s.Message.Importance != widget.SuccessImportance || !strings.Contains(s.Message.Text, "面单渲染") {
		t.Fatalf("save: %q", s.Message.Text)
	}
	d2, err := desk.Open(h.ctx, desk.Config{DBPath: h.d.DB.Path(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	tabs, hosts := d2.Renderer.Tabs(), d2.Config.RenderHosts
	d2.Close()
	if tabs != 2 || strings.Join(hosts, " ") != "img.example.com 192.168.1.10:8080" {
		t.Errorf("next start renders with %d tabs and hosts %q", tabs, hosts)
	}
}
