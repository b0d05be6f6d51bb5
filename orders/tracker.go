package orders

import (
	"context"
	"errors"
	"sync"
	"time"

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
}

// Tracker polls getPath for open orders: soon after a change, then less
// and less often while nothing happens (doubling up to Max), under a
// per-minute budget, pausing on WeChat's rate-limit answers.
type Tracker struct {
	svc  *Service
	opts TrackerOptions

	mu    sync.Mutex
	next  map[string]time.Time     // order_id -> when to poll
	wait  map[string]time.Duration // order_id -> current back-off
	pause time.Time                // no calls before this (45011 / 45009)
}

// NewTracker returns a tracker over the service's history.
func (s *Service) NewTracker(opts TrackerOptions) *Tracker {
	opts.defaults()
	return &Tracker{svc: s, opts: opts, next: map[string]time.Time{}, wait: map[string]time.Duration{}}
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
// and returns how many it polled.
func (t *Tracker) PollDue(ctx context.Context) int {
	now := t.svc.now()
	t.mu.Lock()
	paused := now.Before(t.pause)
	t.mu.Unlock()
	if paused {
		return 0
	}
	open, err := t.svc.List(ctx, Query{Status: StatusPlaced, From: now.Add(-t.opts.MaxAge), Limit: 5000})
	if err != nil {
		t.svc.log.Warn("tracker: list open orders", "err", err)
		return 0
	}
	spacing := time.Minute / time.Duration(t.opts.PerMinute)
	polled := 0
	for i := range open {
		o := &open[i]
		if !Open(o) || !t.due(o, now) {
			continue
		}
		if polled >= t.opts.PerMinute {
			break
		}
		if polled > 0 {
			select {
			case <-ctx.Done():
				return polled
			case <-time.After(spacing):
			}
		}
		polled++
		before := o.TrackTime
		got, _, err := t.svc.Path(ctx, o.OrderID)
		var we *wxapi.Error
		switch {
		case errors.As(err, &we) && (we.Code == wxapi.CodeMinuteQuota || we.Code == wxapi.CodeDailyQuota):
			t.backOffAll(we)
			return polled
		case err != nil:
			t.svc.log.Info("tracker: path not fetched", "order_id", o.OrderID, "err", err)
			t.schedule(o.OrderID, false)
		default:
			t.schedule(o.OrderID, !got.TrackTime.Equal(before))
		}
	}
	return polled
}

// due reports whether an order should be polled now; an order seen for
// the first time is due once First has passed since it last changed.
func (t *Tracker) due(o *Order, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
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
