// Package sandbox is an in-process fake of WeChat's logistics platform
// (物流助手) and its couriers. It serves the same HTTP paths, checks requests
// the way WeChat and the couriers do, answers with WeChat's error codes, keeps
// its state (tokens, bound accounts, quotas, orders) in its own SQLite file and
// renders e-waybill labels, so Waybill Desk can be tried offline end to end.
//
// The courier catalogue is the table of ../shared/seeds/000 (the official
// "已经支持的快递公司" page) plus WeChat's test courier TEST/test_biz_id.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Credentials the sandbox accepts unless Options says otherwise.
const (
	DefaultAppID  = "wxsandbox"
	DefaultSecret = "sandbox"
)

// DefaultTokenTTL is the lifetime of an access_token, as on WeChat.
const DefaultTokenTTL = 7200 * time.Second

// Options configure a Sandbox.
type Options struct {
	// DBPath is the SQLite file for the sandbox's own state (orders survive a
	// restart); required. Its directory is created when missing.
	DBPath string
	// AppID and Secret are the accepted credentials; default DefaultAppID and
	// DefaultSecret.
	AppID, Secret string
	// TokenTTL is the access_token lifetime, default DefaultTokenTTL.
	TokenTTL time.Duration
	// Now is the clock, default time.Now; tests move it to expire tokens.
	Now func() time.Time
	// Logger receives one debug line per call; default slog.Default().
	Logger *slog.Logger
}

// Sandbox is a running fake WeChat logistics platform. It is safe for
// concurrent use.
type Sandbox struct {
	db       *store
	appID    string
	secret   string
	tokenTTL time.Duration
	now      func() time.Time
	log      *slog.Logger
	handler  http.Handler

	mu     sync.Mutex
	srv    *http.Server
	closed bool
}

// Open opens (creating and migrating when needed) the state database and
// seeds the couriers and bound accounts on first use.
func Open(ctx context.Context, opts Options) (*Sandbox, error) {
	if opts.DBPath == "" {
		return nil, errors.New("sandbox: Options.DBPath is required")
	}
	if opts.AppID == "" {
		opts.AppID = DefaultAppID
	}
	if opts.Secret == "" {
		opts.Secret = DefaultSecret
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	db, err := openStore(ctx, opts.DBPath, opts.Now)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s := &Sandbox{
		db:       db,
		appID:    opts.AppID,
		secret:   opts.Secret,
		tokenTTL: opts.TokenTTL,
		now:      opts.Now,
		log:      opts.Logger.With("component", "wxsandbox"),
	}
	s.handler = s.routes()
	return s, nil
}

// Handler serves WeChat's paths (/cgi-bin/...). It can be mounted on any
// server; Start is a shortcut that listens on its own.
func (s *Sandbox) Handler() http.Handler { return s.handler }

// Start listens on addr (e.g. "127.0.0.1:0") and serves in the background.
// It returns the base URL to give the client, e.g. "http://127.0.0.1:39123".
func (s *Sandbox) Start(addr string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", errors.New("sandbox: start: already closed")
	}
	if s.srv != nil {
		return "", errors.New("sandbox: start: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("sandbox: listen on %s: %w", addr, err)
	}
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	go func(srv *http.Server) {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("sandbox server stopped", "err", err)
		}
	}(s.srv)
	url := baseURL(ln.Addr())
	s.log.Info("sandbox listening", "url", url)
	return url, nil
}

// baseURL turns a listener address into a URL a local client can dial: an
// unspecified host (":0", "[::]:0") becomes 127.0.0.1.
func baseURL(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return "http://" + a.String()
	}
	host := "127.0.0.1"
	if !tcp.IP.IsUnspecified() && tcp.IP != nil {
		host = tcp.IP.String()
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(tcp.Port))
}

// Close stops the server (letting calls in flight finish for a few seconds)
// and closes the database. Calling it again does nothing.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("sandbox: stop server: %w", err))
		}
	}
	if err := s.db.close(); err != nil {
		errs = append(errs, fmt.Errorf("sandbox: close database: %w", err))
	}
	return errors.Join(errs...)
}
