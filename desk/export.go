package desk

import (
	"context"

	"waybilldesk/orders"
	"waybilldesk/orders/batch"
)

// ExportHistory writes the orders of the history matching q (all pages;
// q.Limit and q.Offset are ignored) to path as CSV or XLSX after its
// extension, calling progress (when not nil) with the orders written and
// the total. The file appears complete or not at all; cancelling ctx stops
// the export. It returns how many orders were written.
func (d *Desk) ExportHistory(ctx context.Context, path string, q orders.Query, progress func(done, total int)) (int, error) {
	return batch.ExportFile(ctx, d.DB, path, q, batch.ExportOptions{Progress: progress})
}
