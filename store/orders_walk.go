package store

import (
	"context"
	"fmt"
	"math"
	"strings"
)

// walkPage is how many orders one query of WalkOrders reads.
const walkPage = 500

// WalkOrders calls fn with every order matching q (q.Limit and q.Offset
// aside), newest first as ListOrders sorts them (created_at, then row,
// descending), a page at a time, and stops at fn's first error, which it
// returns. Orders are list rows: no label (HasLabel says whether one is
// stored), and fn's *Order is valid only during the call.
//
// Each page resumes after the last order of the one before (a keyset
// walk), so the whole walk reads each matching row once, however deep it
// goes, where LIMIT/OFFSET paging reads every row before the page again;
// memory holds one page. No transaction spans the walk: fn may use the
// history, and orders created meanwhile are met only if they sort after
// the position reached (set q.To to leave them out).
func (db *DB) WalkOrders(ctx context.Context, q OrderQuery, fn func(*Order) error) error {
	query, args := q.walkSQL()
	page := make([]Order, 0, walkPage)
	ids := make([]int64, 0, walkPage)
	// The first page starts after the newest possible position.
	afterCreated, afterID := int64(math.MaxInt64), int64(math.MaxInt64)
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("walk orders: %w", err)
		}
		page, ids = page[:0], ids[:0]
		if err := db.walkPage(ctx, query, append(args[:len(args):len(args)], afterCreated, afterID, walkPage), &page, &ids); err != nil {
			return fmt.Errorf("walk orders: %w", err)
		}
		// The page is read and its statement closed before fn runs: fn
		// may query the history (its one connection is free again).
		for i := range page {
			if err := fn(&page[i]); err != nil {
				return err
			}
		}
		if len(page) < walkPage {
			return nil
		}
		last := len(page) - 1
		afterCreated, afterID = page[last].CreatedAt.UnixMilli(), ids[last]
	}
}

// walkSQL is the page query of WalkOrders for q, and its arguments but the
// position and the page size, which come last.
func (q OrderQuery) walkSQL() (string, []any) {
	where, args := q.where()
	if where != "" {
		where += " AND "
	}
	// With a search the matches are few: sort them rather than walk the
	// whole date index looking for them ("+" keeps the planner off it), as
	// ListOrders does.
	created := "created_at"
	if strings.TrimSpace(q.Search) != "" {
		created = "+created_at"
	}
	return `SELECT id, ` + listColumns + ` FROM orders WHERE ` + where +
		`(` + created + `, id) < (?, ?) ORDER BY ` + created + ` DESC, id DESC LIMIT ?`, args
}

// walkPage reads one page of WalkOrders into page and the rows' ids into ids.
func (db *DB) walkPage(ctx context.Context, query string, args []any, page *[]Order, ids *[]int64) error {
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		o, err := scanOrder(withID{rows, &id}, false)
		if err != nil {
			return err
		}
		*page = append(*page, *o)
		*ids = append(*ids, id)
	}
	return rows.Err()
}

// withID scans a row whose first column is the row id, then an order.
type withID struct {
	r  scanner
	id *int64
}

func (w withID) Scan(dest ...any) error {
	return w.r.Scan(append([]any{w.id}, dest...)...)
}
