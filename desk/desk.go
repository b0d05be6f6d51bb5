// Package desk wires Waybill Desk together: it opens the history, starts
// the embedded sandbox when no credentials are set, and builds the WeChat
// client, the order service and the label renderer that the GUI and the
// command line share.
package desk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"waybilldesk/orders"
	"waybilldesk/printing"
	"waybilldesk/store"
	"waybilldesk/wxapi"
	"waybilldesk/wxapi/sandbox"
)

// AppName is the folder name of the data directory.
const AppName = "waybilldesk"

// Config is what the command line and the environment decide.
type Config struct {
	// DBPath is the history file; default <user config dir>/waybilldesk/history.db.
	DBPath string
	// APIBase is WeChat's host, or a standalone sandbox's URL.
	APIBase string
	AppID   string
	Secret  string
	// TokenMode is "stable" (default) or "classic".
	TokenMode string
	// Sandbox forces sandbox mode; it is also on whenever AppID or Secret is empty.
	Sandbox bool
	// RenderTimeout bounds each label render; default 20s.
	RenderTimeout time.Duration
	Logger        *slog.Logger
}

// SandboxMode reports whether the desk runs against the sandbox rather than
// WeChat: asked for, or no credentials to use.
func (c Config) SandboxMode() bool { return c.Sandbox || c.AppID == "" || c.Secret == "" }

// DefaultDBPath is the history file in the user's config folder
// (~/.config/waybilldesk on Linux, %AppData%\waybilldesk on Windows,
// ~/Library/Application Support/waybilldesk on macOS).
func DefaultDBPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the config folder: %w", err)
	}
	return filepath.Join(dir, AppName, "history.db"), nil
}

// Desk holds the services of one running program.
type Desk struct {
	Config   Config
	DB       *store.DB
	API      *wxapi.Client
	Orders   *orders.Service
	Renderer *printing.Renderer
	sandbox  *sandbox.Sandbox
}

// Open opens the history and builds the services. In sandbox mode without
// an APIBase it starts the embedded sandbox on loopback, keeping its state
// in sandbox.db beside the history.
func Open(ctx context.Context, cfg Config) (*Desk, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.DBPath == "" {
		p, err := DefaultDBPath()
		if err != nil {
			return nil, err
		}
		cfg.DBPath = p
	}
	db, err := store.Open(ctx, cfg.DBPath)
	if err != nil {
		return nil, err
	}
	d := &Desk{DB: db}
	if cfg.SandboxMode() {
		cfg.Sandbox = true
		if cfg.AppID == "" || cfg.Secret == "" {
			cfg.AppID, cfg.Secret = sandbox.DefaultAppID, sandbox.DefaultSecret
		}
		if cfg.APIBase == "" {
			sb, err := sandbox.Open(ctx, sandbox.Options{
				DBPath: SandboxDBPath(cfg.DBPath), AppID: cfg.AppID, Secret: cfg.Secret,
				Logger: cfg.Logger.With("part", "sandbox")})
			if err != nil {
				db.Close()
				return nil, fmt.Errorf("start sandbox: %w", err)
			}
			url, err := sb.Start("127.0.0.1:0")
			if err != nil {
				sb.Close()
				db.Close()
				return nil, fmt.Errorf("start sandbox: %w", err)
			}
			d.sandbox, cfg.APIBase = sb, url
		}
	}
	d.Config = cfg
	d.API = wxapi.New(wxapi.Options{BaseURL: cfg.APIBase, AppID: cfg.AppID, Secret: cfg.Secret,
		TokenMode: wxapi.TokenMode(cfg.TokenMode), Logger: cfg.Logger.With("part", "wxapi")})
	d.Orders = orders.New(db, d.API, orders.Options{Logger: cfg.Logger.With("part", "orders")})
	d.Renderer = printing.NewRenderer(printing.Options{Timeout: cfg.RenderTimeout, Logger: cfg.Logger.With("part", "printing")})
	return d, nil
}

// SandboxDBPath is where the sandbox keeps its state: beside the history.
func SandboxDBPath(historyPath string) string {
	return filepath.Join(filepath.Dir(historyPath), "sandbox.db")
}

// Close stops the renderer and the sandbox and closes the history.
func (d *Desk) Close() error {
	var errs []error
	if d.Renderer != nil {
		errs = append(errs, d.Renderer.Close())
	}
	if d.sandbox != nil {
		errs = append(errs, d.sandbox.Close())
	}
	errs = append(errs, d.DB.Close())
	return errors.Join(errs...)
}
