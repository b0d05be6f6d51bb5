package orders

import (
	"context"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// platformWaybill is what the sandbox holds for an order: its waybill_id
// and order_status, or "" when WeChat has no such order.
func (e *env) platformWaybill(t *testing.T, orderID string) (string, int) {
	t.Helper()
	resp, err := e.api.GetOrder(context.Background(), &wxapi.GetOrderRequest{OrderID: orderID, DeliveryID: "SF"})
	if wxapi.Code(err) == wxapi.CodeOrderNotFound || wxapi.Code(err) == wxapi.CodeInvalidWaybill {
		return "", 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return resp.WaybillID, resp.OrderStatus
}

// holdAddOrder makes every addOrder wait until the returned func is called.
func (e *env) holdAddOrder() (release func()) {
	ch := make(chan struct{})
	e.faults.hold.Store(&ch)
	return func() { e.faults.hold.Store(nil); close(ch) }
}

// waitInFlight waits until n addOrder calls reached the server.
func (e *env) waitInFlight(t *testing.T, n int32) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for e.faults.addOrders.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d addOrder calls arrived, want %d", e.faults.addOrders.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type placed struct {
	o   *Order
	err error
}

// TestReconcileElsewhereDuringAddOrderLeavesItToItsSender: a second
// process reconciles while the first still waits on addOrder. WeChat does
// not know the order yet, but the sender holds its lease: the reconcile
// leaves it submitting, and the answer that comes later settles it placed
// with WeChat's waybill. The operator of the first window sees "placed".
func TestReconcileElsewhereDuringAddOrderLeavesItToItsSender(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := example(t)
	r.OrderID = "RACE-1"
	release := e.holdAddOrder()
	done := make(chan placed, 1)
	go func() { o, err := e.svc.Place(ctx, r); done <- placed{o, err} }()
	e.waitInFlight(t, 1)

	other := e.otherProcess()
	all, err := other.ReconcileAll(ctx)
	var pe *PendingError
	if err != nil || len(all) != 1 || !errors.As(all[0].Err, &pe) || all[0].Order.Status != StatusSubmitting {
		t.Fatalf("reconcile elsewhere during addOrder: %+v %v", all, err)
	}
	if !strings.Contains(all[0].Err.Error(), "being placed by") {
		t.Fatalf("the reconcile says %q, want who is placing it", all[0].Err)
	}
	// Asked explicitly, WeChat does not know it yet: still left alone.
	o, err := other.Reconcile(ctx, "RACE-1")
	if !errors.As(err, &pe) || !pe.NotAtWeChat || o.Status != StatusSubmitting {
		t.Fatalf("explicit reconcile during addOrder: %v %s", err, o.Status)
	}
	release()
	got := <-done
	if got.err != nil || got.o.Status != StatusPlaced {
		t.Fatalf("the sender saw %v %+v", got.err, got.o)
	}
	wb, _ := e.platformWaybill(t, "RACE-1")
	if wb == "" || got.o.WaybillID != wb {
		t.Fatalf("history waybill %q, WeChat's %q", got.o.WaybillID, wb)
	}
	if n := e.faults.addOrders.Load(); n != 1 {
		t.Fatalf("addOrder sent %d times", n)
	}
}

// TestLateAnswerWinsOverAGuessedFailure: the sender froze past its lease
// (a laptop lid closed mid-call), a reconcile elsewhere found nothing at
// WeChat and settled the order failed; then WeChat committed and its
// answer arrived. The waybill wins: the order ends placed.
func TestLateAnswerWinsOverAGuessedFailure(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := example(t)
	r.OrderID = "FROZEN-1"
	release := e.holdAddOrder()
	done := make(chan placed, 1)
	go func() { o, err := e.svc.Place(ctx, r); done <- placed{o, err} }()
	e.waitInFlight(t, 1)
	e.clock.Add(DefaultLeaseTTL + DefaultSettleAfter + time.Second)
	o, err := e.otherProcess().Reconcile(ctx, "FROZEN-1")
	if err != nil || o.Status != StatusFailed {
		t.Fatalf("reconcile after the lease expired: %v %+v", err, o)
	}
	release()
	got := <-done
	if got.err != nil || got.o.Status != StatusPlaced || got.o.ErrorCode != 0 {
		t.Fatalf("late answer: %v %+v", got.err, got.o)
	}
	if wb, _ := e.platformWaybill(t, "FROZEN-1"); wb != got.o.WaybillID {
		t.Fatalf("history %s, WeChat %s", got.o.WaybillID, wb)
	}
}

// TestOnlyNotCreatedCodesRefuse: a code that says WeChat did not create
// the order marks it failed; 9909001, -1 and a code the desk does not know
// leave it submitting, and when WeChat did create it a reconcile finds the
// waybill.
func TestOnlyNotCreatedCodesRefuse(t *testing.T) {
	tests := []struct {
		code   int64
		commit bool // WeChat created the order before answering
		want   string
	}{
		{wxapi.CodeCourierFailure, false, StatusFailed},
		{9300526, false, StatusFailed},
		{wxapi.CodeMinuteQuota, false, StatusFailed},
		{wxapi.CodeBadJSON, false, StatusFailed},
		{wxapi.CodeTransient, true, StatusPlaced},
		{wxapi.CodeBusy, true, StatusPlaced},
		{7654321, true, StatusPlaced},
		{wxapi.CodeTransient, false, StatusFailed},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(int(tt.code))+map[bool]string{true: "-committed", false: ""}[tt.commit], func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			r := example(t)
			r.OrderID = "CODE-1"
			e.faults.code.Store(tt.code)
			e.faults.commit.Store(tt.commit)
			_, err := e.svc.Place(ctx, r)
			e.faults.code.Store(0)
			if wxapi.Code(err) != int(tt.code) {
				t.Fatalf("err %v does not carry errcode %d", err, tt.code)
			}
			o, _ := e.svc.Get(ctx, "CODE-1")
			notCreated := (&wxapi.Error{Code: int(tt.code)}).NotCreated()
			if notCreated {
				if o.Status != StatusFailed || o.ErrorCode != int(tt.code) || errors.Is(err, ErrUnknownOutcome) {
					t.Fatalf("definitive %d: %s errcode %d, err %v", tt.code, o.Status, o.ErrorCode, err)
				}
				return
			}
			if o.Status != StatusSubmitting || !errors.Is(err, ErrUnknownOutcome) {
				t.Fatalf("%d left %s (%v), want submitting with an unknown outcome", tt.code, o.Status, err)
			}
			// Settled by a reconcile: at once when WeChat has it, once the
			// request had time to land when it does not.
			e.clock.Add(DefaultSettleAfter + time.Second)
			o, err = e.svc.Reconcile(ctx, "CODE-1")
			if err != nil || o.Status != tt.want {
				t.Fatalf("reconciled to %s (%v), want %s", o.Status, err, tt.want)
			}
			if wb, _ := e.platformWaybill(t, "CODE-1"); wb != o.WaybillID {
				t.Fatalf("history %q, WeChat %q", o.WaybillID, wb)
			}
		})
	}
}

