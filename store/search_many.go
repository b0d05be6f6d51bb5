package store

import (
	"context"
	"fmt"
)

// searchSortMost is how many matches of a search ListOrders sorts by
// date itself. Beyond it (the first characters of an order id, a common
// surname: hundreds of thousands of rows on a big history) sorting them all
// to show 200 took seconds and memory, each row read with its label; the
// list walks the date index newest first instead and stops when the page
// is full, which is quick precisely because matches are many.
var searchSortMost = 2000

// manyMatches reports whether search matches more than searchSortMost
// orders, counting no further than that.
func (db *DB) manyMatches(ctx context.Context, search string) (bool, error) {
	ids, args := searchIDs(search)
	var n int
	err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM (`+ids+`) LIMIT ?)`,
		append(args, searchSortMost+1)...).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("list orders matching %q: %w", search, err)
	}
	return n > searchSortMost, nil
}
