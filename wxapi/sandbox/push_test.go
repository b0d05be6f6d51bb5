package sandbox

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

// pushAESKey is a valid EncodingAESKey (43 characters of [A-Za-z0-9]).
const (
	pushToken  = "sandboxPushToken"
	pushAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

// receiver is a mini program's message-push endpoint built on the real
// wxapi.PushHandler: it verifies, decrypts and parses every push.
type receiver struct {
	srv *httptest.Server

	mu       sync.Mutex
	events   []*wxapi.PathEvent
	rawQuery []string
	failures int // answer the next this many pushes with HTTP 500
	attempts []time.Time
	bodies   []string
}

func newReceiver(t *testing.T, now func() time.Time, safe bool) *receiver {
	t.Helper()
	crypto := &wxapi.PushCrypto{Token: pushToken}
	if safe {
		var err error
		if crypto, err = wxapi.NewPushCrypto(pushToken, pushAESKey, DefaultAppID, ""); err != nil {
			t.Fatal(err)
		}
	}
	rc := &receiver{}
	ph := &wxapi.PushHandler{Crypto: crypto, Now: now, Logger: quietLog,
		OnPath: func(_ context.Context, ev *wxapi.PathEvent) error {
			rc.mu.Lock()
			defer rc.mu.Unlock()
			rc.events = append(rc.events, ev)
			return nil
		}}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		rc.attempts = append(rc.attempts, time.Now())
		rc.rawQuery = append(rc.rawQuery, r.URL.RawQuery)
		fail := rc.failures > 0
		if fail {
			rc.failures--
		}
		rc.mu.Unlock()
		if fail {
			http.Error(w, "down for maintenance", http.StatusInternalServerError)
			return
		}
		ph.ServeHTTP(w, r)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// waitFor polls until cond holds on the received events, for 5 seconds.
func (rc *receiver) waitFor(t *testing.T, what string, cond func(evs []*wxapi.PathEvent) bool) []*wxapi.PathEvent {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		rc.mu.Lock()
		evs := append([]*wxapi.PathEvent(nil), rc.events...)
		rc.mu.Unlock()
		if cond(evs) {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 5s; received %d pushes", what, len(evs))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func lastCount(evs []*wxapi.PathEvent) int {
	if len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].Count
}

// A mini program's callback receives add_express_path snapshots, signed
// and (in safe mode) encrypted, JSON or XML, with the Version growing as
// the sandbox clock moves the parcel, until the whole path has arrived.
func TestPushSnapshots(t *testing.T) {
	for _, tc := range []struct {
		name   string
		safe   bool
		format string
	}{
		{"plaintext json", false, PushJSON},
		{"plaintext xml", false, PushXML},
		{"safe json", true, PushJSON},
		{"safe xml", true, PushXML},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The receiver checks timestamps against the sandbox's wall clock.
			wall := newTestClock()
			rc := newReceiver(t, wall.Now, tc.safe)
			h := newHarnessWith(t, func(o *Options) {
				o.Now = wall.Now
				o.Push = PushOptions{URL: rc.srv.URL + "/wx/push?src=sandbox", Token: pushToken, Format: tc.format,
					Interval: 10 * time.Millisecond}
				if tc.safe {
					o.Push.AESKey = pushAESKey
				}
			})
			placed := h.place("PUSH-1", "SF")
			full := 0
			for step := 0; ; step++ {
				p := h.path("PUSH-1", "SF", placed.WaybillID)
				if n := p.PathItemNum; n > 0 {
					rc.waitFor(t, "snapshot of "+p.WaybillID, func(evs []*wxapi.PathEvent) bool { return lastCount(evs) == n })
				}
				if finalAction(p.PathItemList) {
					full = p.PathItemNum
					break
				}
				if step > 200 {
					t.Fatal("the parcel never arrived")
				}
				h.advance(3 * time.Hour)
			}
			evs := rc.waitFor(t, "final snapshot", func(evs []*wxapi.PathEvent) bool { return lastCount(evs) == full })
			final := h.path("PUSH-1", "SF", placed.WaybillID)
			for i, ev := range evs {
				if ev.Version != i+1 {
					t.Errorf("push %d has Version %d, want %d (increasing by one per accepted snapshot)", i, ev.Version, i+1)
				}
				if i > 0 && ev.Count <= evs[i-1].Count {
					t.Errorf("push %d has %d actions after %d", i, ev.Count, evs[i-1].Count)
				}
				if ev.Event != wxapi.EventAddExpressPath || ev.MsgType != "event" || ev.DeliveryID != "SF" ||
					ev.WaybillID != placed.WaybillID || ev.OrderID != "PUSH-1" || ev.FromUserName != "oSandboxBuyer0001" ||
					!strings.HasPrefix(ev.ToUserName, "gh_") || ev.Count != len(ev.Actions) {
					t.Errorf("push %d: %+v", i, ev.EventHeader)
				}
				// Each push is the whole path so far: a prefix of the final one.
				for j, a := range ev.Actions {
					want := final.PathItemList[j]
					if a.ActionTime != want.ActionTime || a.ActionType != want.ActionType || a.ActionMsg != want.ActionMsg {
						t.Errorf("push %d action %d = %+v, getPath says %+v", i, j, a, want)
					}
				}
			}
			if len(evs) < 3 {
				t.Errorf("only %d pushes for a path of %d events", len(evs), full)
			}
			rc.mu.Lock()
			q := rc.rawQuery[0]
			rc.mu.Unlock()
			if strings.Contains(q, "encrypt_type=aes") != tc.safe || !strings.Contains(q, "src=sandbox") || !strings.Contains(q, "openid=") {
				t.Errorf("push query %q", q)
			}
			// A finished parcel is not pushed again.
			h.advance(24 * time.Hour)
			time.Sleep(50 * time.Millisecond)
			if got := rc.waitFor(t, "nothing", func([]*wxapi.PathEvent) bool { return true }); len(got) != len(evs) {
				t.Errorf("%d pushes after the parcel was signed, want %d", len(got), len(evs))
			}
		})
	}
}

