package store

import (
	"context"
	"encoding/base64"
	"errors"
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
