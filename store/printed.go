package store

import "context"

// ListOrdersPrinted is ListOrders limited to the orders that have (printed
// true) or do not have (false) a print job that is done. It is ListOrders
// with OrderQuery.Printed set, kept for its callers.
func (db *DB) ListOrdersPrinted(ctx context.Context, q OrderQuery, printed bool) ([]Order, error) {
	q.Printed = &printed
	return db.ListOrders(ctx, q)
}
