package orders

import "context"

// ListPrinted returns the orders matching q that have (printed true) or
// have not (false) had a label printed, newest first.
func (s *Service) ListPrinted(ctx context.Context, q Query, printed bool) ([]Order, error) {
	return s.db.ListOrdersPrinted(ctx, q, printed)
}
