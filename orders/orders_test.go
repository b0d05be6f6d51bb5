package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"waybilldesk/store"
	"waybilldesk/wxapi"
	"waybilldesk/wxapi/sandbox"
)

// faults decides, per addOrder call, whether the answer is lost; the
// sandbox behind it is real.
type faults struct {
	dropBefore atomic.Bool // drop the request before the sandbox sees it
	dropAfter  atomic.Bool // the sandbox places the order, the answer is lost
	addOrders  atomic.Int32
	// hold, when set, keeps each addOrder waiting (counted, not yet at the
	// sandbox) until a value arrives: an answer that is slow to come.
	hold atomic.Pointer[chan struct{}]
	// code, when set, answers addOrder with this errcode; after the
	// sandbox carried it out when commit is set.
	code   atomic.Int64
	commit atomic.Bool
	// cancelCode answers cancelOrder with this errcode, after the sandbox
	// carried it out when cancelCommit is set.
	cancelCode   atomic.Int64
	cancelCommit atomic.Bool
}

type env struct {
	svc    *Service
	db     *store.DB
	sb     *sandbox.Sandbox
	faults *faults
	srv    *httptest.Server
	api    *wxapi.Client
	clock  *clock
}

// otherProcess is a second order service over the same history: another
// window, import or command, with leases of its own.
func (e *env) otherProcess() *Service {
	return New(e.db, e.api, Options{Now: e.clock.Now})
}

