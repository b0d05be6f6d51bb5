package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestOpenOrdersWalksEveryOpenOrderOnce: paging from the zero cursor meets
// each placed order not signed or returned and not too old exactly once,
// oldest first (orders placed in the same millisecond too), and nothing
// else; the page query walks an index without sorting.
func TestOpenOrdersWalksEveryOpenOrderOnce(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	rows := []struct {
		id, status, track string
		created           time.Time
	}{
		{"OLD", StatusPlaced, "", base.Add(-72 * time.Hour)}, // before since
		{"A", StatusPlaced, "", base},
		{"B", StatusPlaced, "in_transit", base.Add(time.Minute)},
		{"C", StatusPlaced, "signed", base.Add(time.Minute)},
		{"D", StatusPlaced, "", base.Add(time.Minute)}, // same time as B and C
		{"E", StatusFailed, "", base.Add(2 * time.Minute)},
		{"F", StatusCancelled, "collected", base.Add(3 * time.Minute)},
		{"G", StatusPlaced, "returned", base.Add(4 * time.Minute)},
		{"H", StatusPlaced, "exception", base.Add(5 * time.Minute)},
		{"I", StatusSubmitting, "", base.Add(6 * time.Minute)},
		{"J", StatusPlaced, "collected", base.Add(7 * time.Minute)},
	}
	// Written in another order than created: the walk follows created_at.
	for _, i := range []int{3, 0, 8, 1, 10, 5, 2, 9, 4, 7, 6} {
		r := rows[i]
		// Raw rows: only the columns the walk reads matter here.
		if _, err := db.sql.ExecContext(ctx, `INSERT INTO orders (order_id, delivery_id, biz_id, service_type, service_name,
			status, request, created_at, updated_at, track_status) VALUES (?, 'YTO', 'B', 0, '普通快递', ?, '{}', ?, ?, ?)`,
			r.id, r.status, r.created.UnixMilli(), r.created.UnixMilli(), r.track); err != nil {
			t.Fatal(err)
		}
	}
	q := OpenQuery{Since: base.Add(-time.Hour), Closed: []string{"signed", "returned"}, Limit: 2}
	var got []string
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatalf("the walk does not end: %v", got)
		}
		page, err := db.OpenOrders(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page {
			got = append(got, o.OrderID)
			if o.CreatedAt.IsZero() {
				t.Errorf("%s has no creation time", o.OrderID)
			}
		}
		if len(page) < q.Limit {
			break
		}
		q.After = page[len(page)-1].Cursor
	}
	// B and D share a millisecond: the row order (B was written after D)
	// does not matter, each comes once.
	if len(got) != 5 || got[0] != "A" || got[3] != "H" || got[4] != "J" || fmt.Sprint(slices.Sorted(slices.Values(got[1:3]))) != "[B D]" {
		t.Errorf("walk met %v, want A, B and D, H, J", got)
	}

	query, args := OpenQuery{Since: base, Closed: []string{"signed", "returned"}}.sql()
	plan, err := db.sql.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer plan.Close()
	var steps []string
	for plan.Next() {
		var id, parent, unused int
		var detail string
		if err := plan.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	p := strings.Join(steps, "; ")
	if !strings.Contains(p, "USING INDEX orders_status (status=? AND created_at>?)") || strings.Contains(p, "TEMP B-TREE") {
		t.Errorf("the page query is not an index walk: %s", p)
	}
}
