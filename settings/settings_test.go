package settings

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"waybilldesk/settings/keyringtest"
	"waybilldesk/store"
)

// realKeyring is true when the tests run against a real Secret Service
// (a private dbus-daemon with gnome-keyring-daemon), false on the
// in-memory fallback.
var realKeyring bool

func TestMain(m *testing.M) {
	k, err := keyringtest.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "settings tests: no real Secret Service (%v); using go-keyring's in-memory mock\n", err)
		keyring.MockInit()
	} else {
		realKeyring = true
	}
	code := m.Run()
	if k != nil {
		k.Stop()
	}
	os.Exit(code)
}

func open(t *testing.T) (*Service, *store.DB) {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return New(db), db
}

const (
	appID  = "wx0123456789abcdef"
	secret = "0123456789abcdef0123456789abcdef"
)

func TestSecretGoesToTheKeyringNeverTheDatabase(t *testing.T) {
	t.Logf("real keyring: %v", realKeyring)
	ctx := context.Background()
	s, db := open(t)
	if err := s.Save(ctx, Settings{AppID: appID, TokenMode: TokenClassic, CallbackURL: "https://desk.example.com/wx", SandboxSpeed: 1440}); err != nil {
		t.Fatal(err)
	}
	if has, err := s.HasSecret(ctx, appID); err != nil || has {
		t.Fatalf("HasSecret before setting = %v, %v", has, err)
	}
	if err := s.SetSecret(ctx, appID, secret); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.SetSecret(ctx, appID, "") })
	got, err := s.Secret(ctx, appID)
	if err != nil || got != secret {
		t.Fatalf("Secret = %q, %v", got, err)
	}
	// The history file holds no trace of the secret.
	db.Close()
	raw, err := os.ReadFile(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal"} {
		b, _ := os.ReadFile(db.Path() + suffix)
		raw = append(raw, b...)
	}
	if strings.Contains(string(raw), secret) {
		t.Fatal("the AppSecret is in the history database")
	}
	if !strings.Contains(string(raw), appID) {
		t.Error("the AppID was not stored in the settings table")
	}
}

func TestFillCompletesTheCommandLine(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	if err := s.Save(ctx, Settings{AppID: appID, TokenMode: TokenClassic, SandboxSpeed: 60}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSecret(ctx, appID, secret); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.SetSecret(ctx, appID, "") })

	got, err := s.Fill(ctx, Startup{})
	if err != nil || got.AppID != appID || got.Secret != secret || got.TokenMode != TokenClassic || got.SandboxSpeed != 60 || got.SecretErr != nil {
		t.Errorf("Fill(empty) = %+v, %v", got, err)
	}
	// Flags win.
	got, _ = s.Fill(ctx, Startup{AppID: "wxffffffffffffffff", Secret: "flag", TokenMode: TokenStable})
	if got.AppID != "wxffffffffffffffff" || got.Secret != "flag" || got.TokenMode != TokenStable {
		t.Errorf("Fill(flags) = %+v", got)
	}
	// A forced sandbox needs no secret: the keyring is not asked.
	if err := s.Save(ctx, Settings{AppID: appID, Sandbox: true}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Fill(ctx, Startup{})
	if !got.Sandbox || got.Secret != "" {
		t.Errorf("Fill(sandbox forced) = %+v", got)
	}
	// A stored AppID without a secret says so.
	other := "wx1111111111111111"
	s.Save(ctx, Settings{AppID: other})
	got, _ = s.Fill(ctx, Startup{})
	if got.Secret != "" || !errors.Is(got.SecretErr, ErrNoSecret) {
		t.Errorf("Fill(no secret) = %+v", got)
	}
}

// brokenKeyring stands for a system without a keyring.
type brokenKeyring struct{}

func (brokenKeyring) Get(string, string) (string, error) {
	return "", errors.New("The name org.freedesktop.secrets was not provided by any .service files")
}
func (brokenKeyring) Set(string, string, string) error {
	return errors.New("The name org.freedesktop.secrets was not provided by any .service files")
}
func (brokenKeyring) Delete(string, string) error { return errors.New("no dbus") }

