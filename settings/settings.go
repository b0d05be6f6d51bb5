// Package settings keeps Waybill Desk's own settings: the non-secret ones
// (AppID, token mode, callback URL and push token, sandbox switch and
// speed, the push receiver, the label renderer) in the history's settings
// table, shared by the window and the command line, and the AppSecret and
// the EncodingAESKey in the operating system's keyring (Windows Credential
// Manager, macOS Keychain, the Secret Service on Linux), never in the
// database or a plain file. The data folder, which must be known before the
// history is opened, is kept in a one-line file in the user's config folder.
//
// Settings take effect when the desk is opened (see Fill): the window says
// "restart to apply" for them.
package settings

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/zalando/go-keyring"

	"waybilldesk/printing"
	"waybilldesk/store"
)

// Keys of the settings table.
const (
	KeyAppID        = "wechat.appid"
	KeyTokenMode    = "wechat.token_mode"
	KeyCallbackURL  = "wechat.callback_url"
	KeySandbox      = "sandbox.forced"
	KeySandboxSpeed = "sandbox.speed"
	KeyPushToken    = "wechat.push_token"
	KeyPushReceive  = "push.receive"
	KeyPushListen   = "push.listen"
	KeyLabelTabs    = "print.label_tabs"
	KeyLabelHosts   = "print.label_hosts"
)

// DefaultPushListen is where the desk receives pushes unless told
// otherwise: this machine only (a tunnel or reverse proxy forwards
// WeChat's requests to it), on `events serve`'s port.
const DefaultPushListen = "127.0.0.1:8090"

// KeyringAESKeyUser is the user name the message-push EncodingAESKey is
// filed under in the keyring (service KeyringService); like the callback
// URL and the push token, there is one per desk.
const KeyringAESKeyUser = "message-push EncodingAESKey"

// KeyringService is the service name the AppSecret is filed under in the
// keyring; the AppID is the user name, so a second mini program keeps its
// own secret.
const KeyringService = "waybilldesk"

// Token modes (wxapi.TokenMode values).
const (
	TokenStable  = "stable"
	TokenClassic = "classic"
)

// MaxSandboxSpeed is the fastest the sandbox clock may run (its own limit).
const MaxSandboxSpeed = 10_000_000

// ErrNoKeyring means there is no usable system keyring (no Secret Service
// on a Linux desktop without one, a locked keychain...). The secret then
// has to come from the environment; it is never written anywhere else.
var ErrNoKeyring = errors.New("系统钥匙串不可用 / no system keyring: set WAYBILLDESK_SECRET")

// ErrNoSecret means the keyring works but holds no AppSecret for the AppID.
var ErrNoSecret = errors.New("no AppSecret stored for this AppID")

// Settings are the non-secret settings.
type Settings struct {
	// AppID is the mini program's AppID (wx followed by 16 hex digits).
	AppID string
	// TokenMode is "stable" (default) or "classic".
	TokenMode string
	// CallbackURL is the message-push URL configured in the mini program's
	// console (where `waybilldesk events serve` listens); with the sandbox
	// it is where the sandbox pushes tracking events.
	CallbackURL string
	// Sandbox keeps the desk on the sandbox even with credentials.
	Sandbox bool
	// SandboxSpeed runs the sandbox's clock this many times faster (1440: a
	// day a minute) so parcels move while trying the desk; 0 or 1 is real time.
	SandboxSpeed float64
	// PushToken is the message-push Token (消息推送 Token) configured with
	// the callback URL: pushes are signed with it. The sandbox signs its
	// pushes to CallbackURL with it; the desk's receiver checks them.
	PushToken string
	// ReceivePushes runs the push receiver in the desk itself, on
	// PushListen, applying tracking events to the history.
	ReceivePushes bool
	// PushListen is the receiver's address; Load gives DefaultPushListen
	// when none is stored.
	PushListen string
	// LabelTabs is how many labels render at the same time; 0 is automatic
	// (printing.DefaultTabs: one per core and one more, up to 4).
	LabelTabs int
	// LabelHosts are the hosts labels may load images, fonts and styles
	// from, each "host" (any port) or "host:port". Labels load nothing from
	// the network unless their host is here.
	LabelHosts []string
}