// TestSecondTapChecksInsteadOfSendingAgain: after an unknown outcome the
// form keeps the order number; tapping Place again asks WeChat instead of
// sending a second addOrder, and says what WeChat holds.
func TestSecondTapChecksInsteadOfSendingAgain(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := example(t)
	prepared, err := e.svc.Prepare(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	e.faults.dropAfter.Store(true)
	if _, err := e.svc.Place(ctx, *prepared); !errors.Is(err, ErrUnknownOutcome) {
		t.Fatalf("first tap: %v", err)
	}
	e.faults.dropAfter.Store(false)
	o, err := e.svc.Place(ctx, *prepared)
	if !errors.Is(err, ErrAlreadySubmitted) || o == nil || o.Status != StatusPlaced || o.WaybillID == "" {
		t.Fatalf("second tap: %v %+v", err, o)
	}
	if n := e.faults.addOrders.Load(); n != 1 {
		t.Fatalf("addOrder sent %d times, want 1", n)
	}
	// While WeChat does not know it yet, the second tap says so and still
	// sends nothing.
	r2 := example(t)
	r2.OrderID = "TAP-2"
	e.faults.dropBefore.Store(true)
	e.svc.Place(ctx, r2)
	e.faults.dropBefore.Store(false)
	o, err = e.svc.Place(ctx, r2)
	if !errors.Is(err, ErrAlreadySubmitted) || !errors.Is(err, ErrPending) || o.Status != StatusSubmitting {
		t.Fatalf("second tap while WeChat does not know it: %v %+v", err, o)
	}
	if n := e.faults.addOrders.Load(); n != 2 {
		t.Fatalf("addOrder sent %d times, want 2 (one per order)", n)
	}
}

// TestSameDataWithoutOrderIDIsNotPlacedTwice: an order given without an
// order_id (a file run twice) whose first placing is unsettled is refused,
// naming the earlier order; --force places it anyway.
func TestSameDataWithoutOrderIDIsNotPlacedTwice(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.faults.dropBefore.Store(true)
	if _, err := e.svc.Place(ctx, example(t)); !errors.Is(err, ErrUnknownOutcome) {
		t.Fatal(err)
	}
	e.faults.dropBefore.Store(false)
	first, _ := e.db.Submitting(ctx, 0)
	_, err := e.svc.Place(ctx, example(t))
	var dup *UnsettledDuplicateError
	if !errors.As(err, &dup) || dup.OrderID != first[0].OrderID || !strings.Contains(err.Error(), first[0].OrderID) {
		t.Fatalf("second placing of the same data: %v", err)
	}
	if n := e.faults.addOrders.Load(); n != 1 {
		t.Fatalf("addOrder sent %d times, want 1", n)
	}
	if o, err := e.svc.PlaceWith(ctx, example(t), PlaceOptions{Force: true}); err != nil || o.Status != StatusPlaced {
		t.Fatalf("forced: %v", err)
	}
	// Settled, the same data may be placed again: another parcel.
	e.clock.Add(DefaultSettleAfter + time.Second)
	if _, err := e.svc.Reconcile(ctx, first[0].OrderID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Place(ctx, example(t)); err != nil {
		t.Fatalf("after the first was settled: %v", err)
	}
}

// TestCancelFailedIsCheckedWithGetOrder: 9300524 does not prove a
// cancellation; getOrder's order_status does.
func TestCancelFailedIsCheckedWithGetOrder(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o, err := e.svc.Place(ctx, example(t))
	if err != nil {
		t.Fatal(err)
	}
	e.faults.cancelCode.Store(wxapi.CodeCancelFailed)
	got, err := e.svc.Cancel(ctx, o.OrderID)
	if wxapi.Code(err) != wxapi.CodeCancelFailed || got.Status != StatusPlaced || !strings.Contains(err.Error(), "not cancelled") {
		t.Fatalf("9300524 on a live waybill: %v, %s", err, got.Status)
	}
	if cur, _ := e.svc.Get(ctx, o.OrderID); cur.Status != StatusPlaced {
		t.Fatalf("history says %s", cur.Status)
	}
	// Cancelled at WeChat, answered 9300524: recorded as cancelled.
	e.faults.cancelCommit.Store(true)
	got, err = e.svc.Cancel(ctx, o.OrderID)
	if err != nil || got.Status != StatusCancelled {
		t.Fatalf("9300524 after WeChat cancelled: %v %s", err, got.Status)
	}
	if _, status := e.platformWaybill(t, o.OrderID); status != wxapi.OrderStatusCancelled {
		t.Fatalf("WeChat's order_status %d", status)
	}
}

// TestReconcileHonoursOrderStatus: an order whose answer was lost and that
// was cancelled at WeChat meanwhile is reconciled as cancelled, not placed.
func TestReconcileHonoursOrderStatus(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := example(t)
	r.OrderID = "GONE-1"
	e.faults.dropAfter.Store(true)
	e.svc.Place(ctx, r)
	e.faults.dropAfter.Store(false)
	wb, _ := e.platformWaybill(t, "GONE-1")
	if _, err := e.api.CancelOrder(ctx, &wxapi.CancelOrderRequest{OrderID: "GONE-1", DeliveryID: "SF", WaybillID: wb}); err != nil {
		t.Fatal(err)
	}
	o, err := e.svc.Reconcile(ctx, "GONE-1")
	if err != nil || o.Status != StatusCancelled || o.WaybillID != wb {
		t.Fatalf("reconciled %v %+v", err, o)
	}
}

// TestDeadOwnersLeaseDoesNotHoldTheOrder: a process of this machine that
// was killed while placing leaves a lease that has not expired; its order
// is settled at once because the process is gone.
func TestDeadOwnersLeaseDoesNotHoldTheOrder(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := example(t)
	r.OrderID = "KILLED-1"
	e.faults.dropAfter.Store(true)
	e.svc.Place(ctx, r)
	e.faults.dropAfter.Store(false)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	// Rewrite the order as the killed process left it: leased by it for
	// another minute.
	o, _ := e.db.Order(ctx, "KILLED-1")
	l := o.Lease
	lease := store.Lease{Owner: thisHost + "/" + strconv.Itoa(dead.Process.Pid) + "/dead", Until: e.clock.Now().Add(time.Minute)}
	if _, err := e.db.Resend(ctx, "KILLED-1", store.Expect{Version: o.Version, Lease: &l}, lease, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	alive := store.Lease{Owner: thisHost + "/1/init", Until: e.clock.Now().Add(time.Minute)}
	other := e.otherProcess()
	if other.leaseLive(lease, e.clock.Now()) || !other.leaseLive(alive, e.clock.Now()) {
		t.Fatal("a dead process's lease counts as live, or a live one as dead")
	}
	all, err := other.ReconcileAll(ctx)
	if err != nil || len(all) != 1 || all[0].Order.Status != StatusPlaced {
		t.Fatalf("reconcile after the owner died: %+v %v", all, err)
	}
}

// TestReconcilerSettlesWithoutARestart: the running window's reconciler
// settles an unknown outcome at its next check, and one WeChat does not
// have once it had time to land; the same order number then places.
func TestReconcilerSettlesWithoutARestart(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	lost, never := example(t), example(t)
	lost.OrderID, never.OrderID = "LATE-1", "LATE-2"
	e.faults.dropAfter.Store(true)
	e.svc.Place(ctx, lost)
	e.faults.dropAfter.Store(false)
	e.faults.dropBefore.Store(true)
	e.svc.Place(ctx, never)
	e.faults.dropBefore.Store(false)
	var settled []string
	rec := e.svc.NewReconciler(ReconcilerOptions{OnSettled: func(o Order) { settled = append(settled, o.OrderID+" "+o.Status) }})
	if n := rec.CheckDue(ctx); n != 1 || settled[0] != "LATE-1 placed" {
		t.Fatalf("first check settled %d: %v", n, settled)
	}
	// Not due again before its back-off.
	if n := rec.CheckDue(ctx); n != 0 {
		t.Fatalf("checked again at once: %d", n)
	}
	e.clock.Add(DefaultSettleAfter + time.Second)
	if n := rec.CheckDue(ctx); n != 1 || settled[1] != "LATE-2 failed" {
		t.Fatalf("after the settle time: %d %v", n, settled)
	}
	if rec.Scheduled() != 0 {
		t.Fatalf("%d schedules kept for settled orders", rec.Scheduled())
	}
	if o, err := e.svc.Place(ctx, never); err != nil || o.Status != StatusPlaced {
		t.Fatalf("placing LATE-2 again: %v", err)
	}
}