// testUpdateOrder and cancelOrder push too; a failing callback is retried
// with a growing wait until it accepts.
func TestPushRetriesAndManualEvents(t *testing.T) {
	wall := newTestClock()
	rc := newReceiver(t, wall.Now, false)
	h := newHarnessWith(t, func(o *Options) {
		o.Now = wall.Now
		o.Push = PushOptions{URL: rc.srv.URL, Token: pushToken, Interval: 20 * time.Millisecond}
	})
	rc.mu.Lock()
	rc.failures = 3
	rc.mu.Unlock()
	placed := h.place("PUSH-T", "TEST")
	if err := h.client.TestUpdateOrder(context.Background(), &wxapi.TestUpdateOrderRequest{BizID: "test_biz_id", OrderID: "PUSH-T",
		DeliveryID: "TEST", WaybillID: placed.WaybillID, ActionTime: h.sb.Now().Unix(), ActionType: actCollected, ActionMsg: "揽件成功"}); err != nil {
		t.Fatal(err)
	}
	evs := rc.waitFor(t, "push after three failures", func(evs []*wxapi.PathEvent) bool { return len(evs) == 1 })
	if evs[0].Version != 1 || evs[0].Count != 1 || evs[0].Actions[0].ActionMsg != "揽件成功" {
		t.Errorf("push %+v", evs[0])
	}
	rc.mu.Lock()
	attempts := append([]time.Time(nil), rc.attempts...)
	rc.mu.Unlock()
	if len(attempts) != 4 {
		t.Fatalf("%d attempts, want 3 failures and a success", len(attempts))
	}
	// Backoff: 20ms, 40ms, 80ms (each at least the tick).
	for i := 1; i < len(attempts); i++ {
		gap := attempts[i].Sub(attempts[i-1])
		want := 20 * time.Millisecond << (i - 1)
		if gap < want-5*time.Millisecond {
			t.Errorf("retry %d after %v, want at least %v", i, gap, want)
		}
	}

	second := h.place("PUSH-C", "YTO")
	if _, err := h.client.CancelOrder(context.Background(), &wxapi.CancelOrderRequest{OrderID: "PUSH-C", DeliveryID: "YTO",
		WaybillID: second.WaybillID}); err != nil {
		t.Fatal(err)
	}
	evs = rc.waitFor(t, "cancellation push", func(evs []*wxapi.PathEvent) bool {
		return len(evs) == 2 && evs[1].OrderID == "PUSH-C"
	})
	if a := evs[1].Actions; len(a) != 1 || a[0].ActionType != actCancelled || evs[1].Version != 1 {
		t.Errorf("cancellation push %+v", evs[1])
	}
}

func TestPushOptionsRefused(t *testing.T) {
	for _, p := range []PushOptions{
		{URL: "ftp://example.com", Token: "t"},
		{URL: "http://127.0.0.1:1/cb"},
		{URL: "http://127.0.0.1:1/cb", Token: "t", Format: "yaml"},
		{URL: "http://127.0.0.1:1/cb", Token: "t", AESKey: "short"},
	} {
		_, err := Open(context.Background(), Options{DBPath: t.TempDir() + "/s.db", Push: p, Logger: quietLog})
		if err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
}
