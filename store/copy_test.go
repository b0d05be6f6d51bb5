package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestCopyOrdersWritesSearchableRowsOrNone(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.Local)
	label := base64.StdEncoding.EncodeToString([]byte("<html><body>SF1234567890123</body></html>"))
	list := []Order{
		{OrderID: "C1", DeliveryID: "SF", Status: StatusPlaced, WaybillID: "SF1", PrintHTML: label,
			ReceiverName: "王小明", ReceiverPhone: "13800001111", CreatedAt: at, Request: []byte("{}")},
		{OrderID: "C2", DeliveryID: "SF", Status: StatusPlaced, WaybillID: "SF2", PrintHTML: label,
			ReceiverName: "李华", ReceiverPhone: "13900002222", CreatedAt: at.Add(time.Minute), Request: []byte("{}")},
	}
	if err := db.CopyOrders(ctx, list); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"小明", "2222", "SF2", "C1"} {
		got, err := db.ListOrders(ctx, OrderQuery{Search: q})
		if err != nil || len(got) != 1 {
			t.Fatalf("search %q: %d orders, %v", q, len(got), err)
		}
	}
	o, err := db.Order(ctx, "C2")
	if err != nil || o.PrintHTML != label || o.Version != 1 || !o.UpdatedAt.Equal(o.CreatedAt) {
		t.Fatalf("C2 = %+v, %v", o, err)
	}
	// A taken order_id fails the batch: C3 before it is not written either.
	err = db.CopyOrders(ctx, []Order{{OrderID: "C3", Request: []byte("{}")}, {OrderID: "C1", Request: []byte("{}")}})
	if !errors.Is(err, ErrDuplicate) {
		t.Fatalf("copy over C1: %v, want ErrDuplicate", err)
	}
	if _, err := db.Order(ctx, "C3"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("C3 after a failed batch: %v, want not found", err)
	}
}

func TestListOrdersManyMatchesNewestFirst(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.Local)
	var list []Order
	for i := range 40 {
		name := "王小明"
		if i%2 == 1 {
			name = "李华"
		}
		// Ids do not sort like dates: the list must follow created_at.
		list = append(list, Order{OrderID: fmt.Sprintf("M%02d", (i*7)%40), Status: StatusPlaced, ReceiverName: name,
			ReceiverPhone: "13800001111", CreatedAt: at.Add(time.Duration(i) * time.Minute), Request: []byte("{}")})
	}
	if err := db.CopyOrders(ctx, list); err != nil {
		t.Fatal(err)
	}
	page := func(q OrderQuery) []string {
		got, err := db.ListOrders(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, o := range got {
			ids = append(ids, o.OrderID)
		}
		return ids
	}
	for _, q := range []OrderQuery{{Search: "王", Limit: 5}, {Search: "M", Limit: 7, Offset: 3}, {Search: "M", Status: StatusPlaced, Limit: 50}} {
		sorted := page(q)
		defer func(n int) { searchSortMost = n }(searchSortMost)
		searchSortMost = 3
		walked := page(q)
		searchSortMost = 2000
		if fmt.Sprint(sorted) != fmt.Sprint(walked) || len(sorted) == 0 {
			t.Fatalf("%+v: sorted %v, walked %v", q, sorted, walked)
		}
	}
}
