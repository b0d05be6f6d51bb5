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

// Options configure a Sandbox. The zero value of each field is its
// default (no fault, speed 1, 100x180 labels, no pushes), so callers that
// set only DBPath, AppID, Secret and Logger get a plain, healthy platform.
type Options struct {
	// DBPath is the SQLite file for the sandbox's own state (orders survive a
	// restart); required. Its directory is created when missing.
	DBPath string
	// AppID and Secret are the accepted credentials; default DefaultAppID and
	// DefaultSecret. Any other pair is answered 40013 / 40125 as on WeChat.
	AppID, Secret string
	// TokenTTL is the access_token lifetime announced in expires_in, default
	// DefaultTokenTTL. Faults.TokenTTL makes tokens die earlier than that.
	TokenTTL time.Duration
	// Now is the wall clock, default time.Now; tests pass a manual clock.
	Now func() time.Time
	// Logger receives one debug line per call; default slog.Default().
	Logger *slog.Logger

	// Speed runs the sandbox clock (parcels moving, EMS reviews) this many
	// times faster than Now: 1440 makes a day pass in a minute. 0 means 1.
	Speed float64
	// Seed seeds every random choice the sandbox makes (fault dice, waybill
	// numbers), so a run can be repeated. Parcel paths depend only on the
	// order_id.
	Seed int64
	// Faults are injected from the start; POST /sandbox/faults changes them.
	Faults Faults
	// LabelSize is the label size of accounts and couriers that have none
	// of their own (see POST /sandbox/label_size); default 100x180.
	LabelSize LabelSize
	// Push sends add_express_path events to a callback; off without a URL.
	Push PushOptions
	// Gateways are couriers' own platforms the sandbox plays WeChat for:
	// it pulls their traces through scan-to-query and checks their
	// pathnotify pushes back (see GatewayOptions). POST /sandbox/gateways
	// registers more while it runs.
	Gateways []GatewayOptions
	// BoundPhones are bound to WeChat's express service on Open (the
	// binding is saved); phones nobody set are bound when their last digit
	// is even. POST /sandbox/bound_phones binds or unbinds one.
	BoundPhones []string
}

// Sandbox is a running fake WeChat logistics platform. It is safe for
// concurrent use.
type Sandbox struct {
	db        *store
	appID     string
	secret    string
	tokenTTL  time.Duration
	wall      func() time.Time
	clock     *simClock
	faults    *faultState
	seed      int64
	labelSize LabelSize
	log       *slog.Logger
	handler   http.Handler
	pusher    *pusher // nil without a callback URL
	gateways  *gatewaySet

	mu     sync.Mutex
	srv    *http.Server
	closed bool
}

// Open opens (creating and migrating when needed) the state database, seeds
// the couriers and bound accounts on first use and, with a callback URL,
// starts pushing add_express_path events.
func Open(ctx context.Context, opts Options) (*Sandbox, error) {
	if opts.DBPath == "" {
		return nil, errors.New("sandbox: Options.DBPath is required")
	}
	if err := normalize(&opts); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	db, err := openStore(ctx, opts.DBPath, opts.Now)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	offset, err := db.clockOffset(ctx)
	if err != nil {
		db.close()
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	clock := newSimClock(opts.Now, opts.Speed, offset)
	db.now = clock.Now
	s := &Sandbox{
		db:        db,
		appID:     opts.AppID,
		secret:    opts.Secret,
		tokenTTL:  opts.TokenTTL,
		wall:      opts.Now,
		clock:     clock,
		faults:    newFaultState(opts.Faults, opts.Seed),
		seed:      opts.Seed,
		labelSize: opts.LabelSize,
		log:       opts.Logger.With("component", "wxsandbox"),
		gateways:  &gatewaySet{},
	}
	for _, g := range opts.Gateways {
		if _, err := s.AddGateway(g); err != nil {
			db.close()
			return nil, err
		}
	}
	for _, p := range opts.BoundPhones {
		if err := s.SetPhoneBound(ctx, p, true); err != nil {
			db.close()
			return nil, err
		}
	}
	s.handler = s.routes()
	if opts.Push.URL != "" {
		if s.pusher, err = newPusher(s, opts.Push); err != nil {
			db.close()
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		s.pusher.start()
	}
	return s, nil
}

// normalize fills defaults and refuses settings that cannot work.
func normalize(opts *Options) error {
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
	if opts.Speed == 0 {
		opts.Speed = 1
	}
	if opts.LabelSize == "" {
		opts.LabelSize = LabelSize100x180
	}
	return errors.Join(checkSpeed(opts.Speed), opts.Faults.Validate(), opts.LabelSize.Validate(), opts.Push.validate())
}

// Now is the sandbox clock: the wall clock sped up by Options.Speed and
// moved by Advance.
func (s *Sandbox) Now() time.Time { return s.clock.Now() }

// Advance moves the sandbox clock forward, e.g. a day to see parcels
// delivered. The offset is saved, so a restart keeps it.
func (s *Sandbox) Advance(ctx context.Context, d time.Duration) error {
	if err := s.clock.Advance(d); err != nil {
		return fmt.Errorf("sandbox: advance: %w", err)
	}
	return s.db.saveClockOffset(ctx, s.clock.Offset())
}

// Faults returns the fault settings in force.
func (s *Sandbox) Faults() Faults { return s.faults.get() }

// SetFaults replaces the fault settings.
func (s *Sandbox) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	s.faults.set(f)
	s.log.Info("sandbox faults changed", "latency", f.Latency, "error_rate", f.ErrorRate,
		"http500_rate", f.HTTP500Rate, "drop_after_commit_rate", f.DropAfterCommitRate, "token_ttl", f.TokenTTL)
	return nil
}

// Handler serves WeChat's paths (/cgi-bin/...) and the admin paths
// (/sandbox/...). It can be mounted on any server; Start is a shortcut
// that listens on its own.
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

// Close stops the pushes and the server (letting calls in flight finish for
// a few seconds), saves the sandbox clock and closes the database. Calling
// it again does nothing.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.pusher != nil {
		s.pusher.stop()
	}
	if s.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("sandbox: stop server: %w", err))
		}
	}
	// Keep the sandbox time a sped-up or advanced clock reached.
	if err := s.db.saveClockOffset(context.Background(), s.clock.Offset()); err != nil {
		errs = append(errs, fmt.Errorf("sandbox: save clock: %w", err))
	}
	if err := s.db.close(); err != nil {
		errs = append(errs, fmt.Errorf("sandbox: close database: %w", err))
	}
	s.log.Info("sandbox stopped")
	return errors.Join(errs...)
}
