package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"waybilldesk/orders"
	"waybilldesk/store"
	"waybilldesk/wxapi"
	"waybilldesk/wxapi/sandbox"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// dropAnswer, returned by env.answer, lets the sandbox place the order and
// then drops the connection: the outcome is unknown to the client.
const dropAnswer = -999

// env is the real thing: SQLite history, the sandbox over HTTP, the order
// service, and a handler in front of the sandbox that counts addOrder calls
// and can answer some of them with an errcode instead.
type env struct {
	sb        *sandbox.Sandbox
	api       *wxapi.Client
	db        *store.DB
	svc       *orders.Service
	addOrders atomic.Int32
	// answer, when set, may answer an addOrder call (n counts from 1)
	// with an errcode without the sandbox seeing it.
	answer atomic.Pointer[func(n int32) int]
	// getBusy answers every getOrder with -1: WeChat cannot be asked.
	getBusy atomic.Bool
	mu      sync.Mutex
	sent    map[string]int // order_id -> addOrder calls that reached the sandbox
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	sb, err := sandbox.Open(ctx, sandbox.Options{DBPath: filepath.Join(dir, "sandbox.db"), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	e := &env{sb: sb, sent: map[string]int{}}
	inner := sb.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == wxapi.PathGetOrder && e.getBusy.Load() {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"errcode": wxapi.CodeBusy, "errmsg": "injected"})
			return
		}
		if r.URL.Path == wxapi.PathAddOrder {
			n := e.addOrders.Add(1)
			code := 0
			if f := e.answer.Load(); f != nil {
				code = (*f)(n)
			}
			if code != 0 && code != dropAnswer {
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(map[string]any{"errcode": code, "errmsg": "injected"})
				return
			}
			body, _ := io.ReadAll(r.Body)
			var req struct {
				OrderID string `json:"order_id"`
			}
			json.Unmarshal(body, &req)
			e.mu.Lock()
			e.sent[req.OrderID]++
			e.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(body))
			if code == dropAnswer {
				// The sandbox places the order; its answer is lost.
				inner.ServeHTTP(httptest.NewRecorder(), r)
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
				return
			}
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e.db, err = store.Open(ctx, filepath.Join(dir, "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	api := wxapi.New(wxapi.Options{BaseURL: srv.URL, AppID: sandbox.DefaultAppID, Secret: sandbox.DefaultSecret, Logger: quiet})
	e.api = api
	e.svc = orders.New(e.db, api, orders.Options{Logger: quiet})
	return e
}

// importer returns an importer with the example's sender, SF cash and a
// default weight, adjusted by edit.
func (e *env) importer(t *testing.T, edit func(o *Options)) *Importer {
	t.Helper()
	sender := exampleOrder(t).Sender
	three := 3
	o := Options{
		Defaults: Defaults{Sender: &sender, Courier: CourierDefault{DeliveryID: "SF", BizID: "SF_CASH", ServiceType: &three},
			Parcel: ParcelDefault{WeightKg: 1}},
		Logger: quiet, Location: time.FixedZone("CST", 8*3600),
	}
	if edit != nil {
		edit(&o)
	}
	return New(e.svc, e.db, o)
}

// duplicates returns the order_ids that reached the sandbox more than once.
func (e *env) duplicates() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for id, n := range e.sent {
		if n > 1 {
			out = append(out, id)
		}
	}
	return out
}

func (e *env) setAnswer(f func(n int32) int) { e.answer.Store(&f) }

func exampleOrder(t *testing.T) wxapi.AddOrderRequest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "examples", "order.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r wxapi.AddOrderRequest
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func preview(t *testing.T, im *Importer, name string, data []byte) *Plan {
	t.Helper()
	p, err := im.Preview(context.Background(), name, data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, im *Importer, p *Plan) *Report {
	t.Helper()
	rep, err := im.Run(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// statuses lists the results' statuses by row.
func statuses(rep *Report) map[int]Status {
	out := map[int]Status{}
	for _, r := range rep.Results {
		out[r.Row] = r.Status
	}
	return out
}
