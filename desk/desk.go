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
	"sync"
	"time"

	"waybilldesk/orders"
	"waybilldesk/printing"
	"waybilldesk/printing/queue"
	"waybilldesk/settings"
	"waybilldesk/store"
	"waybilldesk/upkeep"
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
	// RenderTabs is how many labels render at the same time (0: automatic)
	// and RenderHosts the hosts labels may load from; both default to the
	// stored settings.
	RenderTabs  int
	RenderHosts []string
	// SandboxSpeed runs the embedded sandbox's clock faster (parcels move
	// sooner); 0 is real time. Empty values here and above are completed
	// from the stored settings and the keyring (see applySettings).
	SandboxSpeed float64
	// CallbackURL and PushToken are the message-push settings (消息推送):
	// with both, the embedded sandbox pushes add_express_path events to
	// CallbackURL signed with PushToken (encrypted too when an
	// EncodingAESKey is in the keyring), as WeChat does.
	CallbackURL string
	PushToken   string
	Logger      *slog.Logger
}

// SandboxMode reports whether the desk runs against the sandbox rather than
// WeChat: asked for, or no credentials to use.
func (c Config) SandboxMode() bool { return c.Sandbox || c.AppID == "" || c.Secret == "" }

// DefaultDBPath is the history file in the data folder chosen in Settings,
// else in the user's config folder
// (~/.config/waybilldesk on Linux, %AppData%\waybilldesk on Windows,
// ~/Library/Application Support/waybilldesk on macOS).
func DefaultDBPath() (string, error) {
	// A data folder chosen in Settings comes first.
	if dir, err := settings.DataDir(); err == nil && dir != "" {
		return filepath.Join(dir, "history.db"), nil
	}
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
	// Printing is the print queue and the printer records; it renders with
	// Renderer. A long-running program calls Printing.Start when it opens
	// (recovers jobs, resumes queued ones, warms the renderer).
	Printing *queue.Queue
	// Settings are the stored settings and the AppSecret in the keyring.
	Settings *settings.Service
	// SecretErr says why the AppSecret of the stored AppID could not be
	// read (no keyring, none stored): the desk then runs on the sandbox.
	SecretErr error
	// Platform is what this desk's orders are placed on (store.PlatformSandbox
	// or store.WeChatPlatform(AppID)); DB belongs to it.
	Platform string
	// main is the history the settings live in; DB is the same file unless
	// the platform keeps its orders in a history of its own.
	// Upkeep checks and backs up the orders' history in the background
	// (RunUpkeep); the window shows its status.
	Upkeep *upkeep.Runner
	main   *store.DB
	// upkeepMain takes care of the settings' history when it is another file.
	upkeepMain *upkeep.Runner
	sandbox    *sandbox.Sandbox
	push       pushes
}

