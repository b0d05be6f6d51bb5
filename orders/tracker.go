package orders

import (
	"context"
	"errors"
	"fmt"
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
	// Page is how many due orders one history query reads; default 500.
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

// closedStages end tracking; Open says the same of one order. The
// history's index of open orders spells them too (store.ClosedTrackStages).
var closedStages = []string{TrackSigned, TrackReturned}

// Tracker polls getPath for open orders: soon after a change, then less
// and less often while nothing happens (doubling up to Max), under a
// per-minute budget spent on the longest-due orders first, pausing on
// WeChat's rate-limit answers.
//
// The schedule lives in the history (store.DueOrders, ClaimTrack,
// ScheduleTrack), not in the tracker: its memory does not grow with the
// open orders, a restart goes on where the last run stopped, and two
// trackers on one history (two windows) never poll one order twice.
type Tracker struct {
	svc  *Service
	opts TrackerOptions
	// sleep waits d unless ctx ends first (false then); tests replace it.
	sleep func(ctx context.Context, d time.Duration) bool

	mu    sync.Mutex
	pause time.Time // no calls before this (45011 / 45009)
}

// NewTracker returns a tracker over the service's history.
func (s *Service) NewTracker(opts TrackerOptions) *Tracker {
	opts.defaults()
	return &Tracker{svc: s, opts: opts, sleep: sleepCtx}
}

// sleepCtx waits d or until ctx ends, and reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
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

// PollDue polls the open orders whose time has come, the longest due
// first, at most PerMinute of them spaced over the minute, and returns how
// many it polled. Orders left over wait for the next call, ahead of those
// that come due later.
func (t *Tracker) PollDue(ctx context.Context) int {
	now := t.svc.now()
	t.mu.Lock()
	paused := now.Before(t.pause)
	t.mu.Unlock()
	if paused {
		return 0
	}
	since := now.Add(-t.opts.MaxAge)
	if _, err := t.svc.db.ScheduleNewTracks(ctx, now, since, t.opts.First); err != nil {
		t.svc.log.Warn("tracker: schedule new orders", "err", err)
		return 0
	}
	spacing := time.Minute / time.Duration(t.opts.PerMinute)
	polled := 0
	var after store.DueCursor
	for polled < t.opts.PerMinute {
		limit := min(t.opts.Page, t.opts.PerMinute-polled)
		page, err := t.svc.db.DueOrders(ctx, store.DueQuery{Now: now, Since: since, After: after, Limit: limit})
		if err != nil {
			t.svc.log.Warn("tracker: list due orders", "err", err)
			return polled
		}
		for i := range page {
			o := &page[i]
			after = o.Cursor
			if polled > 0 && !t.sleep(ctx, spacing) {
				return polled
			}
			// Claimed with the schedule of a poll without news: a crash
			// during the poll leaves the order scheduled, not lost.
			wait := t.quietWait(o.Wait)
			ok, err := t.svc.db.ClaimTrack(ctx, o, t.svc.now().Add(wait), wait)
			if err != nil {
				t.svc.log.Warn("tracker: claim order", "order_id", o.OrderID, "err", err)
				return polled
			}
			if !ok {
				continue // another tracker has it, or it closed meanwhile
			}
			polled++
			if t.poll(ctx, o) {
				return polled
			}
		}
		if len(page) < limit {
			break
		}
	}
	return polled
}

// quietWait is the back-off after a poll that brought no news: First the
// first time, then doubling up to Max.
func (t *Tracker) quietWait(w time.Duration) time.Duration {
	if w <= 0 {
		w = t.opts.First
	} else {
		w *= 2
	}
	return min(w, t.opts.Max)
}

// poll asks for one claimed order's path and moves its schedule when the
// answer calls for it; it reports whether WeChat's rate limit stopped all
// polling.
func (t *Tracker) poll(ctx context.Context, o *store.DueOrder) (stop bool) {
	got, _, err := t.svc.Path(ctx, o.OrderID)
	var we *wxapi.Error
	switch {
	case errors.As(err, &we) && (we.Code == wxapi.CodeMinuteQuota || we.Code == wxapi.CodeDailyQuota):
		t.backOffAll(we)
		// Not polled after all: it keeps its place at the head of the line.
		t.schedule(ctx, o.OrderID, o.Due, o.Wait)
		return true
	case err != nil:
		// Keeps the back-off it was claimed with.
		t.svc.log.Info("tracker: path not fetched", "order_id", o.OrderID, "err", err)
	case !Open(got):
		// Signed or returned just now: out of the open orders for good.
	case !got.TrackTime.Equal(o.TrackTime):
		// News: ask again soon.
		w := min(t.opts.First, t.opts.Max)
		t.schedule(ctx, o.OrderID, t.svc.now().Add(w), w)
	}
	return false
}

// schedule sets an order's next poll, logging a failure: the claim already
// scheduled it, so the order is polled again either way.
func (t *Tracker) schedule(ctx context.Context, orderID string, due time.Time, wait time.Duration) {
	if err := t.svc.db.ScheduleTrack(ctx, orderID, due, wait); err != nil {
		t.svc.log.Warn("tracker: schedule order", "order_id", orderID, "err", err)
	}
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

// NextPoll returns when an order is due to be polled next: zero when it is
// not tracked (signed, returned, cancelled, too old, or not scheduled yet).
func (t *Tracker) NextPoll(ctx context.Context, orderID string) (time.Time, error) {
	due, _, err := t.svc.db.TrackSchedule(ctx, orderID)
	if err != nil {
		return time.Time{}, fmt.Errorf("tracker: %w", err)
	}
	return due, nil
}
