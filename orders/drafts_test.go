package orders

import (
	"context"
	"errors"
	"testing"
)

// TestDraftIsPlacedOnceByItsNumber: a draft keeps its order number, writes
// nothing to the history, and placing it turns it into an order and
// removes it; a second placing finds no draft.
func TestDraftIsPlacedOnceByItsNumber(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	req := example(t)
	req.OrderID = "TB-DRAFT-0001"
	r, err := e.svc.SaveDraft(ctx, req)
	if err != nil || r.OrderID != "TB-DRAFT-0001" {
		t.Fatalf("SaveDraft = %+v, %v", r, err)
	}
	if n := count(t, e.db); n != 0 {
		t.Fatalf("a draft wrote %d orders", n)
	}
	if _, err := e.svc.Draft(ctx, "TB-DRAFT-0001"); err != nil {
		t.Fatal(err)
	}
	o, err := e.svc.PlaceDraft(ctx, " TB-DRAFT-0001 ")
	if err != nil || o.Status != StatusPlaced || o.WaybillID == "" {
		t.Fatalf("PlaceDraft = %+v, %v", o, err)
	}
	if _, err := e.svc.Draft(ctx, "TB-DRAFT-0001"); !errors.Is(err, ErrNoDraft) {
		t.Errorf("the draft is still there: %v", err)
	}
	if _, err := e.svc.PlaceDraft(ctx, "TB-DRAFT-0001"); !errors.Is(err, ErrNoDraft) {
		t.Errorf("placing it again: %v", err)
	}
	// An order number already in the history cannot become a draft.
	if _, err := e.svc.SaveDraft(ctx, req); err == nil {
		t.Error("a placed order number was saved as a draft")
	}
	// The printed filter: no label was printed (the Orders screen's test
	// prints one and filters again).
	list, err := e.svc.ListPrinted(ctx, Query{}, false)
	if err != nil || len(list) != 1 {
		t.Errorf("not printed: %d, %v", len(list), err)
	}
	if list, _ := e.svc.ListPrinted(ctx, Query{}, true); len(list) != 0 {
		t.Errorf("printed: %d orders", len(list))
	}
}

// TestOperatorsBindAndUnbind: the printer operators (getPrinter /
// updatePrinter) against the sandbox.
func TestOperatorsBindAndUnbind(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.svc.SetOperator(ctx, "oOPERATOR00000000000000001", true, "12, 34"); err != nil {
		t.Fatal(err)
	}
	resp, err := e.svc.Operators(ctx)
	if err != nil || len(resp.OpenID) != 1 || resp.OpenID[0] != "oOPERATOR00000000000000001" {
		t.Fatalf("Operators = %+v, %v", resp, err)
	}
	if err := e.svc.SetOperator(ctx, "oOPERATOR00000000000000001", false, ""); err != nil {
		t.Fatal(err)
	}
	if resp, _ := e.svc.Operators(ctx); len(resp.OpenID) != 0 {
		t.Errorf("still listed: %+v", resp)
	}
}
