package sandbox

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"waybilldesk/wxapi"
)

// Gateway couriers: a courier company (or a merchant delivering with its
// own fleet) that registered its own platform with WeChat, as seeds 002
// and 003 describe: a scan-to-query URL WeChat pulls traces from, a
// message-push URL that answers the waybill_notify_query back-check, the
// Token (and in safe mode the EncodingAESKey) both are signed with, and
// the regular expression of its waybill numbers. For those couriers the
// sandbox plays WeChat end to end: userquery and pathnotify check every
// push back with the courier before "notifying" the bound user, and
// query_trace / query_follow_trace report the status the courier's
// scan-to-query answer gives.
//
// The sandbox speaks to the gateway over HTTP only. It must not import
// package courier (Waybill Desk's own gateway): courier imports orders,
// whose tests import the sandbox, which would be an import cycle. The
// scan-to-query answer is decoded into a local struct with the same JSON
// tags instead (gateway_scan.go).

// GatewayOptions register one gateway courier.
type GatewayOptions struct {
	// DeliveryID names the courier in buyer notices (delivery_info) and is
	// how a trace_waybill/follow_waybill registration picks the gateway.
	// Required; registering the same DeliveryID again replaces the gateway.
	DeliveryID string `json:"delivery_id"`
	// Name is the delivery_name; default the catalogue's name of
	// DeliveryID (get_delivery_list), else DeliveryID itself.
	Name string `json:"name,omitempty"`
	// URL is the scan-to-query URL WeChat GETs with orderid, openid,
	// timestamp, nonce, signature and callback (seed 002's "A"). A URL
	// without a path, e.g. http://127.0.0.1:8091, means Waybill Desk's
	// gateway paths: /wx/order there.
	URL string `json:"url"`
	// NotifyURL is the message-push URL the waybill_notify_query back-check
	// is POSTed to; default /wx/notify on URL's host.
	NotifyURL string `json:"notify_url,omitempty"`
	// Token signs the back-check requests and, unless ScanToken is set, the
	// scan-to-query requests. Required.
	Token     string `json:"token"`
	ScanToken string `json:"scan_token,omitempty"`
	// AESKey (the 43-character EncodingAESKey) turns on safe mode for the
	// back-check: the event is encrypted for AppID and the answer must be
	// sealed. AppID defaults to the sandbox's Options.AppID.
	AESKey string `json:"aes_key,omitempty"`
	AppID  string `json:"appid,omitempty"`
	// Format of the back-check request, the mini program's data format:
	// "json" (default) or "xml". The answer may be either.
	Format string `json:"format,omitempty"`
	// Pattern is the courier's waybill regular expression. pathnotify is
	// checked back with the first gateway whose pattern matches the
	// waybill; a gateway without a pattern matches every waybill.
	Pattern string `json:"pattern,omitempty"`
	// ToUserName is the courier mini program's original id (gh_...) the
	// back-check is addressed to; default one derived from AppID.
	ToUserName string `json:"to_user_name,omitempty"`
	// UnknownWaybillCode is the err_code of a scan-to-query answer for a
	// waybill the courier does not know; query_trace answers it with
	// 9300559. Seed 002 leaves the codes to the courier; default 1005,
	// that of Waybill Desk's gateway.
	UnknownWaybillCode int `json:"unknown_waybill_code,omitempty"`
	// Timeout bounds each call to the gateway; default 5 seconds.
	Timeout time.Duration `json:"-"`
}

// Gateway formats of the back-check request.
const (
	GatewayJSON = "json"
	GatewayXML  = "xml"
)

// Defaults of a gateway: the paths and the unknown-waybill err_code of
// Waybill Desk's own gateway (courier.DefaultQueryPath,
// courier.DefaultNotifyPath, courier.ErrCodeUnknownWaybill; a test keeps
// them equal).
const (
	DefaultGatewayQueryPath  = "/wx/order"
	DefaultGatewayNotifyPath = "/wx/notify"
	defaultUnknownWaybill    = 1005
	defaultGatewayTimeout    = 5 * time.Second
)

// deliveryIDShape: what a delivery_id may look like (the catalogue has
// ids such as "(AU)").
var deliveryIDShape = regexp.MustCompile(`^[A-Za-z0-9_()-]{1,32}$`)

