package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// orderIn writes an order and moves it to status along the machine.
func orderIn(t *testing.T, db *DB, id, status string) *Order {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	if err := db.CreateOrder(ctx, sampleOrder(id, "张三", "13812345678", now), Lease{Owner: "me", Until: now.Add(time.Minute)}, now); err != nil {
		t.Fatal(err)
	}
	var err error
	switch status {
	case StatusPlaced:
		err = db.Placed(ctx, id, "WB-"+id, nil, "", "addOrder", now)
	case StatusFailed:
		err = db.Refused(ctx, id, Expect{Version: 1, Owner: "me"}, 9300501, "refused", now)
	case StatusCancelled:
		if err = db.Placed(ctx, id, "WB-"+id, nil, "", "addOrder", now); err == nil {
			err = db.Cancelled(ctx, id, "cancelOrder", now)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	o, err := db.Order(ctx, id)
	if err != nil || o.Status != status {
		t.Fatalf("%s is %v (%v), want %s", id, o, err, status)
	}
	return o
}

// TestEveryTransitionFromEveryState applies each transition to an order in
// each state: it moves the order exactly when the machine allows it, and
// otherwise leaves the row as it was and says what it found.
func TestEveryTransitionFromEveryState(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	apply := map[string]func(id string, o *Order) error{
		TransPlaced.Name: func(id string, _ *Order) error {
			return db.Placed(ctx, id, "WB-NEW-"+id, nil, "", "getOrder", time.Now())
		},
		TransRefused.Name: func(id string, o *Order) error {
			return db.Refused(ctx, id, Expect{Version: o.Version}, 9300501, "x", time.Now())
		},
		TransNotFound.Name: func(id string, o *Order) error {
			l := o.Lease
			return db.NotFound(ctx, id, Expect{Version: o.Version, Lease: &l}, 930563, "x", time.Now())
		},
		TransCancelled.Name: func(id string, _ *Order) error { return db.Cancelled(ctx, id, "cancelOrder", time.Now()) },
		TransResend.Name: func(id string, o *Order) error {
			l := o.Lease
			_, err := db.Resend(ctx, id, Expect{Version: o.Version, Lease: &l}, Lease{Owner: "other", Until: time.Now().Add(time.Minute)}, time.Now())
			return err
		},
		TransResubmit.Name: func(id string, _ *Order) error {
			return db.CreateOrder(ctx, sampleOrder(id, "李四", "13900000000", time.Now()), Lease{Owner: "other"}, time.Now())
		},
	}
	n := 0
	for _, tr := range Transitions {
		for _, from := range []string{StatusSubmitting, StatusPlaced, StatusFailed, StatusCancelled} {
			n++
			id := fmt.Sprintf("T%02d", n)
			t.Run(tr.Name+"/from-"+from, func(t *testing.T) {
				before := orderIn(t, db, id, from)
				err := apply[tr.Name](id, before)
				after, _ := db.Order(ctx, id)
				allowed := tr.Allows(from)
				switch {
				case tr.Name == TransCancelled.Name && from == StatusCancelled:
					// Cancelling twice records nothing new and is no error.
					if err != nil || after.Version != before.Version {
						t.Fatalf("cancel of a cancelled order: %v, version %d -> %d", err, before.Version, after.Version)
					}
				case allowed:
					if err != nil || after.Status != tr.To || after.Version != before.Version+1 {
						t.Fatalf("%s from %s: %v; now %s v%d (was v%d)", tr.Name, from, err, after.Status, after.Version, before.Version)
					}
				case tr.Name == TransResubmit.Name:
					if !errors.Is(err, ErrDuplicate) || after.Status != from || after.Version != before.Version {
						t.Fatalf("resubmit over %s: %v; now %s", from, err, after.Status)
					}
				default:
					var se *StateError
					if !errors.As(err, &se) || !errors.Is(err, ErrOrderState) || se.Status != from {
						t.Fatalf("%s from %s: err %v, want a StateError naming %s", tr.Name, from, err, from)
					}
					if after.Status != from || after.Version != before.Version || after.WaybillID != before.WaybillID {
						t.Fatalf("%s from %s changed the row: %+v", tr.Name, from, after)
					}
				}
			})
		}
	}
}

// TestCompareAndSetLosesToWhoeverMovedFirst: a reconcile that read the
// order before its sender renewed the lease, or before another version,
// cannot settle it; a sender that lost its lease cannot record a refusal
// over a waybill found meanwhile; WeChat's waybill wins over a guess.
func TestCompareAndSetLosesToWhoeverMovedFirst(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	now := time.Now()
	o := orderIn(t, db, "CAS-1", StatusSubmitting)
	read := o.Lease

	// The sender renews its lease after the reconcile read the row.
	if ok, err := db.RenewLease(ctx, "CAS-1", o.Version, Lease{Owner: "me", Until: now.Add(2 * time.Minute)}); !ok || err != nil {
		t.Fatalf("renew: %v %v", ok, err)
	}
	if err := db.NotFound(ctx, "CAS-1", Expect{Version: o.Version, Lease: &read}, 930563, "x", now); !errors.Is(err, ErrOrderState) {
		t.Fatalf("not-found over a renewed lease: %v", err)
	}
	// A wrong version loses too.
	cur, _ := db.Order(ctx, "CAS-1")
	l := cur.Lease
	if err := db.NotFound(ctx, "CAS-1", Expect{Version: cur.Version + 1, Lease: &l}, 930563, "x", now); !errors.Is(err, ErrOrderState) {
		t.Fatalf("not-found at a wrong version: %v", err)
	}
	// Another process takes over after expiry; the first sender's refusal
	// and renewals no longer apply.
	if _, err := db.Resend(ctx, "CAS-1", Expect{Version: cur.Version, Lease: &l}, Lease{Owner: "other", Until: now.Add(time.Minute)}, now); err != nil {
		t.Fatal(err)
	}
	if ok, _ := db.RenewLease(ctx, "CAS-1", cur.Version, Lease{Owner: "me", Until: now.Add(time.Minute)}); ok {
		t.Fatal("the old sender renewed a lease it lost")
	}
	if err := db.Refused(ctx, "CAS-1", Expect{Version: cur.Version, Owner: "me"}, 9300501, "x", now); !errors.Is(err, ErrOrderState) {
		t.Fatalf("refusal by the sender that lost the lease: %v", err)
	}
	// A reconcile that guessed "failed" is overruled by WeChat's waybill.
	g := orderIn(t, db, "CAS-2", StatusSubmitting)
	gl := g.Lease
	if err := db.NotFound(ctx, "CAS-2", Expect{Version: g.Version, Lease: &gl}, 930563, "never placed", now); err != nil {
		t.Fatal(err)
	}
	if err := db.Placed(ctx, "CAS-2", "SF123", nil, "", "addOrder", now); err != nil {
		t.Fatalf("late answer after a guessed failure: %v", err)
	}
	if got, _ := db.Order(ctx, "CAS-2"); got.Status != StatusPlaced || got.WaybillID != "SF123" || got.ErrorCode != 0 || got.SettledBy != "addOrder" {
		t.Fatalf("after the late answer: %+v", got)
	}
	// The same waybill recorded twice is fine; another waybill is not.
	if err := db.Placed(ctx, "CAS-2", "SF123", nil, "", "getOrder", now); err != nil {
		t.Fatalf("same waybill again: %v", err)
	}
	if err := db.Placed(ctx, "CAS-2", "SF999", nil, "", "getOrder", now); !errors.Is(err, ErrOrderState) {
		t.Fatalf("another waybill over a placed order: %v", err)
	}
}

func TestUnsettledOrdersByFingerprint(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	now := time.Now()
	for i, id := range []string{"FP-1", "FP-2", "FP-3"} {
		o := sampleOrder(id, "张三", "13812345678", now.Add(time.Duration(i)*time.Second))
		o.Fingerprint = "same"
		if err := db.CreateOrder(ctx, o, Lease{}, now); err != nil {
			t.Fatal(err)
		}
	}
	db.Placed(ctx, "FP-2", "WB2", nil, "", "addOrder", now)
	got, err := db.SubmittingByFingerprint(ctx, "same")
	if err != nil || len(got) != 2 || got[0].OrderID != "FP-1" || got[1].OrderID != "FP-3" {
		t.Fatalf("unsettled like FP: %v %v", got, err)
	}
	if got, _ := db.SubmittingByFingerprint(ctx, ""); len(got) != 0 {
		t.Fatalf("an empty fingerprint matched %d orders", len(got))
	}
}
