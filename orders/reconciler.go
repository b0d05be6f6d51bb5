package orders

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ReconcilerOptions tune how often unknown outcomes are checked.
type ReconcilerOptions struct {
	// Scan is how often the history is looked at for submitting orders;
	// default 15 s.
	Scan time.Duration
	// First is the wait before an order is checked again after a check
	// that did not settle it; it doubles up to Max. Defaults 15 s and 10 min.
	First, Max time.Duration
	// Batch is how many submitting orders one scan looks at, oldest first;
	// default 200.
	Batch int
	// OnSettled, when set, is told of each order a check settled.
	OnSettled func(Order)
}

func (o *ReconcilerOptions) defaults() {
	if o.Scan <= 0 {
		o.Scan = 15 * time.Second
	}
	if o.First <= 0 {
		o.First = 15 * time.Second
	}
	if o.Max <= 0 {
		o.Max = 10 * time.Minute
	}
	if o.Batch <= 0 {
		o.Batch = 200
	}
}

// Reconciler settles orders whose outcome is unknown while a program runs
// (the window, events serve, a long import): each submitting order whose
// lease has expired is checked with getOrder, then again later and less
// often (doubling up to Max) while WeChat cannot tell, so an answer lost
// at 10:02 is settled by 10:03 without a restart.
type Reconciler struct {
	svc  *Service
	opts ReconcilerOptions

	mu    sync.Mutex
	next  map[string]time.Time     // order_id -> not before
	wait  map[string]time.Duration // order_id -> current back-off
	pause time.Time                // no calls before this (rate limits, credentials)
}

// NewReconciler returns a reconciler over the service's history.
func (s *Service) NewReconciler(opts ReconcilerOptions) *Reconciler {
	opts.defaults()
	return &Reconciler{svc: s, opts: opts, next: map[string]time.Time{}, wait: map[string]time.Duration{}}
}

// Run checks due orders at once and then every Scan, until ctx ends.
func (r *Reconciler) Run(ctx context.Context) {
	t := time.NewTicker(r.opts.Scan)
	defer t.Stop()
	for {
		r.CheckDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CheckDue checks the submitting orders that are due and returns how many
// it settled.
func (r *Reconciler) CheckDue(ctx context.Context) int {
	now := r.svc.now()
	r.mu.Lock()
	paused := now.Before(r.pause)
	r.mu.Unlock()
	if paused {
		return 0
	}
	list, err := r.svc.db.Submitting(ctx, r.opts.Batch)
	if err != nil {
		r.svc.log.Warn("reconciler: list submitting orders", "err", err)
		return 0
	}
	r.forgetAllBut(list)
	settled := 0
	for i := range list {
		o := &list[i]
		if !r.due(o.OrderID, now) || r.svc.inFlight.has(o.OrderID) || r.svc.leaseLive(o.Lease, now) {
			continue
		}
		got, err := r.svc.settle(ctx, o)
		if ctx.Err() != nil {
			return settled
		}
		var pe *PendingError
		switch {
		case err == nil && got.Status != StatusSubmitting:
			settled++
			r.forget(o.OrderID)
			if r.opts.OnSettled != nil {
				r.opts.OnSettled(*got)
			}
		case errors.As(err, &pe) && !pe.Until.IsZero():
			r.backOff(o.OrderID, pe.Until)
		case stopsAll(err):
			r.mu.Lock()
			r.pause = r.svc.now().Add(r.opts.First)
			r.mu.Unlock()
			r.svc.log.Warn("reconciler: WeChat turns calls away, pausing", "err", err)
			return settled
		default:
			if err != nil {
				r.svc.log.Info("reconciler: not settled", "order_id", o.OrderID, "err", err)
			}
			r.backOff(o.OrderID, time.Time{})
		}
	}
	return settled
}

func (r *Reconciler) due(orderID string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !now.Before(r.next[orderID])
}

// backOff schedules an order's next check: no sooner than notBefore, and
// doubling the wait after each check that did not settle it.
func (r *Reconciler) backOff(orderID string, notBefore time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.wait[orderID]
	if w == 0 {
		w = r.opts.First
	} else {
		w *= 2
	}
	if w > r.opts.Max {
		w = r.opts.Max
	}
	r.wait[orderID] = w
	next := r.svc.now().Add(w)
	if notBefore.After(next) {
		next = notBefore
	}
	r.next[orderID] = next
}

func (r *Reconciler) forget(orderID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.next, orderID)
	delete(r.wait, orderID)
}

// forgetAllBut drops the schedules of orders no longer submitting, when
// the scan saw every submitting order.
func (r *Reconciler) forgetAllBut(list []Order) {
	if len(list) >= r.opts.Batch {
		return
	}
	keep := make(map[string]bool, len(list))
	for i := range list {
		keep[list[i].OrderID] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for id := range r.next {
		if !keep[id] {
			delete(r.next, id)
			delete(r.wait, id)
		}
	}
}

// Scheduled reports how many orders have a pending check scheduled.
func (r *Reconciler) Scheduled() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.next)
}
