package sandbox

import (
	"context"
	"net/http"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

func TestProtocolErrors(t *testing.T) {
	h := newHarness(t)
	tok := h.token()
	q := "?access_token=" + tok
	cases := []struct {
		name   string
		method string
		path   string
		body   any
		want   int
	}{
		{"token missing", http.MethodGet, wxapi.PathGetAllDelivery, nil, 41001},
		{"token missing on POST", http.MethodPost, wxapi.PathAddOrder, `{}`, 41001},
		{"token unknown", http.MethodGet, wxapi.PathGetAllDelivery + "?access_token=SBX_not_a_token_we_issued_00000000", nil, 40001},
		{"GET on a POST endpoint", http.MethodGet, wxapi.PathAddOrder + q, nil, 43002},
		{"GET on getOrder", http.MethodGet, wxapi.PathGetOrder + q, nil, 43002},
		{"empty body", http.MethodPost, wxapi.PathAddOrder + q, "", 44002},
		{"blank body", http.MethodPost, wxapi.PathGetOrder + q, "  \n", 44002},
		{"broken JSON", http.MethodPost, wxapi.PathAddOrder + q, `{"order_id": "1",`, 47001},
		{"not JSON", http.MethodPost, wxapi.PathGetOrder + q, `order_id=1`, 47001},
		{"unknown path", http.MethodGet, "/cgi-bin/express/business/nope" + q, nil, 40066},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, h.do(tc.method, tc.path, tc.body), tc.want)
		})
	}
	t.Run("GET endpoints accept POST too", func(t *testing.T) {
		if r := h.do(http.MethodPost, wxapi.PathGetAllAccount+q, `{}`); r.ErrCode != 0 {
			t.Errorf("POST getall: %s", r.raw)
		}
	})
	t.Run("authorizer_access_token", func(t *testing.T) {
		if r := h.do(http.MethodGet, wxapi.PathGetAllDelivery+"?authorizer_access_token="+tok, nil); r.ErrCode != 0 {
			t.Errorf("authorizer_access_token refused: %s", r.raw)
		}
	})
	t.Run("token expired", func(t *testing.T) {
		h.clock.Add(h.ttl + time.Second)
		wantErr(t, h.do(http.MethodGet, wxapi.PathGetAllDelivery+q, nil), 42001)
		wantErr(t, h.do(http.MethodPost, wxapi.PathGetOrder+q, `{"order_id":"x","delivery_id":"TEST"}`), 42001)
	})
}

// The real client, whose cached token the sandbox has expired, refreshes
// once on 42001 and goes on.
func TestClientRecoversFromExpiredToken(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.client.GetAllDelivery(ctx); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(h.ttl + time.Minute)
	if _, err := h.client.GetAllDelivery(ctx); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
}
