// Package courier is the courier side of WeChat logistics, for couriers and
// merchants who deliver with their own fleet, served over Waybill Desk's
// order history: the scan-to-query JSONP endpoint of 扫一扫查快递 (seed 002)
// with its cells, the phone-number path notices of 手机号物流消息推送 (seed
// 003: userquery, pathnotify) and the waybill_notify_query back-check
// WeChat sends before it notifies anyone.
//
// NewServer returns one http.Handler for both endpoints, so a test or the
// sandbox can run the gateway in-process; Server.Serve runs it on a
// listener with timeouts for the command line.
package courier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// Default paths of the two endpoints, as configured with WeChat.
const (
	DefaultQueryPath  = "/wx/order"
	DefaultNotifyPath = "/wx/notify"
)

// Reply formats of waybill_notify_query answers.
const (
	FormatAuto = "auto" // answer in the format of the request (the mini program's setting)
	FormatXML  = "xml"
	FormatJSON = "json"
)

// Options configure the gateway.
type Options struct {
	// DB is the order history the gateway answers from. Required.
	DB *store.DB
	// Token is the message-push Token: it signs WeChat's waybill_notify_query
	// requests and, unless ScanToken is set, the scan-to-query requests.
	Token string
	// ScanToken is the token of the scan-to-query signature when it differs
	// from Token (seed 002 takes it from the 公众号's settings, which may not
	// be the mini program's message-push Token).
	ScanToken string
	// AESKey (43 characters) turns on safe mode: back-check requests must
	// be encrypted, and their answers are sealed. PreviousAESKey is still
	// accepted after a rotation. AppID is required with AESKey.
	AESKey, PreviousAESKey, AppID string
	// Compat (WeChat's 兼容模式), with AESKey, also answers plaintext
	// back-checks signed only in the URL, in plaintext: an explicit choice,
	// logged when serving. Without it a safe-mode gateway never answers a
	// parcel's path in clear.
	Compat bool
	// Limits are the server's timeouts and body cap; zero fields take
	// wxapi.DefaultServerLimits.
	Limits wxapi.ServerLimits
	// Format of back-check answers: FormatXML, FormatJSON or FormatAuto
	// (the default).
	Format string
	// Cells are shown on the scan-to-query page; see ValidateCells.
	Cells []Cell
	// CompanyID, when set, refuses scan queries whose company_id names
	// another company (the parameter 快递鸟 sends).
	CompanyID string
	// QueryPath and NotifyPath default to DefaultQueryPath and DefaultNotifyPath.
	QueryPath, NotifyPath string
	// Window is how far a request's timestamp may be from now; default 5 minutes.
	Window time.Duration
	// TransitDays is the estimated time from order creation to delivery;
	// default 3 (see estimateDelivery).
	TransitDays int
	// Timeout bounds the history lookups of one request; default 5 seconds.
	Timeout time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
}

// Server is the gateway: scan-to-query at QueryPath, waybill_notify_query
// at NotifyPath. It is safe for concurrent use.
type Server struct {
	opts Options
	log  *slog.Logger
	// guard holds the timestamp window and the nonce memory shared by both
	// endpoints: with no AES key both are signed the same way, so a nonce
	// captured on one must not be replayed on the other.
	guard *wxapi.PushHandler
	// push checks back-check requests; scan checks scan-to-query requests.
	push, scan *wxapi.PushCrypto
}

// NewServer checks the options (tokens, AES key, cells, paths) and returns
// the gateway.
func NewServer(opts Options) (*Server, error) {
	if opts.DB == nil {
		return nil, errors.New("courier gateway: no history database")
	}
	if opts.Token == "" {
		return nil, errors.New("courier gateway: a token is required to check WeChat's signatures")
	}
	if opts.ScanToken == "" {
		opts.ScanToken = opts.Token
	}
	if opts.QueryPath == "" {
		opts.QueryPath = DefaultQueryPath
	}
	if opts.NotifyPath == "" {
		opts.NotifyPath = DefaultNotifyPath
	}
	for _, p := range []string{opts.QueryPath, opts.NotifyPath} {
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, " ?#") {
			return nil, fmt.Errorf("courier gateway: path %q must start with / and hold no space, ? or #", p)
		}
	}
	if opts.QueryPath == opts.NotifyPath {
		return nil, fmt.Errorf("courier gateway: the query and notify paths are both %s", opts.QueryPath)
	}
	switch opts.Format {
	case "":
		opts.Format = FormatAuto
	case FormatAuto, FormatXML, FormatJSON:
	default:
		return nil, fmt.Errorf("courier gateway: format %q: want xml, json or auto", opts.Format)
	}
	if err := ValidateCells(opts.Cells); err != nil {
		return nil, fmt.Errorf("courier gateway: %w", err)
	}
	if opts.Window <= 0 {
		opts.Window = 5 * time.Minute
	}
	if opts.TransitDays <= 0 {
		opts.TransitDays = 3
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.Limits = opts.Limits.WithDefaults()
	if opts.Compat && opts.AESKey == "" {
		return nil, errors.New("courier gateway: compatible mode needs the AES key (without one every request is plaintext)")
	}
	s := &Server{opts: opts, log: opts.Logger, push: &wxapi.PushCrypto{Token: opts.Token},
		scan: &wxapi.PushCrypto{Token: opts.ScanToken}}
	if opts.AESKey != "" {
		if opts.AppID == "" {
			return nil, errors.New("courier gateway: safe mode (an AES key) needs the AppID to check the messages are yours")
		}
		c, err := wxapi.NewPushCrypto(opts.Token, opts.AESKey, opts.AppID, opts.PreviousAESKey)
		if err != nil {
			return nil, fmt.Errorf("courier gateway: %w", err)
		}
		s.push = c
	}
	s.guard = &wxapi.PushHandler{Crypto: s.push, Compat: opts.Compat, Window: opts.Window,
		MaxBody: opts.Limits.MaxBody, Now: opts.Now, Logger: opts.Logger}
	return s, nil
}

// ServeHTTP routes the two endpoints; anything else is 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case s.opts.QueryPath:
		s.serveScanQuery(w, r)
	case s.opts.NotifyPath:
		s.serveNotifyQuery(w, r)
	default:
		http.NotFound(w, r)
	}
}

// Paths returns the paths the gateway serves: scan-to-query and back-check.
func (s *Server) Paths() (query, notify string) { return s.opts.QueryPath, s.opts.NotifyPath }

// Serve answers on ln until ctx ends, then shuts down gracefully. Every
// connection has read-header, read, write and idle timeouts and every
// body a cap (Options.Limits), so a slow or greedy client cannot hold the
// gateway.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := wxapi.NewPushServer(s, s.opts.Limits, s.log)
	if s.opts.Compat {
		s.log.Warn("compatible mode: plaintext back-checks signed only in the URL are answered in plaintext; their signature does not cover the body",
			"addr", ln.Addr().String())
	}
	// Cancelled on return too, so the shutdown goroutine ends when Serve
	// fails on its own (a closed listener).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	err := srv.Serve(ln)
	cancel()
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("courier gateway: %w", err)
}

// lookupCtx bounds the history lookups of one request.
func (s *Server) lookupCtx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.opts.Timeout)
}
