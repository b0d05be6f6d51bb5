package orders

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"waybilldesk/wxapi"
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

// TestTrackerWalksEveryOpenOrderAndForgetsClosedOnes: a station with more
// open orders than one page of the history query gets every one of them
// polled, the oldest too (a tracker that read one page of the newest
// never polled the rest), and the orders that close (signed, cancelled,
// too old to track) leave the tracker's memory.
func TestTrackerWalksEveryOpenOrderAndForgetsClosedOnes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	clk := &clock{now: time.Now()}
	svc := New(e.db, e.svc.api, Options{Now: clk.Now})
	e.svc = svc
	var ids []string
	for i := range 7 {
		ids = append(ids, testOrder(t, e, fmt.Sprintf("WALK-%d", i)).OrderID)
	}
	tr := svc.NewTracker(TrackerOptions{First: 10 * time.Minute, Max: time.Hour, PerMinute: 600, MaxAge: 48 * time.Hour, Page: 3})
	if n := tr.PollDue(ctx); n != 0 {
		t.Fatalf("polled %d orders right after placing", n)
	}
	clk.Add(11 * time.Minute)
	if n := tr.PollDue(ctx); n != len(ids) {
		t.Fatalf("polled %d of %d due orders over pages of 3", n, len(ids))
	}
	for _, id := range ids {
		if next := tr.NextPoll(id); !next.After(clk.Now()) {
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
		t.Fatalf("second walk polled %d, want %d (all but the cancelled order)", n, len(ids)-1)
	}
	if got, _ := svc.Get(ctx, signed); got.TrackStatus != TrackSigned {
		t.Fatalf("the signed parcel shows %q", got.TrackStatus)
	}
	for _, id := range []string{signed, cancelled} {
		if next := tr.NextPoll(id); !next.IsZero() {
			t.Errorf("%s is closed but still scheduled for %v", id, next)
		}
	}
	if len(tr.next) != len(ids)-2 || len(tr.wait) != len(ids)-2 {
		t.Errorf("tracker remembers %d/%d orders, want the %d open ones", len(tr.next), len(tr.wait), len(ids)-2)
	}
	// Quiet since: the wait doubled to 20 minutes.
	clk.Add(21 * time.Minute)
	if n := tr.PollDue(ctx); n != len(ids)-2 {
		t.Fatalf("third walk polled %d, want the %d open orders", n, len(ids)-2)
	}

	// Two days on, every order is past MaxAge: nothing is polled and
	// nothing is remembered.
	clk.Add(48 * time.Hour)
	if n := tr.PollDue(ctx); n != 0 {
		t.Fatalf("polled %d orders older than MaxAge", n)
	}
	if len(tr.next) != 0 || len(tr.wait) != 0 || len(tr.met) != 0 {
		t.Errorf("tracker still remembers %d orders past MaxAge", len(tr.next))
	}
}
