package orders

import (
	"context"
	"errors"
	"sync"
	"time"

	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// TrackerOptions tune how often open orders are polled with getPath.
type TrackerOptions struct {
	// First is the wait after an order is placed or last changed; default 10 minutes.
	First time.Duration
	// Max is the longest wait between polls of a quiet order; default 6 hours.
	Max time.Duration
	// PerMinute caps getPath calls, well under WeChat's limits; default 60.
	PerMinute int
	// MaxAge stops polling orders older than this; default 30 days.
	MaxAge time.Duration
	// Scan is how often the history is checked for orders that are due; default 1 minute.
	Scan time.Duration
	// Page is how many open orders one history query reads; default 500.
	Page int
}

func (o *TrackerOptions) defaults() {
	if o.First <= 0 {
		o.First = 10 * time.Minute
	}
	if o.Max <= 0 {
		o.Max = 6 * time.Hour
	}
	if o.PerMinute <= 0 {
		o.PerMinute = 60
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 30 * 24 * time.Hour
	}
	if o.Scan <= 0 {
		o.Scan = time.Minute
	}
	if o.Page <= 0 {
		o.Page = 500
	}
}

// closedStages end tracking; Open says the same of one order.
var closedStages = []string{TrackSigned, TrackReturned}

// Tracker polls getPath for open orders: soon after a change, then less
// and less often while nothing happens (doubling up to Max), under a
// per-minute budget, pausing on WeChat's rate-limit answers.
//
// It walks the open orders oldest first, a page at a time, resuming where
// the budget stopped it, and starts again from the oldest at the end: every
// open order gets its turn however many there are. At the end of a walk it
// forgets the orders the walk did not meet (signed, returned, cancelled,
// too old), so its memory follows the open orders, not the history.
type Tracker struct {
	svc  *Service
	opts TrackerOptions

	mu     sync.Mutex
	next   map[string]time.Time     // order_id -> when to poll
	wait   map[string]time.Duration // order_id -> current back-off
	met    map[string]uint64        // order_id -> the walk that last met it
	walk   uint64                   // the current walk
	cursor store.OpenCursor         // where the walk goes on
	pause  time.Time                // no calls before this (45011 / 45009)
}

// NewTracker returns a tracker over the service's history.
func (s *Service) NewTracker(opts TrackerOptions) *Tracker {
	opts.defaults()
	return &Tracker{svc: s, opts: opts, next: map[string]time.Time{}, wait: map[string]time.Duration{},
		met: map[string]uint64{}}
}

// Run polls until ctx ends.
func (t *Tracker) Run(ctx context.Context) {
	tick := time.NewTicker(t.opts.Scan)
	defer tick.Stop()
	for {
		t.PollDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// PollDue polls the open orders whose time has come, within the budget,
// and returns how many it polled. It goes on from where the last call
// stopped to the end of the open orders, then starts the next walk.
func (t *Tracker) PollDue(ctx context.Context) int {
	now := t.svc.now()
	t.mu.Lock()
	paused := now.Before(t.pause)
	t.mu.Unlock()
	if paused {
		return 0
	}
	spacing := time.Minute / time.Duration(t.opts.PerMinute)
	polled := 0
	for {
		t.mu.Lock()
		after := t.cursor
		t.mu.Unlock()
		page, err := t.svc.db.OpenOrders(ctx, store.OpenQuery{Since: now.Add(-t.opts.MaxAge), After: after,
			Closed: closedStages, Limit: t.opts.Page})
		if err != nil {
			t.svc.log.Warn("tracker: list open orders", "err", err)
			return polled
		}
		for i := range page {
			o := &page[i]
			if !t.due(o, now) {
				t.advance(o.Cursor)
				continue
			}
			// Out of budget: the cursor stays before o, so the next call
			// starts with it.
			if polled >= t.opts.PerMinute {
				return polled
			}
			if polled > 0 {
				select {
				case <-ctx.Done():
					return polled
				case <-time.After(spacing):
				}
			}
			polled++
			t.advance(o.Cursor)
			if t.poll(ctx, o) {
				return polled
			}
		}
		if len(page) < t.opts.Page {
			t.endWalk()
			return polled
		}
	}
}

// poll asks for one order's path and schedules its next poll; it reports
// whether WeChat's rate limit stopped all polling.
func (t *Tracker) poll(ctx context.Context, o *store.OpenOrder) (stop bool) {
	got, _, err := t.svc.Path(ctx, o.OrderID)
	var we *wxapi.Error
	switch {
	case errors.As(err, &we) && (we.Code == wxapi.CodeMinuteQuota || we.Code == wxapi.CodeDailyQuota):
		t.backOffAll(we)
		return true
	case err != nil:
		t.svc.log.Info("tracker: path not fetched", "order_id", o.OrderID, "err", err)
		t.schedule(o.OrderID, false)
	case !Open(got):
		// Signed or returned just now: nothing more to ask.
		t.forget(o.OrderID)
	default:
		t.schedule(o.OrderID, !got.TrackTime.Equal(o.TrackTime))
	}
	return false
}

// advance moves the walk past an order.
func (t *Tracker) advance(c store.OpenCursor) {
	t.mu.Lock()
	t.cursor = c
	t.mu.Unlock()
}

// endWalk starts the next walk from the oldest open order and forgets the
// orders this walk did not meet: they are no longer open.
func (t *Tracker) endWalk() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, w := range t.met {
		if w != t.walk {
			delete(t.met, id)
			delete(t.next, id)
			delete(t.wait, id)
		}
	}
	t.walk++
	t.cursor = store.OpenCursor{}
}

// forget drops an order's schedule.
func (t *Tracker) forget(orderID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.met, orderID)
	delete(t.next, orderID)
	delete(t.wait, orderID)
}

// due reports whether an order should be polled now; an order seen for
// the first time is due once First has passed since it last changed.
func (t *Tracker) due(o *store.OpenOrder, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.met[o.OrderID] = t.walk
	next, ok := t.next[o.OrderID]
	if !ok {
		last := o.CreatedAt
		if o.TrackTime.After(last) {
			last = o.TrackTime
		}
		next = last.Add(t.opts.First)
		t.next[o.OrderID] = next
	}
	return !now.Before(next)
}

// schedule sets an order's next poll: soon after news, later after silence.
func (t *Tracker) schedule(orderID string, changed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.wait[orderID]
	switch {
	case changed || w == 0:
		w = t.opts.First
	default:
		w *= 2
	}
	if w > t.opts.Max {
		w = t.opts.Max
	}
	t.wait[orderID] = w
	t.next[orderID] = t.svc.now().Add(w)
}

// backOffAll pauses every poll after a rate-limit answer: until the next
// minute for 45011, until tomorrow for the daily quota.
func (t *Tracker) backOffAll(we *wxapi.Error) {
	now := t.svc.now()
	until := now.Add(we.RetryAfter(now))
	if we.Code == wxapi.CodeDailyQuota {
		y, m, d := now.Date()
		until = time.Date(y, m, d+1, 0, 0, 0, 0, now.Location())
	}
	t.mu.Lock()
	t.pause = until
	t.mu.Unlock()
	t.svc.log.Warn("tracker: WeChat rate limit, pausing", "errcode", we.Code, "until", until)
}

// NextPoll returns when an order is due next (zero when unknown).
func (t *Tracker) NextPoll(orderID string) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.next[orderID]
}