// gateway is a registered gateway courier, ready to be called.
type gateway struct {
	opts      GatewayOptions
	name      string
	queryURL  string
	notifyURL string
	pattern   *regexp.Regexp    // nil: every waybill
	crypto    *wxapi.PushCrypto // safe mode; nil in plaintext
	client    *http.Client
}

// newGateway checks o and fills its defaults; appID is the sandbox's.
func newGateway(o GatewayOptions, appID string) (*gateway, error) {
	o.DeliveryID = strings.TrimSpace(o.DeliveryID)
	if !deliveryIDShape.MatchString(o.DeliveryID) {
		return nil, fmt.Errorf("gateway: delivery_id %q: want 1 to 32 of A-Z, a-z, 0-9, _, -, ( and )", o.DeliveryID)
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("gateway %s: %s", o.DeliveryID, fmt.Sprintf(format, args...))
	}
	if o.Token == "" {
		return nil, fail("a token is required to sign WeChat's calls")
	}
	q, err := httpURL(o.URL)
	if err != nil {
		return nil, fail("url: %v", err)
	}
	if q.Path == "" || q.Path == "/" {
		q.Path = DefaultGatewayQueryPath
	}
	g := &gateway{queryURL: q.String()}
	if o.NotifyURL == "" {
		n := *q
		n.Path, n.RawQuery = DefaultGatewayNotifyPath, ""
		g.notifyURL = n.String()
	} else {
		n, err := httpURL(o.NotifyURL)
		if err != nil {
			return nil, fail("notify_url: %v", err)
		}
		g.notifyURL = n.String()
	}
	if o.ScanToken == "" {
		o.ScanToken = o.Token
	}
	if o.AppID == "" {
		o.AppID = appID
	}
	switch o.Format = strings.ToLower(strings.TrimSpace(o.Format)); o.Format {
	case "":
		o.Format = GatewayJSON
	case GatewayJSON, GatewayXML:
	default:
		return nil, fail("format %q: want json or xml", o.Format)
	}
	if o.Pattern != "" {
		if g.pattern, err = regexp.Compile(o.Pattern); err != nil {
			return nil, fail("pattern: %v", err)
		}
	}
	if o.AESKey != "" {
		if g.crypto, err = wxapi.NewPushCrypto(o.Token, o.AESKey, o.AppID, ""); err != nil {
			return nil, fail("aes_key: %v", err)
		}
	}
	if o.ToUserName == "" {
		sum := sha1.Sum([]byte("courier:" + o.AppID + ":" + o.DeliveryID))
		o.ToUserName = "gh_" + hex.EncodeToString(sum[:6])
	}
	if o.UnknownWaybillCode == 0 {
		o.UnknownWaybillCode = defaultUnknownWaybill
	}
	if o.Timeout < 0 {
		return nil, fail("timeout must not be negative")
	}
	if o.Timeout == 0 {
		o.Timeout = defaultGatewayTimeout
	}
	g.name = o.Name
	if g.name == "" {
		g.name = o.DeliveryID
		if d, ok := noticeCourier(o.DeliveryID); ok {
			g.name = d.DeliveryName
		}
	}
	// No redirects: WeChat calls the configured URL, and a redirect would
	// carry the signed query elsewhere.
	g.client = &http.Client{Timeout: o.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	g.opts = o
	return g, nil
}

func httpURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", redactURL(raw))
	}
	return u, nil
}

// matches reports whether the gateway's pattern takes the waybill.
func (g *gateway) matches(waybill string) bool {
	return g.pattern == nil || g.pattern.MatchString(waybill)
}

// safe reports whether the back-check runs in safe mode.
func (g *gateway) safe() bool { return g.crypto != nil }

// GatewayView is a gateway as GET /sandbox/gateways shows it: no token or
// key, only whether safe mode is on.
type GatewayView struct {
	DeliveryID   string `json:"delivery_id"`
	DeliveryName string `json:"delivery_name"`
	URL          string `json:"url"`
	NotifyURL    string `json:"notify_url"`
	Format       string `json:"format"`
	Pattern      string `json:"pattern,omitempty"`
	SafeMode     bool   `json:"safe_mode"`
	AppID        string `json:"appid"`
	ToUserName   string `json:"to_user_name"`
	Timeout      string `json:"timeout"`
}

