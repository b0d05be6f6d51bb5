package orders

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"waybilldesk/store"
	"waybilldesk/wxapi"
	"waybilldesk/wxapi/sandbox"
)

func TestTrackStage(t *testing.T) {
	for code, want := range map[int]string{90001: TrackAccepted, 100001: TrackCollected, 100002: TrackException,
		200001: TrackInTransit, 300002: TrackOutForDelivery, 300005: TrackOutForDelivery, 300003: TrackSigned,
		300007: TrackSigned, 300004: TrackException, 400003: TrackReturned, 400002: TrackException, 500001: "",
		299999: TrackInTransit} {
		if got := TrackStage(code); got != want {
			t.Errorf("TrackStage(%d) = %q, want %q", code, got, want)
		}
	}
}

func testOrder(t *testing.T, e *env, id string) *Order {
	t.Helper()
	r := example(t)
	r.OrderID = id
	r.DeliveryID, r.BizID = wxapi.TestDeliveryID, wxapi.TestBizID
	r.Service = wxapi.Service{ServiceType: 1}
	o, err := e.svc.Place(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestPathFollowsTheParcelAndCancelRules(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o := testOrder(t, e, "TRACK-1")
	at := time.Now().Add(-time.Hour).Unix()
	for i, step := range []struct {
		typ int
		msg string
	}{{100001, "快递员已揽收"}, {200001, "【杭州转运中心】已发出"}} {
		err := e.svc.api.TestUpdateOrder(ctx, &wxapi.TestUpdateOrderRequest{BizID: wxapi.TestBizID, DeliveryID: wxapi.TestDeliveryID,
			OrderID: o.OrderID, WaybillID: o.WaybillID, ActionTime: at + int64(i)*60, ActionType: step.typ, ActionMsg: step.msg})
		if err != nil {
			t.Fatal(err)
		}
	}
	got, events, err := e.svc.Path(ctx, o.WaybillID)
	if err != nil {
		t.Fatal(err)
	}
	if got.TrackStatus != TrackInTransit || got.TrackMsg != "【杭州转运中心】已发出" || len(events) < 2 {
		t.Fatalf("after path: %s %q, %d events", got.TrackStatus, got.TrackMsg, len(events))
	}
	// Polling again stores nothing twice.
	if _, again, _ := e.svc.Path(ctx, o.OrderID); len(again) != len(events) {
		t.Fatalf("second poll: %d events, want %d", len(again), len(events))
	}
	// A collected parcel cannot be cancelled; WeChat's reason is shown and the order is unchanged.
	if _, err := e.svc.Cancel(ctx, o.OrderID); wxapi.Code(err) != 9300506 {
		t.Fatalf("cancel after pick-up: %v, want 9300506", err)
	}
	if o2, _ := e.svc.Get(ctx, o.OrderID); o2.Status != StatusPlaced {
		t.Fatalf("refused cancel changed the order to %s", o2.Status)
	}

	fresh := testOrder(t, e, "TRACK-2")
	c, err := e.svc.Cancel(ctx, fresh.OrderID)
	if err != nil || c.Status != StatusCancelled {
		t.Fatalf("cancel before pick-up: %v %+v", err, c)
	}
	if _, err := e.svc.Cancel(ctx, fresh.OrderID); err == nil || !strings.Contains(err.Error(), "already cancelled") {
		t.Fatalf("second cancel: %v", err)
	}
	if _, _, err := e.svc.Label(ctx, fresh.OrderID); err == nil {
		t.Fatal("a cancelled order still prints")
	}
}

func TestApplyPushKeepsNewestVersion(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o := testOrder(t, e, "PUSH-1")
	base := time.Now().Unix()
	push := func(version int, types ...int) *Order {
		ev := &wxapi.PathEvent{DeliveryID: "TEST", WaybillID: o.WaybillID, OrderID: o.OrderID, Version: version, Count: len(types)}
		for i, typ := range types {
			ev.Actions = append(ev.Actions, wxapi.PathAction{ActionTime: base + int64(i)*100, ActionType: typ, ActionMsg: "step"})
		}
		got, err := e.svc.ApplyPush(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := push(2, 100001, 200001, 300002); got.TrackStatus != TrackOutForDelivery {
		t.Fatalf("after v2: %s", got.TrackStatus)
	}
	if got := push(1, 100001); got.TrackStatus != TrackOutForDelivery {
		t.Fatalf("a late v1 moved the order back to %s", got.TrackStatus)
	}
	if got := push(3, 100001, 200001, 300002, 300003); got.TrackStatus != TrackSigned || Open(got) {
		t.Fatalf("after v3: %s open=%v", got.TrackStatus, Open(got))
	}
	if _, err := e.svc.ApplyPush(ctx, &wxapi.PathEvent{WaybillID: "UNKNOWN", DeliveryID: "TEST", Version: 1}); err == nil {
		t.Fatal("a push for an unknown waybill was accepted")
	}
}

// nextPoll is tr.NextPoll, failing the test on an error.
func nextPoll(t *testing.T, tr *Tracker, orderID string) time.Time {
	t.Helper()
	next, err := tr.NextPoll(context.Background(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	return next
}

// trackEnv is a history and the sandbox behind a getPath door that counts
// the orders asked about, in order, and answers 45011 while limited is set.
type trackEnv struct {
	*env
	clk     *clock
	asked   chan string
	limited atomic.Bool
}

func newTrackEnv(t *testing.T) *trackEnv {
	t.Helper()
	e := newEnv(t)
	te := &trackEnv{env: e, clk: &clock{now: time.Now().Truncate(time.Millisecond)}, asked: make(chan string, 1000)}
	target, err := url.Parse(e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	door := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == wxapi.PathGetPath {
			raw, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(raw))
			if te.limited.Load() {
				answerCode(w, wxapi.CodeMinuteQuota)
				return
			}
			var body struct {
				OrderID string `json:"order_id"`
			}
			_ = json.Unmarshal(raw, &body)
			te.asked <- body.OrderID
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(door.Close)
	api := wxapi.New(wxapi.Options{BaseURL: door.URL, AppID: sandbox.DefaultAppID, Secret: sandbox.DefaultSecret})
	e.svc = New(e.db, api, Options{Now: te.clk.Now})
	return te
}

// drainAsked returns the orders asked about since the last call.
func (te *trackEnv) drainAsked() []string {
	var out []string
	for {
		select {
		case id := <-te.asked:
			out = append(out, id)
		default:
			return out
		}
	}
}

// sleeps replaces a tracker's spacing between calls with a record of it.
func sleeps(tr *Tracker) *[]time.Duration {
	var got []time.Duration
	tr.sleep = func(ctx context.Context, d time.Duration) bool {
		got = append(got, d)
		return ctx.Err() == nil
	}
	return &got
}

// TestTrackerClosedStagesAreTheIndexOnes: the history's index of open
// orders leaves out the stages that end tracking here.
func TestTrackerClosedStagesAreTheIndexOnes(t *testing.T) {
	if !slices.Equal(closedStages, store.ClosedTrackStages) {
		t.Fatalf("tracking ends at %v, the history's index at %v", closedStages, store.ClosedTrackStages)
	}
}

// TestTrackerPollsEveryDueOrderAndDropsClosedOnes: a station with more
// due orders than one page of the history query gets every one of them
// polled, the oldest too, and the orders that close (signed, cancelled,
// too old to track) are not scheduled any more.
func TestTrackerPollsEveryDueOrderAndDropsClosedOnes(t *testing.T) {
	te := newTrackEnv(t)
	ctx := context.Background()
	svc, clk := te.svc, te.clk
	var ids []string
	for i := range 7 {
		ids = append(ids, testOrder(t, te.env, fmt.Sprintf("WALK-%d", i)).OrderID)
		clk.Add(time.Second)
	}
	tr := svc.NewTracker(TrackerOptions{First: 10 * time.Minute, Max: time.Hour, PerMinute: 600, MaxAge: 48 * time.Hour, Page: 3})
	spaced := sleeps(tr)
	if n := tr.PollDue(ctx); n != 0 {
		t.Fatalf("polled %d orders right after placing", n)
	}
	clk.Add(11 * time.Minute)
	if n := tr.PollDue(ctx); n != len(ids) {
		t.Fatalf("polled %d of %d due orders over pages of 3", n, len(ids))
	}
	if got := te.drainAsked(); !slices.Equal(got, ids) {
		t.Errorf("asked about %v, want the oldest first: %v", got, ids)
	}
	if len(*spaced) != len(ids)-1 || (*spaced)[0] != 100*time.Millisecond {
		t.Errorf("spacing %v, want %d of 100ms", *spaced, len(ids)-1)
	}
	for _, id := range ids {
		if next := nextPoll(t, tr, id); !next.After(clk.Now()) {
			t.Errorf("%s not rescheduled after its poll (next %v)", id, next)
		}
	}

	// The oldest parcel is signed for, the second order is cancelled.
	signed, cancelled := ids[0], ids[1]
	o, _ := svc.Get(ctx, signed)
	if err := svc.api.TestUpdateOrder(ctx, &wxapi.TestUpdateOrderRequest{BizID: wxapi.TestBizID, DeliveryID: wxapi.TestDeliveryID,
		OrderID: o.OrderID, WaybillID: o.WaybillID, ActionTime: clk.Now().Unix(), ActionType: 300003, ActionMsg: "已签收"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Cancel(ctx, cancelled); err != nil {
		t.Fatal(err)
	}
	clk.Add(11 * time.Minute)
	if n := tr.PollDue(ctx); n != len(ids)-1 {
		t.Fatalf("second round polled %d, want %d (all but the cancelled order)", n, len(ids)-1)
	}
	if got, _ := svc.Get(ctx, signed); got.TrackStatus != TrackSigned {
		t.Fatalf("the signed parcel shows %q", got.TrackStatus)
	}
	for _, id := range []string{signed, cancelled} {
		if next := nextPoll(t, tr, id); !next.IsZero() {
			t.Errorf("%s is closed but still scheduled for %v", id, next)
		}
	}
	te.drainAsked()
	// Quiet since: the wait doubled to 20 minutes.
	clk.Add(11 * time.Minute)
	if n := tr.PollDue(ctx); n != 0 {
		t.Fatalf("polled %d quiet orders before their doubled wait", n)
	}
	clk.Add(10 * time.Minute)
	if n := tr.PollDue(ctx); n != len(ids)-2 {
		t.Fatalf("third round polled %d, want the %d open orders", n, len(ids)-2)
	}
	if got := te.drainAsked(); slices.Contains(got, signed) || slices.Contains(got, cancelled) {
		t.Errorf("closed orders asked about: %v", got)
	}

	// Two days on, every order is past MaxAge: nothing is polled or
	// scheduled any more.
	clk.Add(48 * time.Hour)
	if n := tr.PollDue(ctx); n != 0 {
		t.Fatalf("polled %d orders older than MaxAge", n)
	}
	for _, id := range ids {
		if next := nextPoll(t, tr, id); !next.IsZero() {
			t.Errorf("%s is past MaxAge but scheduled for %v", id, next)
		}
	}
}

// TestTrackerSpendsTheBudgetLongestDueFirst: with more orders due than
// the minute's budget, the calls go to the orders that have waited
// longest, whatever their age or place in the history, spaced over the
// minute; the rest come first the next minute, before orders that came
// due after them; a polled order goes to the back of the line.
func TestTrackerSpendsTheBudgetLongestDueFirst(t *testing.T) {
	te := newTrackEnv(t)
	ctx := context.Background()
	svc, clk := te.svc, te.clk
	var ids []string
	for i := range 6 {
		ids = append(ids, testOrder(t, te.env, fmt.Sprintf("DUE-%d", i)).OrderID)
	}
	tr := svc.NewTracker(TrackerOptions{First: 10 * time.Minute, Max: time.Hour, PerMinute: 4})
	spaced := sleeps(tr)
	if n := tr.PollDue(ctx); n != 0 {
		t.Fatalf("polled %d orders right after placing", n)
	}
	// Due long ago in this order: 3, 5, 0, 4, 1; DUE-2 not yet.
	now := clk.Now()
	for i, ago := range []time.Duration{3, 1, -5, 5, 2, 4} {
		if err := svc.db.ScheduleTrack(ctx, ids[i], now.Add(-ago*time.Minute), 20*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if n := tr.PollDue(ctx); n != 4 {
		t.Fatalf("polled %d, want the budget of 4", n)
	}
	want := []string{ids[3], ids[5], ids[0], ids[4]}
	if got := te.drainAsked(); !slices.Equal(got, want) {
		t.Errorf("first minute asked about %v, want %v", got, want)
	}
	if fmt.Sprint(*spaced) != "[15s 15s 15s]" {
		t.Errorf("spacing %v, want 15s between the 4 calls", *spaced)
	}
	// DUE-2 comes due meanwhile; DUE-1 has waited longer and goes first.
	clk.Add(6 * time.Minute)
	if n := tr.PollDue(ctx); n != 2 {
		t.Fatalf("second minute polled %d, want 2", n)
	}
	if got, want := te.drainAsked(), []string{ids[1], ids[2]}; !slices.Equal(got, want) {
		t.Errorf("second minute asked about %v, want %v", got, want)
	}
	// Each poll brought no news: the wait doubled from the stored 20 minutes.
	if next := nextPoll(t, tr, ids[3]); !next.Equal(now.Add(40 * time.Minute)) {
		t.Errorf("next poll of %s at %v, want 40 minutes after its poll", ids[3], next.Sub(now))
	}
}

// TestTrackerScheduleSurvivesARestart: a new tracker on the same history
// (the window opened again) neither polls early nor forgets the back-off:
// it polls when the last one said, and the wait goes on doubling.
func TestTrackerScheduleSurvivesARestart(t *testing.T) {
	te := newTrackEnv(t)
	ctx := context.Background()
	svc, clk := te.svc, te.clk
	o := testOrder(t, te.env, "RESTART-1")
	opts := TrackerOptions{First: 10 * time.Minute, Max: 6 * time.Hour, PerMinute: 600}
	first := svc.NewTracker(opts)
	clk.Add(11 * time.Minute)
	for range 3 { // 10, 20, 40 minutes
		if n := first.PollDue(ctx); n != 1 {
			t.Fatalf("first tracker polled %d", n)
		}
		clk.Add(nextPoll(t, first, o.OrderID).Sub(clk.Now()))
	}
	clk.Add(-time.Minute)
	due := nextPoll(t, first, o.OrderID)

	second := New(svc.db, svc.api, Options{Now: clk.Now}).NewTracker(opts)
	if n := second.PollDue(ctx); n != 0 {
		t.Fatalf("a new tracker polled %d orders before their time", n)
	}
	if got := nextPoll(t, second, o.OrderID); !got.Equal(due) {
		t.Fatalf("the new tracker has the order due at %v, the old one said %v", got, due)
	}
	clk.Add(time.Minute)
	if n := second.PollDue(ctx); n != 1 {
		t.Fatalf("the new tracker polled %d due orders", n)
	}
	if wait := nextPoll(t, second, o.OrderID).Sub(clk.Now()); wait != 80*time.Minute {
		t.Errorf("wait after the restart %v, want the back-off to go on to 80m", wait)
	}
}

// TestTrackerPausesOnRateLimit: 45011 stops the round at once, the order
// it hit keeps its place at the head of the line, and no call goes out
// until the next minute.
func TestTrackerPausesOnRateLimit(t *testing.T) {
	te := newTrackEnv(t)
	ctx := context.Background()
	svc, clk := te.svc, te.clk
	var ids []string
	for i := range 3 {
		ids = append(ids, testOrder(t, te.env, fmt.Sprintf("LIMIT-%d", i)).OrderID)
		clk.Add(time.Second)
	}
	tr := svc.NewTracker(TrackerOptions{First: 10 * time.Minute, PerMinute: 600})
	sleeps(tr)
	clk.Add(11 * time.Minute)
	tr.PollDue(ctx) // schedules them
	te.drainAsked()
	clk.Add(10 * time.Minute)
	before := nextPoll(t, tr, ids[0])

	te.limited.Store(true)
	if n := tr.PollDue(ctx); n != 1 {
		t.Fatalf("polled %d after 45011, want to stop at the first", n)
	}
	if got := nextPoll(t, tr, ids[0]); !got.Equal(before) {
		t.Errorf("the order turned away moved from %v to %v", before, got)
	}
	te.limited.Store(false)
	if n := tr.PollDue(ctx); n != 0 || len(te.drainAsked()) != 0 {
		t.Fatalf("polled %d within the limited minute", n)
	}
	clk.Add(time.Minute)
	if n := tr.PollDue(ctx); n != 3 {
		t.Fatalf("polled %d after the pause, want 3", n)
	}
	if got := te.drainAsked(); !slices.Equal(got, ids) {
		t.Errorf("after the pause asked about %v, want %v (the one turned away first)", got, ids)
	}
}