// FieldError says which setting is wrong.
type FieldError struct {
	Field  string // "appid", "token_mode", "callback_url", "sandbox_speed", "secret", "push_token", "push_listen", "aes_key", "label_tabs", "label_hosts"
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

var appIDRe = regexp.MustCompile(`^wx[0-9a-fA-F]{16}$`)

// pushTokenRe is WeChat's rule for the message-push Token.
var pushTokenRe = regexp.MustCompile(`^[A-Za-z0-9]{3,32}$`)

// aesKeyRe is the form of an EncodingAESKey.
var aesKeyRe = regexp.MustCompile(`^[A-Za-z0-9]{43}$`)

// labelHostRe is an allow-list entry: a host name or an IPv4 address, or an
// IPv6 address in brackets, with an optional port.
var labelHostRe = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(:[0-9]{1,5})?$`)

// Validate checks the settings; an empty AppID is allowed (sandbox).
func (s Settings) Validate() error {
	switch {
	case s.AppID != "" && !appIDRe.MatchString(s.AppID):
		return &FieldError{"appid", fmt.Sprintf("%q is not an AppID: wx followed by 16 hex digits", s.AppID)}
	case s.TokenMode != "" && s.TokenMode != TokenStable && s.TokenMode != TokenClassic:
		return &FieldError{"token_mode", fmt.Sprintf("%q: want stable or classic", s.TokenMode)}
	case !(s.SandboxSpeed == 0 || (s.SandboxSpeed >= 1 && s.SandboxSpeed <= MaxSandboxSpeed)):
		return &FieldError{"sandbox_speed", fmt.Sprintf("%g: want 1 to %d", s.SandboxSpeed, MaxSandboxSpeed)}
	}
	if s.CallbackURL != "" {
		u, err := url.Parse(s.CallbackURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return &FieldError{"callback_url", fmt.Sprintf("%q is not an http(s) URL", s.CallbackURL)}
		}
	}
	switch {
	case s.PushToken != "" && !pushTokenRe.MatchString(s.PushToken):
		return &FieldError{"push_token", "the push Token is 3 to 32 letters or digits, as set in the mini program's console"}
	case s.ReceivePushes && s.PushToken == "":
		return &FieldError{"push_token", "required to receive pushes: it proves they come from WeChat"}
	}
	if s.LabelTabs < 0 || s.LabelTabs > printing.MaxTabs {
		return &FieldError{"label_tabs", fmt.Sprintf("%d: want 1 to %d, or 0 for automatic", s.LabelTabs, printing.MaxTabs)}
	}
	for _, h := range s.LabelHosts {
		if !labelHostRe.MatchString(strings.ToLower(h)) {
			return &FieldError{"label_hosts", fmt.Sprintf("%q: write a host name or address, with :port for one port only, not a URL (e.g. img.example.com or 192.168.1.10:8080)", h)}
		}
	}
	if s.PushListen != "" {
		host, port, err := net.SplitHostPort(s.PushListen)
		n, perr := strconv.Atoi(port)
		if err != nil || perr != nil || n < 1 || n > 65535 || strings.ContainsAny(host, " /") {
			return &FieldError{"push_listen", fmt.Sprintf("%q is not an address to listen on: write host:port, e.g. %s or 0.0.0.0:8090", s.PushListen, DefaultPushListen)}
		}
	}
	return nil
}

// Keyring is where the AppSecret is kept; System is the real one.
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// System is the operating system's keyring through go-keyring.
type System struct{}

func (System) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (System) Set(service, user, secret string) error   { return keyring.Set(service, user, secret) }
func (System) Delete(service, user string) error        { return keyring.Delete(service, user) }

// keyringTimeout bounds one keyring call: a Secret Service that never
// answers (a D-Bus without one) must not hang the window or the start.
const keyringTimeout = 5 * time.Second

// Service reads and writes the settings.
type Service struct {
	db *store.DB
	kr Keyring
}

// New returns the settings of the history db with the system keyring.
func New(db *store.DB) *Service { return &Service{db: db, kr: System{}} }

// NewWithKeyring is New with another keyring (tests, or a keyring-less
// build).
func NewWithKeyring(db *store.DB, kr Keyring) *Service { return &Service{db: db, kr: kr} }

// Load reads the settings.
func (s *Service) Load(ctx context.Context) (Settings, error) {
	var out Settings
	var err error
	get := func(key string) string {
		if err != nil {
			return ""
		}
		var v string
		v, err = s.db.Setting(ctx, key)
		return v
	}
	out.AppID = get(KeyAppID)
	out.TokenMode = get(KeyTokenMode)
	out.CallbackURL = get(KeyCallbackURL)
	out.Sandbox = get(KeySandbox) == "1"
	if v := get(KeySandboxSpeed); v != "" {
		out.SandboxSpeed, _ = strconv.ParseFloat(v, 64)
	}
	out.PushToken = get(KeyPushToken)
	out.ReceivePushes = get(KeyPushReceive) == "1"
	if out.PushListen = get(KeyPushListen); out.PushListen == "" {
		out.PushListen = DefaultPushListen
	}
	if v := get(KeyLabelTabs); v != "" {
		out.LabelTabs, _ = strconv.Atoi(v)
	}
	out.LabelHosts = splitHosts(get(KeyLabelHosts))
	if err != nil {
		return Settings{}, fmt.Errorf("read settings: %w", err)
	}
	return out, nil
}

// Save validates and stores the settings.
func (s *Service) Save(ctx context.Context, in Settings) error {
	in.AppID = strings.TrimSpace(in.AppID)
	in.CallbackURL = strings.TrimSpace(in.CallbackURL)
	in.PushToken = strings.TrimSpace(in.PushToken)
	in.PushListen = strings.TrimSpace(in.PushListen)
	in.LabelHosts = splitHosts(strings.Join(in.LabelHosts, "\n"))
	if err := in.Validate(); err != nil {
		return err
	}
	tabs := ""
	if in.LabelTabs > 0 {
		tabs = strconv.Itoa(in.LabelTabs)
	}
	sandbox, speed, receive, listen := "", "", "", in.PushListen
	if in.Sandbox {
		sandbox = "1"
	}
	if in.SandboxSpeed > 1 {
		speed = strconv.FormatFloat(in.SandboxSpeed, 'g', -1, 64)
	}
	if in.ReceivePushes {
		receive = "1"
	}
	if listen == DefaultPushListen {
		listen = ""
	}
	for _, kv := range [][2]string{{KeyAppID, in.AppID}, {KeyTokenMode, in.TokenMode}, {KeyCallbackURL, in.CallbackURL},
		{KeySandbox, sandbox}, {KeySandboxSpeed, speed}, {KeyPushToken, in.PushToken}, {KeyPushReceive, receive},
		{KeyPushListen, listen}, {KeyLabelTabs, tabs}, {KeyLabelHosts, strings.Join(in.LabelHosts, "\n")}} {
		if err := s.db.SetSetting(ctx, kv[0], kv[1]); err != nil {
			return fmt.Errorf("save settings: %w", err)
		}
	}
	return nil
}

// splitHosts reads an allow list written one host per line, or separated
// by commas or spaces, without empty entries or repeats.
func splitHosts(s string) []string {
	var out []string
	for _, h := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || unicode.IsSpace(r) }) {
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// callKeyring runs one keyring call under keyringTimeout: go-keyring has
// no context, so a hung call is left behind (it holds nothing of ours).
func callKeyring[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	ctx, cancel := context.WithTimeout(ctx, keyringTimeout)
	defer cancel()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("%w (%v)", ErrNoKeyring, ctx.Err())
	}
}

// keyringError tells "not stored" from "no keyring".
func keyringError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return ErrNoSecret
	case errors.Is(err, ErrNoKeyring):
		return err
	}
	return fmt.Errorf("%w (%v)", ErrNoKeyring, err)
}

// Secret returns the AppSecret stored for appID: ErrNoSecret when none is,
// an error wrapping ErrNoKeyring when the keyring cannot be used.
func (s *Service) Secret(ctx context.Context, appID string) (string, error) {
	if appID == "" {
		return "", ErrNoSecret
	}
	v, err := callKeyring(ctx, func() (string, error) { return s.kr.Get(KeyringService, appID) })
	if err != nil {
		return "", keyringError(err)
	}
	return v, nil
}

// HasSecret reports whether an AppSecret is stored for appID, without
// handing it out.
func (s *Service) HasSecret(ctx context.Context, appID string) (bool, error) {
	_, err := s.Secret(ctx, appID)
	if errors.Is(err, ErrNoSecret) {
		return false, nil
	}
	return err == nil, err
}

// SetSecret stores the AppSecret of appID in the keyring; "" removes it.
// It never falls back to another store: without a keyring the error wraps
// ErrNoKeyring.
func (s *Service) SetSecret(ctx context.Context, appID, secret string) error {
	appID, secret = strings.TrimSpace(appID), strings.TrimSpace(secret)
	if !appIDRe.MatchString(appID) {
		return &FieldError{"appid", "save the AppID first: the secret is filed under it"}
	}
	if secret == "" {
		_, err := callKeyring(ctx, func() (struct{}, error) { return struct{}{}, s.kr.Delete(KeyringService, appID) })
		if errors.Is(err, keyring.ErrNotFound) {
			return nil
		}
		return keyringError(err)
	}
	if len(secret) != 32 || strings.Trim(strings.ToLower(secret), "0123456789abcdef") != "" {
		return &FieldError{"secret", "an AppSecret is 32 hex digits (mp.weixin.qq.com → 开发管理 → 开发设置)"}
	}
	_, err := callKeyring(ctx, func() (struct{}, error) { return struct{}{}, s.kr.Set(KeyringService, appID, secret) })
	return keyringError(err)
}

// AESKey returns the message-push EncodingAESKey stored in the keyring:
// ErrNoSecret when none is, an error wrapping ErrNoKeyring when the
// keyring cannot be used.
func (s *Service) AESKey(ctx context.Context) (string, error) {
	v, err := callKeyring(ctx, func() (string, error) { return s.kr.Get(KeyringService, KeyringAESKeyUser) })
	if err != nil {
		return "", keyringError(err)
	}
	return v, nil
}

// HasAESKey reports whether an EncodingAESKey is stored, without handing
// it out.
func (s *Service) HasAESKey(ctx context.Context) (bool, error) {
	_, err := s.AESKey(ctx)
	if errors.Is(err, ErrNoSecret) {
		return false, nil
	}
	return err == nil, err
}

// SetAESKey stores the message-push EncodingAESKey (43 letters and digits)
// in the keyring; "" removes it (pushes are then in plaintext mode). Like
// the AppSecret it is never written anywhere else.
func (s *Service) SetAESKey(ctx context.Context, key string) error {
	key = strings.TrimSpace(key)
	if key == "" {
		_, err := callKeyring(ctx, func() (struct{}, error) { return struct{}{}, s.kr.Delete(KeyringService, KeyringAESKeyUser) })
		if errors.Is(err, keyring.ErrNotFound) {
			return nil
		}
		return keyringError(err)
	}
	if !aesKeyRe.MatchString(key) {
		return &FieldError{"aes_key", "an EncodingAESKey is 43 letters and digits (mini program console → 开发管理 → 消息推送)"}
	}
	_, err := callKeyring(ctx, func() (struct{}, error) { return struct{}{}, s.kr.Set(KeyringService, KeyringAESKeyUser, key) })
	return keyringError(err)
}

// Startup is what opening the desk needs: the command line's values, to
// be completed from the stored settings.
type Startup struct {
	AppID, Secret, TokenMode, CallbackURL string
	// PushToken signs the sandbox's pushes to CallbackURL.
	PushToken    string
	Sandbox      bool
	SandboxSpeed float64
	// LabelTabs and LabelHosts set up the label renderer (Settings).
	LabelTabs  int
	LabelHosts []string
	// SecretErr says why no secret could be read for a stored AppID (no
	// keyring, nothing stored); the desk then runs on the sandbox and the
	// window says why.
	SecretErr error
}

// Fill completes what the command line and the environment left empty:
// the AppID, token mode and callback URL from the settings, the sandbox
// switch and speed, and the AppSecret from the keyring. Flags and
// environment variables win over stored settings. The keyring is not
// asked when the sandbox is forced: no secret is needed then.
func (s *Service) Fill(ctx context.Context, in Startup) (Startup, error) {
	st, err := s.Load(ctx)
	if err != nil {
		return in, err
	}
	if in.AppID == "" {
		in.AppID = st.AppID
	}
	if in.TokenMode == "" {
		in.TokenMode = st.TokenMode
	}
	if in.CallbackURL == "" {
		in.CallbackURL = st.CallbackURL
	}
	if in.PushToken == "" {
		in.PushToken = st.PushToken
	}
	in.Sandbox = in.Sandbox || st.Sandbox
	if in.SandboxSpeed == 0 {
		in.SandboxSpeed = st.SandboxSpeed
	}
	if in.LabelTabs == 0 {
		in.LabelTabs = st.LabelTabs
	}
	if in.LabelHosts == nil {
		in.LabelHosts = st.LabelHosts
	}
	if !in.Sandbox && in.AppID != "" && in.Secret == "" {
		in.Secret, in.SecretErr = s.Secret(ctx, in.AppID)
	}
	return in, nil
}

// Backups lists the backups in the backups folder, newest first.
func (s *Service) Backups() ([]string, error) { return store.Backups(s.db.Path()) }

// DataPath is the history file in use.
func (s *Service) DataPath() string { return s.db.Path() }
