package desk

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"waybilldesk/store"
)

// TestEachPlatformHasItsOwnHistory: by default the sandbox keeps its
// orders in history-sandbox.db, the first AppID in history.db and another
// AppID beside it; a history given with --db belongs to the first platform
// that uses it, and the others keep theirs beside it.
func TestEachPlatformHasItsOwnHistory(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("HOME", home)
	dir := filepath.Join(home, AppName)
	// No embedded sandbox is started: a (never called) API base is given.
	const api = "http://127.0.0.1:9"
	open := func(cfg Config) (path, platform string) {
		t.Helper()
		cfg.APIBase, cfg.Logger = api, slog.New(slog.DiscardHandler)
		d, err := Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		return d.DB.Path(), d.Platform
	}
	tests := []struct {
		name     string
		cfg      Config
		path     string
		platform string
	}{
		{"sandbox first", Config{Sandbox: true}, filepath.Join(dir, "history-sandbox.db"), store.PlatformSandbox},
		{"the shop's AppID", Config{AppID: "wx5e1f2a3b4c5d6e7f", Secret: "s"}, filepath.Join(dir, "history.db"), "wechat:wx5e1f2a3b4c5d6e7f"},
		{"sandbox again", Config{Sandbox: true, AppID: "wx5e1f2a3b4c5d6e7f", Secret: "s"}, filepath.Join(dir, "history-sandbox.db"), store.PlatformSandbox},
		{"a second AppID", Config{AppID: "wx0000000000000002", Secret: "s"}, filepath.Join(dir, "history-wx0000000000000002.db"), "wechat:wx0000000000000002"},
		{"the shop's AppID again", Config{AppID: "wx5e1f2a3b4c5d6e7f", Secret: "s"}, filepath.Join(dir, "history.db"), "wechat:wx5e1f2a3b4c5d6e7f"},
	}
	for _, tt := range tests {
		if path, platform := open(tt.cfg); path != tt.path || platform != tt.platform {
			t.Errorf("%s: history %s (%s), want %s (%s)", tt.name, path, platform, tt.path, tt.platform)
		}
	}

	given := filepath.Join(t.TempDir(), "shop.db")
	if path, _ := open(Config{DBPath: given, Sandbox: true}); path != given {
		t.Errorf("--db with the sandbox first: %s", path)
	}
	if path, _ := open(Config{DBPath: given, AppID: "wx5e1f2a3b4c5d6e7f", Secret: "s"}); path != filepath.Join(filepath.Dir(given), "shop-wx5e1f2a3b4c5d6e7f.db") {
		t.Errorf("--db of the sandbox for real: %s", path)
	}
	if path, _ := open(Config{DBPath: given, Sandbox: true}); path != given {
		t.Errorf("--db back to the sandbox: %s", path)
	}
}
