package orders

import "sync"

// Change says an order changed: placed, refused, reconciled, cancelled, or
// its parcel moved (tracking by poll or push). The window follows it
// without polling the history.
type Change struct {
	OrderID string
	What    string // "place", "refused", "reconcile", "cancel" or "track"
}

// changes fans changes out to subscribers; a slow subscriber misses
// changes rather than slowing the service (it only refreshes a view).
type changes struct {
	mu   sync.Mutex
	subs map[chan Change]struct{}
}

// Subscribe delivers the service's changes until stop is called.
func (s *Service) Subscribe(buffer int) (<-chan Change, func()) {
	ch := make(chan Change, buffer)
	s.changes.mu.Lock()
	if s.changes.subs == nil {
		s.changes.subs = map[chan Change]struct{}{}
	}
	s.changes.subs[ch] = struct{}{}
	s.changes.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			s.changes.mu.Lock()
			delete(s.changes.subs, ch)
			s.changes.mu.Unlock()
			close(ch)
		})
	}
}

func (s *Service) publish(orderID, what string) {
	s.changes.mu.Lock()
	defer s.changes.mu.Unlock()
	for ch := range s.changes.subs {
		select {
		case ch <- Change{OrderID: orderID, What: what}:
		default:
		}
	}
}