// answerCode writes WeChat's answer with an errcode.
func answerCode(w http.ResponseWriter, code int64) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"errcode":%d,"errmsg":"injected rid: 1"}`, code)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	sb, err := sandbox.Open(ctx, sandbox.Options{DBPath: filepath.Join(dir, "sandbox.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	f := &faults{}
	inner := sb.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == wxapi.PathCancelOrder {
			if code := f.cancelCode.Load(); code != 0 {
				if f.cancelCommit.Load() {
					inner.ServeHTTP(httptest.NewRecorder(), r)
				}
				answerCode(w, code)
				return
			}
		}
		if r.URL.Path == wxapi.PathAddOrder {
			f.addOrders.Add(1)
			if hold := f.hold.Load(); hold != nil {
				<-*hold
			}
			if code := f.code.Load(); code != 0 {
				if f.commit.Load() {
					inner.ServeHTTP(httptest.NewRecorder(), r)
				}
				answerCode(w, code)
				return
			}
			if f.dropBefore.Load() {
				hijackClose(t, w)
				return
			}
			if f.dropAfter.Load() {
				inner.ServeHTTP(httptest.NewRecorder(), r)
				hijackClose(t, w)
				return
			}
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	db, err := store.Open(ctx, filepath.Join(dir, "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	api := wxapi.New(wxapi.Options{BaseURL: srv.URL, AppID: sandbox.DefaultAppID, Secret: sandbox.DefaultSecret})
	clk := &clock{now: time.Now()}
	return &env{svc: New(db, api, Options{Now: clk.Now}), db: db, sb: sb, faults: f, srv: srv, api: api, clock: clk}
}

// hijackClose drops the connection without an answer, as a network fault does.
func hijackClose(t *testing.T, w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	conn.Close()
}

func example(t *testing.T) wxapi.AddOrderRequest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "examples", "order.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r wxapi.AddOrderRequest
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func count(t *testing.T, db *store.DB) int {
	t.Helper()
	list, err := db.ListOrders(context.Background(), store.OrderQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func TestPlaceStoresWaybillAndLabel(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o, err := e.svc.Place(ctx, example(t))
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != StatusPlaced || o.WaybillID == "" || o.PrintHTML == "" || !strings.HasPrefix(o.OrderID, "WD") {
		t.Fatalf("placed order %+v", o)
	}
	if log, _ := e.svc.AuditLog(ctx, o.OrderID, 0); len(log) != 1 || log[0].Action != "place" || log[0].Actor == "" {
		t.Fatalf("audit log %+v", log)
	}
	req, err := Request(o)
	if err != nil || req.OrderID != o.OrderID || req.Shop.WxaPath == "" || req.Service.ServiceName != "顺丰标快" {
		t.Fatalf("stored request %+v %v", req, err)
	}
	// The label is kept with the order: a reprint works with WeChat gone.
	e.srv.Close()
	html, got, err := e.svc.Label(ctx, o.WaybillID)
	if err != nil {
		t.Fatal(err)
	}
	if got.OrderID != o.OrderID || !strings.Contains(html, o.WaybillID) {
		t.Fatalf("label of %s does not show its waybill", o.OrderID)
	}
}

func TestPlaceKeepsTheShopOrderNumber(t *testing.T) {
	e := newEnv(t)
	r := example(t)
	r.OrderID = "TB-20261122-0001"
	o, err := e.svc.Place(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if o.OrderID != "TB-20261122-0001" {
		t.Fatalf("order id %s", o.OrderID)
	}
	if _, err := e.svc.Place(context.Background(), r); !errors.Is(err, ErrAlreadyInHistory) {
		t.Fatalf("second place of the same shop order: %v", err)
	}
	if n := e.faults.addOrders.Load(); n != 1 {
		t.Fatalf("addOrder sent %d times, want 1", n)
	}
}

func TestBadInputWritesNothing(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(r *wxapi.AddOrderRequest)
		field string
	}{
		{"missing receiver phone", func(r *wxapi.AddOrderRequest) { r.Receiver.Mobile, r.Receiver.Tel = "", "" }, "receiver.mobile"},
		{"negative weight", func(r *wxapi.AddOrderRequest) { r.Cargo.Weight = -1 }, "cargo.weight"},
		{"unknown courier", func(r *wxapi.AddOrderRequest) { r.DeliveryID = "XYZ" }, "delivery_id"},
		{"service the courier lacks", func(r *wxapi.AddOrderRequest) { r.Service.ServiceType = 99 }, "service.service_type"},
		{"no goods", func(r *wxapi.AddOrderRequest) { r.Cargo.DetailList = nil; r.Shop.DetailList = nil }, "cargo.detail_list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := example(t)
			tt.edit(&r)
			_, err := e.svc.Place(context.Background(), r)
			if got := wxapi.FieldOf(err); got != tt.field {
				t.Fatalf("err %v names %q, want %q", err, got, tt.field)
			}
			if n := count(t, e.db); n != 0 {
				t.Fatalf("%d orders written", n)
			}
			if n := e.faults.addOrders.Load(); n != 0 {
				t.Fatalf("addOrder sent %d times", n)
			}
		})
	}
}

// TestLostAnswerIsReconciledNotRetried: WeChat issued the waybill but the
// answer never arrived. The order stays submitting, a second Place is
// refused, and Reconcile recovers the waybill WeChat issued.
func TestLostAnswerIsReconciledNotRetried(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := example(t)
	r.OrderID = "LOST-1"
	e.faults.dropAfter.Store(true)
	_, err := e.svc.Place(ctx, r)
	if !errors.Is(err, ErrUnknownOutcome) {
		t.Fatalf("err = %v, want ErrUnknownOutcome", err)
	}
	o, _ := e.svc.Get(ctx, "LOST-1")
	if o.Status != StatusSubmitting {
		t.Fatalf("status %s, want submitting", o.Status)
	}
	e.faults.dropAfter.Store(false)
	if _, err := e.svc.Place(ctx, r); err == nil {
		t.Fatal("a submitting order was placed again")
	}
	o, err = e.svc.Reconcile(ctx, "LOST-1")
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != StatusPlaced || o.WaybillID == "" || o.PrintHTML == "" {
		t.Fatalf("reconciled %+v", o)
	}
	if n := e.faults.addOrders.Load(); n != 1 {
		t.Fatalf("addOrder sent %d times, want exactly 1", n)
	}
}

// TestRequestThatNeverArrivedIsFreedByReconcile: the connection dropped
// before WeChat saw the order. Right after, WeChat not knowing it proves
// nothing (the request may still land): the order stays submitting. Once
// the request had its time to land, Reconcile marks it failed and the same
// order_id can be placed again.
func TestRequestThatNeverArrivedIsFreedByReconcile(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := example(t)
	r.OrderID = "NEVER-1"
	e.faults.dropBefore.Store(true)
	if _, err := e.svc.Place(ctx, r); !errors.Is(err, ErrUnknownOutcome) {
		t.Fatalf("err = %v", err)
	}
	e.faults.dropBefore.Store(false)
	o, err := e.svc.Reconcile(ctx, "NEVER-1")
	var pe *PendingError
	if !errors.As(err, &pe) || !pe.NotAtWeChat || o.Status != StatusSubmitting {
		t.Fatalf("reconcile right after the drop: %v, %s", err, o.Status)
	}
	e.clock.Add(DefaultSettleAfter + time.Second)
	o, err = e.svc.Reconcile(ctx, "NEVER-1")
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != StatusFailed {
		t.Fatalf("status %s, want failed", o.Status)
	}
	o, err = e.svc.Place(ctx, r)
	if err != nil || o.Status != StatusPlaced {
		t.Fatalf("placing again: %v %+v", err, o)
	}
}

func TestRefusalIsRecordedAndCanBeCorrected(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := example(t)
	r.OrderID = "REFUSED-1"
	r.BizID = "NOT_MY_ACCOUNT"
	_, err := e.svc.Place(ctx, r)
	if wxapi.Code(err) != wxapi.CodeCourierFailure {
		t.Fatalf("err = %v, want errcode 9300501", err)
	}
	o, _ := e.svc.Get(ctx, "REFUSED-1")
	if o.Status != StatusFailed || o.ErrorCode != wxapi.CodeCourierFailure || o.ErrorMsg == "" {
		t.Fatalf("refused order stored as %+v", o)
	}
	r.BizID = "SF_CASH"
	if o, err = e.svc.Place(ctx, r); err != nil || o.Status != StatusPlaced {
		t.Fatalf("corrected order: %v", err)
	}
}

func TestCouriersMergeAccounts(t *testing.T) {
	e := newEnv(t)
	list, err := e.svc.Couriers(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]Courier{}
	seenUnusable := false
	for _, c := range list {
		byID[c.DeliveryID] = c
		if !c.Usable() {
			seenUnusable = true
		} else if seenUnusable {
			t.Fatalf("usable courier %s listed after an unusable one", c.DeliveryID)
		}
	}
	sf := byID["SF"]
	if len(sf.Accounts) == 0 || !sf.Accounts[len(sf.Accounts)-1].Cash || sf.Accounts[len(sf.Accounts)-1].BizID != "SF_CASH" {
		t.Fatalf("SF accounts %+v", sf.Accounts)
	}
	yto := byID["YTO"]
	if len(yto.Accounts) == 0 || !yto.Accounts[0].HasQuota || yto.Accounts[0].Quota <= 0 {
		t.Fatalf("YTO accounts %+v", yto.Accounts)
	}
	if _, ok := byID["TEST"]; !ok {
		t.Fatal("the sandbox test courier is missing")
	}
}

func TestMaskPhone(t *testing.T) {
	for in, want := range map[string]string{"13812345678": "138****5678", "020-88888888": "020****8888", "123": "***", "": ""} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}