// Open opens the history and builds the services, in a time that does not
// grow with the history: the daily integrity check and backup are the
// Upkeep's, which a long-running program runs (RunUpkeep). In sandbox mode without
// an APIBase it starts the embedded sandbox on loopback, keeping its state
// in sandbox.db beside the history.
func Open(ctx context.Context, cfg Config) (*Desk, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	explicit := cfg.DBPath != ""
	if !explicit {
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
	d := &Desk{DB: db, main: db, Settings: settings.New(db)}
	cfg = d.applySettings(ctx, cfg)
	if cfg.SandboxMode() {
		cfg.Sandbox = true
		if cfg.AppID == "" || cfg.Secret == "" {
			cfg.AppID, cfg.Secret = sandbox.DefaultAppID, sandbox.DefaultSecret
		}
	}
	// Sandbox and real orders never share a history: each platform has
	// its own, and a history claimed by one is refused to the other.
	if err := d.openHistory(ctx, cfg, explicit); err != nil {
		d.closeHistories()
		return nil, err
	}
	if cfg.Sandbox && cfg.APIBase == "" {
		sb, err := sandbox.Open(ctx, sandbox.Options{
			DBPath: SandboxDBPath(cfg.DBPath), AppID: cfg.AppID, Secret: cfg.Secret, Speed: cfg.SandboxSpeed,
			Push: d.sandboxPush(ctx, cfg), Logger: cfg.Logger.With("part", "sandbox")})
		if err != nil {
			d.closeHistories()
			return nil, fmt.Errorf("start sandbox: %w", err)
		}
		url, err := sb.Start("127.0.0.1:0")
		if err != nil {
			sb.Close()
			d.closeHistories()
			return nil, fmt.Errorf("start sandbox: %w", err)
		}
		d.sandbox, cfg.APIBase = sb, url
	}
	d.Config = cfg
	d.API = wxapi.New(wxapi.Options{BaseURL: cfg.APIBase, AppID: cfg.AppID, Secret: cfg.Secret,
		TokenMode: wxapi.TokenMode(cfg.TokenMode), Logger: cfg.Logger.With("part", "wxapi")})
	d.Orders = orders.New(d.DB, d.API, orders.Options{Logger: cfg.Logger.With("part", "orders")})
	d.Renderer = printing.NewRenderer(printing.Options{Timeout: cfg.RenderTimeout, Tabs: cfg.RenderTabs, AllowHosts: cfg.RenderHosts,
		Logger: cfg.Logger.With("part", "printing")})
	d.Printing = queue.New(d.DB, d.Renderer, orderLabels{d.Orders}, queue.Options{Logger: cfg.Logger.With("part", "print-queue")})
	d.Upkeep = upkeep.New(d.DB, upkeep.Options{Logger: cfg.Logger.With("part", "upkeep")})
	if d.main != d.DB {
		d.upkeepMain = upkeep.New(d.main, upkeep.Options{Logger: cfg.Logger.With("part", "upkeep")})
	}
	return d, nil
}

// RunUpkeep checks and backs up the histories in the background until ctx
// ends: a long-running program (the window, events serve) runs it; a
// single command does not, so it never waits for a gigabyte copy.
func (d *Desk) RunUpkeep(ctx context.Context) {
	var wg sync.WaitGroup
	if d.upkeepMain != nil {
		wg.Go(func() { d.upkeepMain.Run(ctx) })
	}
	d.Upkeep.Run(ctx)
	wg.Wait()
}

// orderLabels gives the print queue the labels of the order service, so
// printing does not depend on orders.
type orderLabels struct{ s *orders.Service }

// Label returns the decoded print_html of an order found by order_id or
// waybill id.
func (l orderLabels) Label(ctx context.Context, id string) (queue.Label, error) {
	html, o, err := l.s.Label(ctx, id)
	if err != nil {
		return queue.Label{}, err
	}
	return queue.Label{OrderID: o.OrderID, WaybillID: o.WaybillID, DeliveryID: o.DeliveryID, HTML: html}, nil
}

// sandboxPush is where the embedded sandbox pushes tracking events: the
// callback URL, signed with the push token and, when an EncodingAESKey is
// in the keyring, in safe mode. Off without a URL or a token.
func (d *Desk) sandboxPush(ctx context.Context, cfg Config) sandbox.PushOptions {
	if cfg.CallbackURL == "" {
		return sandbox.PushOptions{}
	}
	if cfg.PushToken == "" {
		cfg.Logger.Warn("callback URL set without a push token: the sandbox does not push", "url", cfg.CallbackURL)
		return sandbox.PushOptions{}
	}
	p := sandbox.PushOptions{URL: cfg.CallbackURL, Token: cfg.PushToken}
	switch key, err := d.Settings.AESKey(ctx); {
	case err == nil:
		p.AESKey = key
	case !errors.Is(err, settings.ErrNoSecret):
		cfg.Logger.Warn("EncodingAESKey not read: the sandbox pushes in plaintext mode", "err", err)
	}
	return p
}

// Sandbox is the embedded sandbox, nil when the desk talks to WeChat or
// to a sandbox of its own (Config.APIBase).
func (d *Desk) Sandbox() *sandbox.Sandbox { return d.sandbox }

// SandboxDBPath is where the sandbox keeps its state: beside the history.
func SandboxDBPath(historyPath string) string {
	return filepath.Join(filepath.Dir(historyPath), "sandbox.db")
}

// Close stops the print queue, the renderer, the sandbox and the push
// receiver and closes the history.
func (d *Desk) Close() error {
	var errs []error
	if d.Printing != nil {
		// Before the renderer: the queue finishes or requeues its jobs.
		errs = append(errs, d.Printing.Close())
	}
	if d.Renderer != nil {
		errs = append(errs, d.Renderer.Close())
	}
	if d.sandbox != nil {
		// Before the push receiver: the sandbox's last push lands.
		errs = append(errs, d.sandbox.Close())
	}
	errs = append(errs, d.push.close())
	errs = append(errs, d.closeHistories())
	return errors.Join(errs...)
}