func TestNoKeyringIsSaidClearlyAndNothingIsStored(t *testing.T) {
	ctx := context.Background()
	_, db := open(t)
	s := NewWithKeyring(db, brokenKeyring{})
	err := s.SetSecret(ctx, appID, secret)
	if !errors.Is(err, ErrNoKeyring) || !strings.Contains(err.Error(), "WAYBILLDESK_SECRET") || !strings.Contains(err.Error(), "系统钥匙串不可用") {
		t.Fatalf("SetSecret without keyring: %v", err)
	}
	s.Save(ctx, Settings{AppID: appID})
	got, _ := s.Fill(ctx, Startup{})
	if got.Secret != "" || !errors.Is(got.SecretErr, ErrNoKeyring) {
		t.Errorf("Fill without keyring = %+v", got)
	}
	if v, _ := db.Setting(ctx, KeyAppID); v != appID {
		t.Errorf("appid setting %q", v)
	}
}

func TestValidation(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	for _, tc := range []struct {
		in    Settings
		field string
	}{
		{Settings{AppID: "wx123"}, "appid"},
		{Settings{TokenMode: "fast"}, "token_mode"},
		{Settings{CallbackURL: "ftp://x"}, "callback_url"},
		{Settings{SandboxSpeed: 0.5}, "sandbox_speed"},
		{Settings{PushToken: "a b"}, "push_token"},
		{Settings{PushToken: "x"}, "push_token"},
		{Settings{ReceivePushes: true}, "push_token"},
		{Settings{PushListen: "8090"}, "push_listen"},
		{Settings{PushListen: "127.0.0.1:99999"}, "push_listen"},
		{Settings{LabelTabs: -1}, "label_tabs"},
		{Settings{LabelTabs: 17}, "label_tabs"},
		{Settings{LabelHosts: []string{"https://img.example.com/logo.png"}}, "label_hosts"},
		{Settings{LabelHosts: []string{"img.example.com/logos"}}, "label_hosts"},
		{Settings{LabelHosts: []string{"ok.example.com", "bad_host!"}}, "label_hosts"},
	} {
		var fe *FieldError
		if err := s.Save(ctx, tc.in); !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("Save(%+v) = %v, want a %s error", tc.in, err, tc.field)
		}
	}
	var fe *FieldError
	if err := s.SetSecret(ctx, appID, "short"); !errors.As(err, &fe) || fe.Field != "secret" {
		t.Errorf("SetSecret(short) = %v", err)
	}
}

