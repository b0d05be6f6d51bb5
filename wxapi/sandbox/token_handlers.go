package sandbox

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"

	"waybilldesk/wxapi"
)

// tokenRoutes registers the access_token endpoints.
func (s *Sandbox) tokenRoutes(t map[string]route) {
	t[wxapi.PathStableToken] = route{post: true, handle: s.handleStableToken}
	t[wxapi.PathToken] = route{handle: s.handleToken}
}

// handleStableToken serves POST /cgi-bin/stable_token.
func (s *Sandbox) handleStableToken(ctx context.Context, c *call) (any, error) {
	var req wxapi.StableTokenRequest
	if err := decodeBody(c, &req, codeBadJSON); err != nil {
		return nil, err
	}
	if err := s.checkCredentials(req.GrantType, req.AppID, req.Secret); err != nil {
		return nil, err
	}
	tok, err := s.db.stableToken(ctx, req.ForceRefresh, s.tokenLife())
	if err != nil {
		return nil, err
	}
	return wxapi.TokenResponse{AccessToken: tok.Token, ExpiresIn: tok.ExpiresIn}, nil
}

// handleToken serves GET /cgi-bin/token?grant_type=client_credential&appid=&secret=.
func (s *Sandbox) handleToken(ctx context.Context, c *call) (any, error) {
	q := c.r.URL.Query()
	if err := s.checkCredentials(q.Get("grant_type"), q.Get("appid"), q.Get("secret")); err != nil {
		return nil, err
	}
	tok, err := s.db.classicToken(ctx, s.tokenLife())
	if err != nil {
		return nil, err
	}
	// Like WeChat, a successful token answer carries no errcode.
	return wxapi.TokenResponse{AccessToken: tok.Token, ExpiresIn: tok.ExpiresIn}, nil
}

// tokenLife is the announced lifetime and, under the token-ttl fault, the
// shorter real one.
func (s *Sandbox) tokenLife() tokenLife {
	return tokenLife{announced: s.tokenTTL, real: s.faults.get().TokenTTL}
}

// checkCredentials answers in WeChat's order: a missing appid first, then
// the grant type, then the appid's and the secret's values.
func (s *Sandbox) checkCredentials(grantType, appID, secret string) error {
	appID, secret = strings.TrimSpace(appID), strings.TrimSpace(secret)
	switch {
	case appID == "":
		return wxErr(codeAppIDMissing)
	case grantType != "client_credential":
		return wxErr(codeBadGrantType)
	case appID != s.appID:
		return wxErr(codeInvalidAppID)
	case secret == "":
		return wxErr(codeSecretMissing)
	case subtle.ConstantTimeCompare([]byte(secret), []byte(s.secret)) != 1:
		return wxErr(codeInvalidSecret)
	}
	return nil
}

// checkAccessToken guards every business endpoint.
func (s *Sandbox) checkAccessToken(ctx context.Context, r *http.Request) error {
	tok := queryToken(r)
	if tok == "" {
		return wxErr(codeTokenMissing)
	}
	state, err := s.db.checkToken(ctx, tok)
	if err != nil {
		return err
	}
	switch state {
	case tokenUnknown, tokenRevoked:
		return wxErr(codeInvalidCred)
	case tokenExpired:
		return wxErr(codeTokenExpired)
	}
	return nil
}
