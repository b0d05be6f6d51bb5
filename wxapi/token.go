package wxapi

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"
)

// TokenSource supplies the access_token put in every call's query.
type TokenSource interface {
	// Token returns a token that is valid now.
	Token(ctx context.Context) (string, error)
	// Invalidate tells the source WeChat rejected token, so the next Token
	// call fetches a new one.
	Invalidate(token string)
}

// TokenMode selects the endpoint a CredentialTokens source uses.
type TokenMode string

// Token modes.
const (
	// TokenStable uses POST /cgi-bin/stable_token: idempotent within the
	// validity period, so several desktops may share one AppID.
	TokenStable TokenMode = "stable"
	// TokenClassic uses GET /cgi-bin/token: every call invalidates the
	// previous token, so only one process per AppID may use it.
	TokenClassic TokenMode = "classic"
)

// Paths of the token endpoints.
const (
	PathStableToken = "/cgi-bin/stable_token"
	PathToken       = "/cgi-bin/token"
)

// StableTokenRequest is the body of POST /cgi-bin/stable_token.
type StableTokenRequest struct {
	GrantType    string `json:"grant_type"`
	AppID        string `json:"appid"`
	Secret       string `json:"secret"`
	ForceRefresh bool   `json:"force_refresh"`
}

// TokenResponse is the answer of both token endpoints.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
}

// ErrNoCredentials means no AppID or AppSecret is configured.
var ErrNoCredentials = errors.New("no AppID/AppSecret configured")

// CredentialTokens fetches access_tokens with the AppID and AppSecret and
// caches them until shortly before they expire. Concurrent callers share one
// refresh.
type CredentialTokens struct {
	c      *Client
	appID  string
	secret string
	mode   TokenMode
	now    func() time.Time

	mu        sync.Mutex
	token     string
	expires   time.Time
	rejected  string        // a token WeChat refused; never handed out again
	flight    chan struct{} // closed when the refresh in progress ends
	flightErr error
	fetches   int
}

// NewCredentialTokens returns a token source that fetches through c.
func NewCredentialTokens(c *Client, appID, secret string, mode TokenMode) *CredentialTokens {
	if mode == "" {
		mode = TokenStable
	}
	return &CredentialTokens{c: c, appID: appID, secret: secret, mode: mode, now: time.Now}
}

// refreshMargin is how long before expiry a token is replaced; WeChat
// rotates stable tokens five minutes before they expire.
const refreshMargin = 5 * time.Minute

// Token returns the cached token or fetches a new one; only one fetch runs
// at a time and every waiting caller gets its result.
func (s *CredentialTokens) Token(ctx context.Context) (string, error) {
	for {
		s.mu.Lock()
		if s.token != "" && s.now().Before(s.expires) {
			t := s.token
			s.mu.Unlock()
			return t, nil
		}
		if s.flight == nil {
			s.flight = make(chan struct{})
			flight := s.flight
			s.mu.Unlock()
			// The fetch is detached from this caller's cancellation because
			// other callers wait on it too; it still has the client's timeout.
			tok, exp, err := s.fetch(context.WithoutCancel(ctx))
			s.mu.Lock()
			s.fetches++
			if err == nil {
				s.token, s.expires = tok, exp
			}
			s.flightErr = err
			s.flight = nil
			close(flight)
			s.mu.Unlock()
			if err != nil {
				return "", err
			}
			return tok, nil
		}
		flight := s.flight
		s.mu.Unlock()
		select {
		case <-flight:
			s.mu.Lock()
			err := s.flightErr
			s.mu.Unlock()
			if err != nil {
				return "", err
			}
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// Invalidate drops the cached token if it is the one WeChat rejected.
func (s *CredentialTokens) Invalidate(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected = token
	if s.token == token {
		s.token = ""
	}
}

// Fetches counts the token requests sent so far (for tests and diagnostics).
func (s *CredentialTokens) Fetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

func (s *CredentialTokens) fetch(ctx context.Context) (string, time.Time, error) {
	if s.appID == "" || s.secret == "" {
		return "", time.Time{}, ErrNoCredentials
	}
	s.mu.Lock()
	rejected := s.rejected
	s.mu.Unlock()
	var resp TokenResponse
	var err error
	if s.mode == TokenClassic {
		err = s.c.send(ctx, "token", http.MethodGet, PathToken, map[string]string{
			"grant_type": "client_credential", "appid": s.appID, "secret": s.secret}, nil, &resp)
	} else {
		req := StableTokenRequest{GrantType: "client_credential", AppID: s.appID, Secret: s.secret}
		err = s.c.send(ctx, "stable_token", http.MethodPost, PathStableToken, nil, req, &resp)
		if err == nil && resp.AccessToken != "" && resp.AccessToken == rejected {
			// Normal mode hands back the same token while WeChat thinks it is
			// valid; force a new one only when that very token was refused.
			req.ForceRefresh = true
			resp = TokenResponse{}
			err = s.c.send(ctx, "stable_token", http.MethodPost, PathStableToken, nil, req, &resp)
		}
	}
	if err != nil {
		return "", time.Time{}, err
	}
	if resp.AccessToken == "" || resp.ExpiresIn <= 0 {
		return "", time.Time{}, errors.New("wechat token: answer has no access_token or expires_in")
	}
	life := time.Duration(resp.ExpiresIn) * time.Second
	margin := refreshMargin
	if margin > life/2 {
		margin = life / 2
	}
	return resp.AccessToken, s.now().Add(life - margin), nil
}

// StaticToken is a TokenSource that always returns the same token, e.g. an
// authorizer_access_token managed by a third-party platform.
type StaticToken string

// Token returns the token.
func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }

// Invalidate does nothing: a static token cannot be refreshed here.
func (t StaticToken) Invalidate(string) {}

// FuncTokens adapts a function to a TokenSource, for a third-party platform
// whose server hands out authorizer_access_tokens: Fetch is called when the
// cached token is missing or was rejected, never concurrently.
type FuncTokens struct {
	Fetch func(ctx context.Context, rejected string) (token string, err error)

	mu       sync.Mutex
	token    string
	rejected string
}

// Token returns the cached token or calls Fetch.
func (f *FuncTokens) Token(ctx context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.token != "" {
		return f.token, nil
	}
	t, err := f.Fetch(ctx, f.rejected)
	if err != nil {
		return "", err
	}
	f.token = t
	return t, nil
}

// Invalidate forgets token so the next Token call fetches again.
func (f *FuncTokens) Invalidate(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.token == token {
		f.token, f.rejected = "", token
	}
}
