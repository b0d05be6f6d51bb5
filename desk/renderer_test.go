package desk

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"waybilldesk/printing"
	"waybilldesk/settings"
)

// TestRendererFollowsTheStoredSettings: the label renderer's tab count and
// allowed hosts saved in Settings are the ones the desk renders with: a
// label's logo on an allowed host is fetched, and on any other host it is
// not.
func TestRendererFollowsTheStoredSettings(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Write([]byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>`))
	}))
	defer srv.Close()
	label := `<!doctype html><meta charset="utf-8"><style>@page{size:100mm 180mm;margin:0}</style>` +
		`<p>收件人 张三</p><img src="` + srv.URL + `/logo.svg" width="40" height="40">`
	for _, tc := range []struct {
		name     string
		st       settings.Settings
		wantTabs int
		wantHits bool
	}{
		{"defaults", settings.Settings{}, printing.DefaultTabs(), false},
		{"one tab, loopback allowed", settings.Settings{LabelTabs: 1, LabelHosts: []string{"127.0.0.1"}}, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hits.Store(0)
			d := openWith(t, tc.st)
			if got := d.Renderer.Tabs(); got != tc.wantTabs {
				t.Errorf("renderer has %d tabs, want %d", got, tc.wantTabs)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if _, err := d.Renderer.PDF(ctx, label, printing.Size100x180); err != nil {
				t.Fatal(err)
			}
			if got := hits.Load() > 0; got != tc.wantHits {
				t.Errorf("the logo's host got a request: %v, want %v", got, tc.wantHits)
			}
		})
	}
}
