package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestWalkOrdersMeetsWhatListOrdersShows: over more than two pages, with
// many orders sharing a millisecond, the walk meets every order a filter
// matches exactly once and in ListOrders' order; fn may use the history
// while walking; fn's error stops the walk; and the page query walks an
// index without sorting, so a deep page costs what the first does.
func TestWalkOrdersMeetsWhatListOrdersShows(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	const n = 2*walkPage + 123
	for i := range n {
		status, courier := StatusPlaced, "YTO"
		if i%3 == 0 {
			status = StatusFailed
		}
		if i%5 == 0 {
			courier = "ZTO"
		}
		// Seven orders a millisecond, written out of order: ties sort by row.
		o := sampleOrder(fmt.Sprintf("W%05d", (i*7919)%n), fmt.Sprintf("收件人%d", i%11), fmt.Sprintf("1380000%04d", i),
			base.Add(time.Duration(i/7)*time.Millisecond))
		o.Status, o.DeliveryID = status, courier
		if err := db.CopyOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []OrderQuery{
		{},
		{Status: StatusPlaced},
		{DeliveryID: "ZTO"},
		{From: base.Add(20 * time.Millisecond), To: base.Add(150 * time.Millisecond)},
		{Search: "收件人3"},
		{Status: StatusFailed, DeliveryID: "YTO", From: base.Add(10 * time.Millisecond)},
	} {
		want := q
		want.Limit = 10 * n
		list, err := db.ListOrders(ctx, want)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		err = db.WalkOrders(ctx, q, func(o *Order) error {
			got = append(got, o.OrderID)
			if o.PrintHTML != "" || len(o.Request) == 0 {
				return fmt.Errorf("%s is not a list row", o.OrderID)
			}
			// The history is free to use while walking.
			_, err := db.Order(ctx, o.OrderID)
			return err
		})
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		var ids []string
		for _, o := range list {
			ids = append(ids, o.OrderID)
		}
		if len(ids) == 0 || !slices.Equal(got, ids) {
			t.Errorf("%+v: walked %d orders, the list shows %d, or in another order", q, len(got), len(ids))
		}
		if len(slices.Compact(slices.Sorted(slices.Values(got)))) != len(got) {
			t.Errorf("%+v: an order met twice", q)
		}
	}

	stop := errors.New("enough")
	seen := 0
	if err := db.WalkOrders(ctx, OrderQuery{}, func(*Order) error { seen++; return stop }); !errors.Is(err, stop) || seen != 1 {
		t.Errorf("fn's error: %v after %d orders", err, seen)
	}

	for _, c := range []struct {
		q    OrderQuery
		want string
	}{
		{OrderQuery{}, "USING INDEX orders_created (created_at<?)"},
		{OrderQuery{Status: StatusPlaced}, "USING INDEX orders_status (status=? AND created_at<?)"},
		{OrderQuery{DeliveryID: "ZTO", From: base}, "USING INDEX orders_created (created_at>? AND created_at<?)"},
	} {
		query, args := c.q.walkSQL()
		p := queryPlan(t, db, query, append(args, base.UnixMilli(), 1, walkPage)...)
		if !strings.Contains(p, c.want) || strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("%+v: the page query is not an index walk: %s", c.q, p)
		}
	}
}