// TestLabelRendererSettings: the renderer's tab count and allow list are
// stored and handed to the desk by Fill, which flags win over; a list typed
// with commas, spaces or one host per line is read the same, and a refused
// list leaves the stored one as it was.
func TestLabelRendererSettings(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	if got, _ := s.Load(ctx); got.LabelTabs != 0 || got.LabelHosts != nil {
		t.Fatalf("fresh: tabs %d hosts %q", got.LabelTabs, got.LabelHosts)
	}
	in := Settings{LabelTabs: 4, LabelHosts: []string{"img.example.com, 192.168.1.10:8080\n[::1]:9000", "img.example.com"}}
	if err := s.Save(ctx, in); err != nil {
		t.Fatal(err)
	}
	want := []string{"img.example.com", "192.168.1.10:8080", "[::1]:9000"}
	got, err := s.Load(ctx)
	if err != nil || got.LabelTabs != 4 || !reflect.DeepEqual(got.LabelHosts, want) {
		t.Errorf("loaded tabs %d hosts %q (%v), want 4 %q", got.LabelTabs, got.LabelHosts, err, want)
	}
	if st, _ := s.Fill(ctx, Startup{}); st.LabelTabs != 4 || !reflect.DeepEqual(st.LabelHosts, want) {
		t.Errorf("Fill: tabs %d hosts %q", st.LabelTabs, st.LabelHosts)
	}
	if st, _ := s.Fill(ctx, Startup{LabelTabs: 1, LabelHosts: []string{}}); st.LabelTabs != 1 || len(st.LabelHosts) != 0 {
		t.Errorf("Fill(flags): tabs %d hosts %q", st.LabelTabs, st.LabelHosts)
	}
	if err := s.Save(ctx, Settings{LabelHosts: []string{"http://evil.example.com"}}); err == nil {
		t.Fatal("a URL was accepted as a host")
	}
	if got, _ := s.Load(ctx); !reflect.DeepEqual(got.LabelHosts, want) {
		t.Errorf("after a refused save the hosts are %q, want %q", got.LabelHosts, want)
	}
	if err := s.Save(ctx, Settings{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Load(ctx); got.LabelTabs != 0 || got.LabelHosts != nil {
		t.Errorf("cleared: tabs %d hosts %q", got.LabelTabs, got.LabelHosts)
	}
}

// TestPushSettingsAndTheAESKey: the push token, the receiver switch and
// its address are stored with the other settings (the default address
// when none is), the EncodingAESKey goes to the keyring only, and Fill
// hands the push token to the desk.
func TestPushSettingsAndTheAESKey(t *testing.T) {
	ctx := context.Background()
	s, db := open(t)
	if got, _ := s.Load(ctx); got.PushListen != DefaultPushListen || got.ReceivePushes || got.PushToken != "" {
		t.Fatalf("fresh: %+v", got)
	}
	in := Settings{CallbackURL: "https://desk.example.com/wx", PushToken: "Token2026", ReceivePushes: true, PushListen: "0.0.0.0:9000"}
	if err := s.Save(ctx, in); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Load(ctx); !reflect.DeepEqual(got, in) {
		t.Errorf("loaded %+v, want %+v", got, in)
	}
	if got, _ := s.Fill(ctx, Startup{}); got.PushToken != in.PushToken || got.CallbackURL != in.CallbackURL {
		t.Errorf("Fill = %+v", got)
	}

	const key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	t.Cleanup(func() { s.SetAESKey(ctx, "") })
	if has, err := s.HasAESKey(ctx); err != nil || has {
		t.Fatalf("before: %v %v", has, err)
	}
	var fe *FieldError
	if err := s.SetAESKey(ctx, "short"); !errors.As(err, &fe) || fe.Field != "aes_key" {
		t.Errorf("SetAESKey(short) = %v", err)
	}
	if err := s.SetAESKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	if got, err := s.AESKey(ctx); err != nil || got != key {
		t.Errorf("AESKey = %q, %v", got, err)
	}
	for _, k := range []string{KeyAppID, KeyCallbackURL, KeyPushToken, KeyPushListen, KeyPushReceive} {
		if v, _ := db.Setting(ctx, k); strings.Contains(v, key) {
			t.Errorf("setting %s holds the EncodingAESKey", k)
		}
	}
	if err := s.SetAESKey(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AESKey(ctx); !errors.Is(err, ErrNoSecret) {
		t.Errorf("after removing: %v", err)
	}
	if err := s.SetAESKey(ctx, ""); err != nil {
		t.Errorf("removing twice: %v", err)
	}
}

func TestBackupsAndDataDir(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	ctx := context.Background()
	s, db := open(t)
	res, err := db.ManualBackup(ctx, store.BackupPolicy{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	list, _ := s.Backups()
	if len(list) != 1 || list[0] != res.Path {
		t.Errorf("backups %q, want %s", list, res.Path)
	}
	if d, err := DataDir(); err != nil || d != "" {
		t.Errorf("DataDir before = %q, %v", d, err)
	}
	want := filepath.Join(t.TempDir(), "desk-data")
	if err := SetDataDir(want); err != nil {
		t.Fatal(err)
	}
	if d, _ := DataDir(); d != want {
		t.Errorf("DataDir = %q, want %q", d, want)
	}
	if err := SetDataDir("relative/path"); err == nil {
		t.Error("relative data folder accepted")
	}
	SetDataDir("")
	if d, _ := DataDir(); d != "" {
		t.Errorf("DataDir after reset = %q", d)
	}
}
