package ui

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"waybilldesk/desk"
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
