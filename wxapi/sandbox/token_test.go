package sandbox

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

func classicQuery(grant, appid, secret string) string {
	q := url.Values{}
	if grant != "-" {
		q.Set("grant_type", grant)
	}
	if appid != "-" {
		q.Set("appid", appid)
	}
	if secret != "-" {
		q.Set("secret", secret)
	}
	return wxapi.PathToken + "?" + q.Encode()
}

func TestTokenCredentialErrors(t *testing.T) {
	h := newHarness(t)
	const cc = "client_credential"
	cases := []struct {
		name                 string
		grant, appid, secret string // "-" = parameter absent
		want                 int
	}{
		{"wrong appid", cc, "wxother", DefaultSecret, 40013},
		{"wrong secret", cc, DefaultAppID, "nope", 40125},
		{"appid missing", cc, "-", DefaultSecret, 41002},
		{"secret missing", cc, DefaultAppID, "-", 41004},
		{"grant_type wrong", "password", DefaultAppID, DefaultSecret, 40002},
		{"grant_type missing", "-", DefaultAppID, DefaultSecret, 40002},
	}
	for _, tc := range cases {
		t.Run("token/"+tc.name, func(t *testing.T) {
			r := h.do(http.MethodGet, classicQuery(tc.grant, tc.appid, tc.secret), nil)
			wantErr(t, r, tc.want)
			if r.AccessToken != "" {
				t.Errorf("an access_token was issued: %s", r.raw)
			}
		})
		t.Run("stable_token/"+tc.name, func(t *testing.T) {
			body := map[string]any{}
			if tc.grant != "-" {
				body["grant_type"] = tc.grant
			}
			if tc.appid != "-" {
				body["appid"] = tc.appid
			}
			if tc.secret != "-" {
				body["secret"] = tc.secret
			}
			r := h.do(http.MethodPost, wxapi.PathStableToken, body)
			wantErr(t, r, tc.want)
			if r.AccessToken != "" {
				t.Errorf("an access_token was issued: %s", r.raw)
			}
		})
	}
	t.Run("errmsg like WeChat's", func(t *testing.T) {
		r := h.do(http.MethodGet, classicQuery(cc, "wxother", DefaultSecret), nil)
		if want := "invalid appid rid: "; len(r.ErrMsg) < len(want) || r.ErrMsg[:len(want)] != want {
			t.Errorf("errmsg = %q, want it to start with %q", r.ErrMsg, want)
		}
	})
	t.Run("stable_token protocol", func(t *testing.T) {
		wantErr(t, h.do(http.MethodGet, wxapi.PathStableToken, nil), 43002)
		wantErr(t, h.do(http.MethodPost, wxapi.PathStableToken, ""), 44002)
		wantErr(t, h.do(http.MethodPost, wxapi.PathStableToken, `{"grant_type":`), 47001)
	})
}

func TestStableToken(t *testing.T) {
	h := newHarness(t)
	req := wxapi.StableTokenRequest{GrantType: "client_credential", AppID: DefaultAppID, Secret: DefaultSecret}
	first := h.do(http.MethodPost, wxapi.PathStableToken, req)
	if len(first.AccessToken) < 32 || first.ExpiresIn != int(h.ttl/time.Second) {
		t.Fatalf("first token: %s", first.raw)
	}
	if first.ErrCode != 0 {
		t.Fatalf("errcode on success: %s", first.raw)
	}

	h.clock.Add(10 * time.Minute)
	again := h.do(http.MethodPost, wxapi.PathStableToken, req)
	if again.AccessToken != first.AccessToken {
		t.Errorf("normal mode issued a new token while the old one is valid")
	}
	if want := int((h.ttl - 10*time.Minute) / time.Second); again.ExpiresIn != want {
		t.Errorf("expires_in = %d, want the remaining %d", again.ExpiresIn, want)
	}

	req.ForceRefresh = true
	forced := h.do(http.MethodPost, wxapi.PathStableToken, req)
	if forced.AccessToken == "" || forced.AccessToken == first.AccessToken {
		t.Fatalf("force_refresh did not issue a new token: %s", forced.raw)
	}
	wantErr(t, h.do(http.MethodGet, wxapi.PathGetAllDelivery+"?access_token="+first.AccessToken, nil), 40001)
	if r := h.do(http.MethodGet, wxapi.PathGetAllDelivery+"?access_token="+forced.AccessToken, nil); r.ErrCode != 0 {
		t.Errorf("new token refused: %s", r.raw)
	}

	// Within the last 5 minutes normal mode rotates to a new token; the
	// old one still works until it expires.
	req.ForceRefresh = false
	h.clock.Add(h.ttl - 4*time.Minute)
	rotated := h.do(http.MethodPost, wxapi.PathStableToken, req)
	if rotated.AccessToken == forced.AccessToken {
		t.Errorf("normal mode did not rotate a token 4 minutes before expiry")
	}
	if r := h.do(http.MethodGet, wxapi.PathGetAllDelivery+"?access_token="+forced.AccessToken, nil); r.ErrCode != 0 {
		t.Errorf("token refused before its expiry: %s", r.raw)
	}
}

func TestClassicToken(t *testing.T) {
	h := newHarness(t)
	q := classicQuery("client_credential", DefaultAppID, DefaultSecret)
	a := h.do(http.MethodGet, q, nil)
	b := h.do(http.MethodGet, q, nil)
	if a.AccessToken == "" || b.AccessToken == "" || a.AccessToken == b.AccessToken {
		t.Fatalf("each call must issue a new token: %s / %s", a.raw, b.raw)
	}
	if a.ExpiresIn != int(h.ttl/time.Second) {
		t.Errorf("expires_in = %d", a.ExpiresIn)
	}
	use := func(tok string) reply {
		return h.do(http.MethodGet, wxapi.PathGetAllAccount+"?access_token="+tok, nil)
	}
	h.clock.Add(4 * time.Minute)
	if r := use(a.AccessToken); r.ErrCode != 0 {
		t.Errorf("previous token refused within 5 minutes: %s", r.raw)
	}
	h.clock.Add(2 * time.Minute)
	wantErr(t, use(a.AccessToken), 40001)
	if r := use(b.AccessToken); r.ErrCode != 0 {
		t.Errorf("newest token refused: %s", r.raw)
	}
	// The two endpoints keep separate tokens.
	stable := h.token()
	h.do(http.MethodGet, q, nil)
	h.clock.Add(6 * time.Minute)
	if r := use(stable); r.ErrCode != 0 {
		t.Errorf("a classic refresh invalidated the stable token: %s", r.raw)
	}
}
