package batch

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"waybilldesk/store"
)

// TestExportWritesEveryMatchingRowOnceInOrder: a filtered export of a
// history over several pages of the walk, with orders sharing a
// millisecond across page boundaries, writes each matching order exactly
// once, newest first as the Orders list shows them, and nothing else.
func TestExportWritesEveryMatchingRowOnceInOrder(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	const n = 1600
	type row struct {
		id      string
		created time.Time
		seq     int // the row id order
	}
	var want []row
	for i := range n {
		o := store.Order{OrderID: fmt.Sprintf("F%05d", (i*7919)%n), DeliveryID: "ZTO", Status: store.StatusPlaced,
			Request: json.RawMessage(`{}`), ReceiverName: "王小蒙", ReceiverPhone: "18610000000",
			CreatedAt: base.Add(time.Duration(i/3) * time.Millisecond)} // three orders a millisecond
		if i%4 == 0 {
			o.DeliveryID = "YTO"
		}
		if i%7 == 0 {
			o.Status = store.StatusFailed
		}
		if err := db.CopyOrder(ctx, &o); err != nil {
			t.Fatal(err)
		}
		if o.DeliveryID == "ZTO" && o.Status == store.StatusPlaced {
			want = append(want, row{o.OrderID, o.CreatedAt, i})
		}
	}
	slices.SortFunc(want, func(a, b row) int {
		if c := b.created.Compare(a.created); c != 0 {
			return c
		}
		return b.seq - a.seq
	})
	var buf bytes.Buffer
	q := store.OrderQuery{DeliveryID: "ZTO", Status: store.StatusPlaced}
	got, err := Export(ctx, db, q, FormatCSV, &buf)
	if err != nil || got != len(want) || got <= 2*exportPage {
		t.Fatalf("exported %d, %v; want %d over more than two pages", got, err, len(want))
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var ids, wantIDs []string
	for _, r := range recs[1:] {
		ids = append(ids, r[0])
		if r[3] != "ZTO" || r[2] != store.StatusPlaced {
			t.Fatalf("row %v does not match the filter", r)
		}
	}
	for _, r := range want {
		wantIDs = append(wantIDs, r.id)
	}
	if !slices.Equal(ids, wantIDs) {
		for i := range min(len(ids), len(wantIDs)) {
			if ids[i] != wantIDs[i] {
				t.Fatalf("%d rows, want %d; row %d is %s, want %s", len(ids), len(wantIDs), i, ids[i], wantIDs[i])
			}
		}
		t.Fatalf("%d rows, want %d", len(ids), len(wantIDs))
	}
}