func (g *gateway) view() GatewayView {
	return GatewayView{DeliveryID: g.opts.DeliveryID, DeliveryName: g.name, URL: redactURL(g.queryURL),
		NotifyURL: redactURL(g.notifyURL), Format: g.opts.Format, Pattern: g.opts.Pattern, SafeMode: g.safe(),
		AppID: g.opts.AppID, ToUserName: g.opts.ToUserName, Timeout: g.opts.Timeout.String()}
}

// gatewaySet holds the registered gateways in registration order. It lives
// in memory, like the fault settings: Options.Gateways (the --gateway
// switches) registers them at every start.
type gatewaySet struct {
	mu   sync.RWMutex
	list []*gateway
}

// put registers g, replacing a gateway of the same delivery_id in place.
func (gs *gatewaySet) put(g *gateway) (replaced bool) {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	for i, old := range gs.list {
		if old.opts.DeliveryID == g.opts.DeliveryID {
			gs.list[i] = g
			return true
		}
	}
	gs.list = append(gs.list, g)
	return false
}

func (gs *gatewaySet) all() []*gateway {
	gs.mu.RLock()
	defer gs.mu.RUnlock()
	return append([]*gateway(nil), gs.list...)
}

func (gs *gatewaySet) byID(deliveryID string) *gateway {
	gs.mu.RLock()
	defer gs.mu.RUnlock()
	for _, g := range gs.list {
		if g.opts.DeliveryID == deliveryID {
			return g
		}
	}
	return nil
}

// byWaybill is the gateway pathnotify checks a waybill back with: the first
// whose pattern matches it.
func (gs *gatewaySet) byWaybill(waybill string) *gateway {
	gs.mu.RLock()
	defer gs.mu.RUnlock()
	for _, g := range gs.list {
		if g.matches(waybill) {
			return g
		}
	}
	return nil
}

// forNotice is the gateway a buyer-notice registration is answered from:
// the one its delivery_id names; when it names no courier and the sandbox
// did not issue the waybill, the first whose pattern matches. A waybill the
// sandbox issued keeps its simulated path unless the registration names a
// gateway.
func (gs *gatewaySet) forNotice(deliveryID, waybill string, sandboxOrder bool) *gateway {
	if deliveryID != "" {
		return gs.byID(deliveryID)
	}
	if sandboxOrder {
		return nil
	}
	return gs.byWaybill(waybill)
}

// AddGateway registers a gateway courier (or replaces the one with the
// same DeliveryID) while the sandbox runs; POST /sandbox/gateways calls it.
func (s *Sandbox) AddGateway(o GatewayOptions) (GatewayView, error) {
	g, err := newGateway(o, s.appID)
	if err != nil {
		return GatewayView{}, fmt.Errorf("sandbox: %w", err)
	}
	replaced := s.gateways.put(g)
	s.log.Info("sandbox gateway courier registered", "delivery_id", g.opts.DeliveryID, "url", redactURL(g.queryURL),
		"notify_url", redactURL(g.notifyURL), "format", g.opts.Format, "safe_mode", g.safe(), "replaced", replaced)
	return g.view(), nil
}

// Gateways lists the registered gateway couriers.
func (s *Sandbox) Gateways() []GatewayView {
	list := s.gateways.all()
	out := make([]GatewayView, len(list))
	for i, g := range list {
		out[i] = g.view()
	}
	return out
}

// gatewayErr is a failed call to a gateway: unreachable (the network, a
// timeout, a non-200 answer) or malformed (an answer that cannot be read).
type gatewayErr struct {
	malformed bool
	err       error
}

func (e *gatewayErr) Error() string { return e.err.Error() }
func (e *gatewayErr) Unwrap() error { return e.err }

func unreachable(format string, args ...any) error {
	return &gatewayErr{err: fmt.Errorf(format, args...)}
}

func malformed(format string, args ...any) error {
	return &gatewayErr{malformed: true, err: fmt.Errorf(format, args...)}
}

func isMalformed(err error) bool {
	var ge *gatewayErr
	return errors.As(err, &ge) && ge.malformed
}

// Validate checks the options as AddGateway would, without registering
// anything (the command line checks its switches with it).
func (o GatewayOptions) Validate() error {
	_, err := newGateway(o, DefaultAppID)
	return err
}
