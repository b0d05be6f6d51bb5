package desk

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"waybilldesk/store"
)

// Platform is what cfg's orders are placed on: the sandbox, or WeChat
// under cfg's AppID.
func (c Config) Platform() string {
	if c.SandboxMode() {
		return store.PlatformSandbox
	}
	return store.WeChatPlatform(c.AppID)
}

// SandboxHistoryPath is where the sandbox's orders are kept, beside the
// history: history.db -> history-sandbox.db.
func SandboxHistoryPath(historyPath string) string { return besideHistory(historyPath, "sandbox") }

// appHistoryPath is the history of a second AppID, beside the first's:
// history.db -> history-wx1234.db.
func appHistoryPath(historyPath, appID string) string {
	clean := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r == '.' {
			return '_'
		}
		return r
	}, appID)
	return besideHistory(historyPath, clean)
}

func besideHistory(historyPath, suffix string) string {
	ext := filepath.Ext(historyPath)
	return strings.TrimSuffix(historyPath, ext) + "-" + suffix + ext
}

// openHistory picks the history of cfg's platform. Each history belongs to
// one platform, claimed by the first that uses it: the settings' history
// (history.db, or the file given with --db) holds the orders of that
// platform, and other platforms keep theirs beside it, the sandbox in
// history-sandbox.db and another AppID in history-<AppID>.db. By default
// the sandbox never claims history.db, which is kept for the real orders
// of the first AppID. So switching between the sandbox and real
// credentials never shows, blocks or prints one's orders as the other's.
// A history without printer records gets those of the settings' history
// (or, for it, the sandbox's), so a station set up in the sandbox keeps its
// printers when it goes live.
func (d *Desk) openHistory(ctx context.Context, cfg Config, explicit bool) error {
	platform := cfg.Platform()
	d.Platform = platform
	if !explicit {
		if err := d.separateLegacySandbox(ctx, cfg); err != nil {
			cfg.Logger.Warn("sandbox orders of an older history not moved out", "err", err)
		}
	}
	have, err := d.main.Platform(ctx)
	if err != nil {
		return err
	}
	path := cfg.DBPath
	switch {
	case platform == store.PlatformSandbox && (!explicit || (have != "" && have != platform)):
		path = SandboxHistoryPath(cfg.DBPath)
	case have != "" && have != platform:
		path = appHistoryPath(cfg.DBPath, cfg.AppID)
	}
	if path != cfg.DBPath {
		h, err := store.Open(ctx, path)
		if err != nil {
			return err
		}
		d.DB = h
	}
	if err := d.DB.ClaimPlatform(ctx, platform); err != nil {
		return err
	}
	d.sharePrinters(ctx, cfg)
	return nil
}

// sharePrinters copies the printer records of the other default history
// into this one when it has none.
func (d *Desk) sharePrinters(ctx context.Context, cfg Config) {
	// Asked first, so that a station with printers opens no other history
	// (and runs no second integrity check) at every start.
	if have, err := d.DB.ListPrinters(ctx); err != nil || len(have) > 0 {
		return
	}
	from := d.main
	if d.DB == d.main {
		p := SandboxHistoryPath(cfg.DBPath)
		if _, err := os.Stat(p); err != nil {
			return
		}
		h, err := store.Open(ctx, p)
		if err != nil {
			cfg.Logger.Warn("printers of the sandbox history not read", "err", err)
			return
		}
		defer h.Close()
		from = h
	}
	if n, err := d.DB.CopyPrintersFrom(ctx, from); err != nil {
		cfg.Logger.Warn("printers not copied from the other history", "err", err)
	} else if n > 0 {
		cfg.Logger.Info("printer records copied from the other history", "printers", n, "to", d.DB.Path())
	}
}

// closeHistories closes the orders' history and, when it is another file,
// the settings' one.
func (d *Desk) closeHistories() error {
	var errs []error
	if d.DB != nil {
		errs = append(errs, d.DB.Close())
	}
	if d.main != nil && d.main != d.DB {
		errs = append(errs, d.main.Close())
	}
	return errors.Join(errs...)
}
