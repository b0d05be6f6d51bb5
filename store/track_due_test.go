package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"
)

// queryPlan is EXPLAIN QUERY PLAN of a query, its steps joined by "; ".
func queryPlan(t *testing.T, db *DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.sql.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(steps, "; ")
}

// tableReads are the opcodes of a query's program that read a table row
// (not an index entry).
func tableReads(t *testing.T, db *DB, query string) []string {
	t.Helper()
	rows, err := db.sql.QueryContext(context.Background(), "EXPLAIN "+query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	tables := map[int64]bool{}
	var reads []string
	for rows.Next() {
		var addr, p1, p2, p3, p5 int64
		var op, p4, comment sql.NullString
		if err := rows.Scan(&addr, &op, &p1, &p2, &p3, &p4, &p5, &comment); err != nil {
			t.Fatal(err)
		}
		switch op.String {
		case "OpenRead", "OpenWrite":
			// An index cursor's P4 is its key info, "k(…)".
			tables[p1] = !strings.HasPrefix(p4.String, "k(")
		case "Column", "Rowid", "SeekRowid", "NotExists":
			if tables[p1] {
				reads = append(reads, fmt.Sprintf("%d %s %d %d", addr, op.String, p1, p2))
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return reads
}

// TestDueOrdersLongestDueFirstFromTheIndex: unscheduled open orders are
// scheduled First after they were created or last moved, orders too old
// are retired, and the due ones come longest-due first, a page at a time,
// each once, never a closed, cancelled or unplaced order; a claim is a
// compare-and-set; and every query walks the partial index without
// sorting.
func TestDueOrdersLongestDueFirstFromTheIndex(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond)
	first := 10 * time.Minute
	rows := []struct {
		id, status, track string
		created           time.Time
		tracked           time.Time
	}{
		{"OLD", StatusPlaced, "", now.Add(-72 * time.Hour), time.Time{}}, // before since
		{"A", StatusPlaced, "", now.Add(-time.Hour), time.Time{}},
		{"B", StatusPlaced, "in_transit", now.Add(-2 * time.Hour), now.Add(-time.Hour - 30*time.Minute).Truncate(time.Second)},
		{"C", StatusPlaced, "signed", now.Add(-2 * time.Hour), time.Time{}},
		{"D", StatusPlaced, "", now.Add(-2 * time.Hour), time.Time{}},
		{"E", StatusFailed, "", now.Add(-2 * time.Hour), time.Time{}},
		{"F", StatusCancelled, "collected", now.Add(-2 * time.Hour), time.Time{}},
		{"G", StatusPlaced, "returned", now.Add(-2 * time.Hour), time.Time{}},
		{"H", StatusPlaced, "exception", now.Add(-3 * time.Hour), time.Time{}},
		{"I", StatusSubmitting, "", now.Add(-2 * time.Hour), time.Time{}},
		{"J", StatusPlaced, "collected", now.Add(-5 * time.Minute), time.Time{}}, // not due yet
	}
	for _, r := range rows {
		o := &Order{OrderID: r.id, DeliveryID: "YTO", BizID: "B", ServiceName: "普通快递", Status: r.status,
			Request: []byte(`{}`), CreatedAt: r.created, TrackStatus: r.track, TrackTime: r.tracked,
			PrintHTML: strings.Repeat("<p>label</p>", 500)}
		if err := db.CopyOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	since := now.Add(-48 * time.Hour)
	n, err := db.ScheduleNewTracks(ctx, now, since, first)
	if err != nil || n != 5 {
		t.Fatalf("scheduled %d (%v), want the 5 open orders since %v", n, err, since)
	}
	if n, err := db.ScheduleNewTracks(ctx, now, since, first); err != nil || n != 0 {
		t.Fatalf("scheduled %d again (%v)", n, err)
	}
	for id, want := range map[string]time.Time{"A": now.Add(-time.Hour + first), "B": now.Add(-time.Hour - 30*time.Minute).Truncate(time.Second).Add(first),
		"H": now.Add(-3*time.Hour + first), "J": now.Add(-5*time.Minute + first), "OLD": {}, "C": {}, "E": {}, "F": {}} {
		if due, _, err := db.TrackSchedule(ctx, id); err != nil || !due.Equal(want) {
			t.Errorf("%s due %v (%v), want %v", id, due, err, want)
		}
	}

	// Longest due first: H (3 h old), D (2 h), B (moved 1.5 h ago), A.
	q := DueQuery{Now: now, Since: since, Limit: 3}
	var got []string
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatalf("the walk does not end: %v", got)
		}
		page, err := db.DueOrders(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page {
			got = append(got, o.OrderID)
			if o.CreatedAt.IsZero() || o.Due.IsZero() {
				t.Errorf("%s: %+v", o.OrderID, o)
			}
		}
		if len(page) < q.Limit {
			break
		}
		q.After = page[len(page)-1].Cursor
	}
	if fmt.Sprint(got) != "[H D B A]" {
		t.Errorf("due orders %v, want [H D B A]", got)
	}

	// A claim moves the order out of the due set; a second claim of the
	// same reading loses.
	page, err := db.DueOrders(ctx, DueQuery{Now: now, Since: since, Limit: 1})
	if err != nil || len(page) != 1 {
		t.Fatal(page, err)
	}
	h := page[0]
	if ok, err := db.ClaimTrack(ctx, &h, now.Add(first), first); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if ok, err := db.ClaimTrack(ctx, &h, now.Add(first), first); ok || err != nil {
		t.Fatalf("second claim of the same reading: %v %v", ok, err)
	}
	if due, wait, _ := db.TrackSchedule(ctx, "H"); !due.Equal(now.Add(first)) || wait != first {
		t.Errorf("H after its claim: due %v wait %v", due, wait)
	}
	if page, _ := db.DueOrders(ctx, DueQuery{Now: now, Since: since}); len(page) != 3 || page[0].OrderID != "D" {
		t.Errorf("after claiming H: %v", page)
	}
	if err := db.ScheduleTrack(ctx, "H", now.Add(-4*time.Hour), 20*time.Minute); err != nil {
		t.Fatal(err)
	}
	if page, _ := db.DueOrders(ctx, DueQuery{Now: now, Since: since}); len(page) != 4 || page[0].OrderID != "H" || page[0].Wait != 20*time.Minute {
		t.Errorf("after scheduling H back: %v", page)
	}

	// Two days on, every order is too old: retired, none due, none read.
	later := now.Add(72 * time.Hour)
	if _, err := db.ScheduleNewTracks(ctx, later, later.Add(-48*time.Hour), first); err != nil {
		t.Fatal(err)
	}
	if page, _ := db.DueOrders(ctx, DueQuery{Now: later, Since: later.Add(-48 * time.Hour)}); len(page) != 0 {
		t.Errorf("orders past the age limit still due: %v", page)
	}
	if due, _, _ := db.TrackSchedule(ctx, "A"); !due.IsZero() {
		t.Errorf("a retired order is due %v", due)
	}

	// The plans: the partial index, in order, no sort, no table scan.
	query, args := DueQuery{Now: now, Since: since, After: h.Cursor}.sql()
	if p := queryPlan(t, db, query, args...); !strings.Contains(p, "USING INDEX orders_track_due (track_due>? AND track_due<?)") ||
		strings.Contains(p, "TEMP B-TREE") {
		t.Errorf("the due query is not a walk of the partial index: %s", p)
	}
	// Retiring and scheduling pick their rows from the index alone: the
	// partial index's terms are not checked again on the table row (whose
	// track_status lies behind the label).
	for _, stmt := range []string{
		`SELECT id ` + fromOpen + ` WHERE ` + openWhere + ` AND track_due <= 1 AND created_at < 1`,
		`SELECT id ` + fromOpen + ` WHERE ` + openWhere + ` AND track_due = 0 ORDER BY created_at LIMIT 1`,
	} {
		if p := queryPlan(t, db, stmt); !strings.Contains(p, "USING INDEX orders_track_due") || strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("%s: %s", stmt, p)
		}
		if reads := tableReads(t, db, stmt); len(reads) > 0 {
			t.Errorf("%s reads the table row: %v", stmt, reads)
		}
	}
	if p := queryPlan(t, db, `UPDATE orders SET track_due = 1 WHERE id = 1 AND `+openWhere+` AND track_due = 1`); !strings.Contains(p, "INTEGER PRIMARY KEY") {
		t.Errorf("the claim is not a row lookup: %s", p)
	}
}
