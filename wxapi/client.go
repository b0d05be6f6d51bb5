// Package wxapi is a client of WeChat's logistics APIs (物流助手): the
// access_token, the merchant endpoints and WeChat's typed errors. Field names
// and units follow ../shared/spec/wechat-logistics-api.md.
package wxapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
)

// DefaultBaseURL is WeChat's API host.
const DefaultBaseURL = "https://api.weixin.qq.com"

// DefaultTimeout bounds every HTTP call that has no earlier deadline.
const DefaultTimeout = 15 * time.Second

// Options configure a Client.
type Options struct {
	BaseURL string // default DefaultBaseURL
	AppID   string
	Secret  string
	// TokenMode picks the token endpoint: TokenStable (default) or TokenClassic.
	TokenMode TokenMode
	// Tokens replaces the built-in token source, e.g. with a third-party
	// platform's authorizer_access_token.
	Tokens  TokenSource
	Timeout time.Duration // default DefaultTimeout
	Logger  *slog.Logger
	// HTTPClient replaces the transport (tests use it to inject failures).
	HTTPClient *http.Client
}

// Client calls WeChat's logistics endpoints. It is safe for concurrent use.
type Client struct {
	http    *resty.Client
	tokens  TokenSource
	timeout time.Duration
	log     *slog.Logger
	baseURL string
}

// New returns a client. Without Options.Tokens it fetches access_tokens with
// the AppID and secret.
func New(opts Options) *Client {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	var rc *resty.Client
	if opts.HTTPClient != nil {
		rc = resty.NewWithClient(opts.HTTPClient)
	} else {
		rc = resty.New()
	}
	rc.SetBaseURL(strings.TrimRight(opts.BaseURL, "/")).
		SetHeader("User-Agent", "waybilldesk").
		SetTimeout(opts.Timeout)
	c := &Client{http: rc, timeout: opts.Timeout, log: opts.Logger, baseURL: opts.BaseURL}
	c.tokens = opts.Tokens
	if c.tokens == nil {
		c.tokens = NewCredentialTokens(c, opts.AppID, opts.Secret, opts.TokenMode)
	}
	return c
}

// BaseURL is the API host the client talks to.
func (c *Client) BaseURL() string { return c.baseURL }

// status is the error part every answer may carry.
type status struct {
	ErrCode            int    `json:"errcode"`
	ErrMsg             string `json:"errmsg"`
	DeliveryResultCode int    `json:"delivery_resultcode"`
	DeliveryResultMsg  string `json:"delivery_resultmsg"`
}

func (s status) err(endpoint string) error {
	if s.ErrCode == 0 {
		return nil
	}
	return &Error{Endpoint: endpoint, Code: s.ErrCode, Msg: s.ErrMsg,
		DeliveryResultCode: s.DeliveryResultCode, DeliveryResultMsg: s.DeliveryResultMsg}
}

// call sends one request with the access_token and decodes the answer into
// out. A rejected token is refreshed once and the request retried once.
func (c *Client) call(ctx context.Context, endpoint, method, path string, body, out any) error {
	for attempt := 0; ; attempt++ {
		token, err := c.tokens.Token(ctx)
		if err != nil {
			return fmt.Errorf("wechat %s: access_token: %w", endpoint, err)
		}
		err = c.send(ctx, endpoint, method, path, map[string]string{"access_token": token}, body, out)
		var we *Error
		if attempt == 0 && errors.As(err, &we) && we.TokenInvalid() {
			c.log.Info("wechat token rejected, refreshing", "endpoint", endpoint, "errcode", we.Code)
			c.tokens.Invalidate(token)
			continue
		}
		return err
	}
}

// HTTPError is an answer whose HTTP status is not 200 (WeChat answers 200
// even for its errors, so this is a gateway or server failure).
type HTTPError struct {
	Endpoint string
	Status   int
	Body     string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("wechat %s: HTTP %d: %s", e.Endpoint, e.Status, e.Body)
}

// TransportError is a request that got no answer: refused, reset, timed
// out. The request may or may not have reached WeChat.
type TransportError struct {
	Endpoint string
	Err      error
}

func (e *TransportError) Error() string { return fmt.Sprintf("wechat %s: %v", e.Endpoint, e.Err) }

// Unwrap gives the network error (e.g. context.DeadlineExceeded).
func (e *TransportError) Unwrap() error { return e.Err }

// readBackoff are the waits before the second and third try of a read.
var readBackoff = []time.Duration{200 * time.Millisecond, 600 * time.Millisecond}

// read is call for requests that change nothing on WeChat's side (lookups,
// labels, paths): a transient failure (-1, HTTP 5xx, a dropped or timed-out
// connection) is tried again twice. Writes such as addOrder never come here.
func (c *Client) read(ctx context.Context, endpoint, method, path string, body, out any) error {
	for attempt := 0; ; attempt++ {
		err := c.call(ctx, endpoint, method, path, body, out)
		if err == nil || attempt >= len(readBackoff) || ctx.Err() != nil || !transient(err) {
			return err
		}
		c.log.Info("wechat read failed, trying again", "endpoint", endpoint, "attempt", attempt+1, "err", redact(err))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(readBackoff[attempt]):
		}
	}
}

// transient reports whether the same request may well succeed in a moment.
func transient(err error) bool {
	var we *Error
	if errors.As(err, &we) {
		return we.Code == CodeBusy
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status >= 500
	}
	var te *TransportError
	return errors.As(err, &te)
}

// send performs one HTTP exchange without token handling.
func (c *Client) send(ctx context.Context, endpoint, method, path string, query map[string]string, body, out any) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req := c.http.R().SetContext(ctx).SetQueryParams(query).SetDoNotParseResponse(false)
	if body != nil {
		payload, err := MarshalJSON(body)
		if err != nil {
			return fmt.Errorf("wechat %s: encode request: %w", endpoint, err)
		}
		req.SetHeader("Content-Type", "application/json").SetBody(payload)
	}
	start := time.Now()
	resp, err := req.Execute(method, path)
	if err != nil {
		c.log.Warn("wechat call failed", "endpoint", endpoint, "err", redact(err))
		return &TransportError{Endpoint: endpoint, Err: redactErr(err)}
	}
	raw := resp.Body()
	if resp.StatusCode() != http.StatusOK {
		return &HTTPError{Endpoint: endpoint, Status: resp.StatusCode(), Body: snippet(raw)}
	}
	err = decodeAnswer(endpoint, raw, out)
	c.log.Debug("wechat call", "endpoint", endpoint, "errcode", Code(err), "ms", time.Since(start).Milliseconds())
	return err
}

// decodeAnswer turns an HTTP 200 body into out, or into an *Error when it
// carries a non-zero errcode.
func decodeAnswer(endpoint string, raw []byte, out any) error {
	var st status
	if err := json.Unmarshal(raw, &st); err != nil {
		return fmt.Errorf("wechat %s: malformed answer: %w: %s", endpoint, err, snippet(raw))
	}
	if err := st.err(endpoint); err != nil {
		return err
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("wechat %s: malformed answer: %w: %s", endpoint, err, snippet(raw))
		}
	}
	return nil
}

// MarshalJSON encodes JSON as WeChat sends and expects it: without
// escaping &, < and > (WeChat rejects \uXXXX escapes on some endpoints, and
// goods names often contain "&"), and without a trailing newline.
func MarshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func snippet(b []byte) string {
	const max = 200
	s := strings.TrimSpace(string(b))
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}

// redactErr keeps the kind of a transport error but strips the URL, whose
// query holds the access_token.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, ue.URL[:strings.IndexAny(ue.URL+"?", "?")], ue.Err)
	}
	return err
}

func redact(err error) string { return redactErr(err).Error() }
