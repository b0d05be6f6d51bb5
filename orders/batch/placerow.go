package batch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"waybilldesk/orders"
	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// placeRow places one order, after asking the history what it knows of the
// order_id: a waybill (skip), a submitting order from a run that was cut
// off (getOrder first, then the same order_id again if WeChat does not have
// it), a refusal (send again) or nothing. Busy and unknown answers are
// retried the same way, a bounded number of times: WeChat is asked before
// every resend, and the order_id never changes, so no parcel gets two
// waybills.
func (im *Importer) placeRow(ctx context.Context, lim *limiter, row PlanRow) RowResult {
	res := RowResult{Row: row.Row, OrderID: row.OrderID}
	if ctx.Err() != nil {
		res.Status, res.Message = StatusNotSent, "not sent: "+errCancelled.Error()
		return res
	}
	o, err := im.db.Order(ctx, row.OrderID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil && ctx.Err() != nil:
		res.Status, res.Message = StatusNotSent, "not sent: "+errCancelled.Error()
		return res
	case err != nil:
		res.Status, res.Message = StatusFailed, fmt.Sprintf("not sent: the history could not be read: %v", err)
		return im.logResult(res)
	case o.Status == store.StatusPlaced, o.Status == store.StatusCancelled:
		return im.logResult(already(res, o))
	}
	// Left submitting by a run that was cut off: ask WeChat before sending.
	check := o != nil && o.Status == store.StatusSubmitting
	leftOver := check
	for attempt := 0; ; attempt++ {
		if err := lim.wait(ctx); err != nil {
			if attempt == 0 && !check {
				res.Status, res.Message = StatusNotSent, "not sent: "+errCancelled.Error()
				return im.logResult(res)
			}
			return im.logResult(unknown(res, err))
		}
		// An order in flight is seen through even when the run is
		// cancelled: an abandoned call is an outcome nobody knows.
		var o *orders.Order
		var err error
		if check {
			o, err = im.svc.Retry(context.WithoutCancel(ctx), row.OrderID)
		} else {
			o, err = im.svc.Place(context.WithoutCancel(ctx), *row.Request)
		}
		var ve *wxapi.ValidationError
		var we *wxapi.Error
		switch {
		case err == nil && o.Status == store.StatusPlaced:
			res.Status, res.WaybillID = StatusPlaced, o.WaybillID
			switch {
			case check && o.SettledBy == "getOrder" && leftOver:
				res.Message = "placed by an earlier import that was cut off; recovered with getOrder"
			case check && o.SettledBy == "getOrder":
				res.Message = "WeChat's answer was lost; recovered with getOrder"
			}
			return im.logResult(res)
		case err == nil && o.Status == store.StatusCancelled:
			return im.logResult(already(res, o))
		case err == nil && o.Status == store.StatusFailed:
			// Refused, or never at WeChat: send it (again) now.
			if attempt >= im.opts.MaxRetries {
				res.Status, res.ErrCode, res.Message = StatusFailed, o.ErrorCode, o.ErrorMsg
				return im.logResult(res)
			}
			check = false
			continue
		case err == nil:
			return im.logResult(unknown(res, fmt.Errorf("order is %s", o.Status)))
		case errors.As(err, &ve):
			// Prepare passed at preview time; the courier list may have
			// changed since. Nothing was sent.
			res.Status, res.Message = StatusFailed, "not sent: "+ve.Error()
			return im.logResult(res)
		case errors.Is(err, orders.ErrAlreadyInHistory):
			// Another import or the window placed it meanwhile.
			return im.logResult(already(res, o))
		case errors.Is(err, orders.ErrAlreadySubmitted) && o != nil && o.Status == store.StatusPlaced:
			return im.logResult(already(res, o))
		case errors.Is(err, orders.ErrAlreadySubmitted), errors.Is(err, orders.ErrPending):
			// Another import or a window is placing it: that program
			// settles it, and reconciles do if it stops.
			res.Status, res.Message = StatusSubmitting, "being placed by another program (import or window), which settles it: "+err.Error()
			return im.logResult(res)
		}
		// What the history says now decides: refused, or still unknown.
		cur, gerr := im.db.Order(context.WithoutCancel(ctx), row.OrderID)
		switch {
		case errors.Is(gerr, store.ErrNotFound):
			res.Status, res.ErrCode, res.Message = StatusFailed, wxapi.Code(err), "not sent: "+err.Error()
			return im.logResult(res)
		case gerr == nil && cur.Status == store.StatusPlaced:
			res.Status, res.WaybillID = StatusPlaced, cur.WaybillID
			return im.logResult(res)
		case gerr == nil && cur.Status == store.StatusFailed && !(errors.As(err, &we) && we.Code == wxapi.CodeMinuteQuota):
			res.Status, res.ErrCode, res.Message = StatusFailed, wxapi.Code(err), err.Error()
			return im.logResult(res)
		case attempt >= im.opts.MaxRetries:
			// Reconciles settle it; the next import asks WeChat first.
			return im.logResult(unknown(res, err))
		}
		// Busy, lost, or over the per-minute quota: wait, then (unless
		// WeChat refused it) ask WeChat before sending the same order_id
		// again.
		if !errors.As(err, &we) {
			we = &wxapi.Error{Code: wxapi.CodeBusy} // a lost answer waits like a busy one
		}
		wait := im.retryDelay(we, attempt)
		if we.Code == wxapi.CodeMinuteQuota {
			lim.hold(time.Now().Add(wait))
		}
		im.log.Info("import row waits", "row", row.Row, "order_id", row.OrderID, "errcode", wxapi.Code(err), "wait", wait)
		if serr := sleep(ctx, wait); serr != nil {
			return im.logResult(unknown(res, err))
		}
		check = gerr != nil || cur.Status == store.StatusSubmitting
	}
}

// maxBackoff caps the wait after a busy answer.
const maxBackoff = 30 * time.Second

// retryDelay is how long to wait before trying again: until the next
// minute after 45011, doubling from WeChat's one second after -1 and any
// other answer that left the outcome unknown.
func (im *Importer) retryDelay(we *wxapi.Error, attempt int) time.Duration {
	if im.delay != nil {
		return im.delay(we, attempt)
	}
	d := we.RetryAfter(time.Now())
	if we.Code != wxapi.CodeMinuteQuota {
		d = time.Second
		d <<= attempt
		if d > maxBackoff {
			d = maxBackoff
		}
	}
	return d
}

func already(res RowResult, o *orders.Order) RowResult {
	res.Status, res.WaybillID = StatusAlreadyPlaced, o.WaybillID
	res.Message = fmt.Sprintf("already placed on %s, waybill %s", o.CreatedAt.Format("2006-01-02 15:04"), o.WaybillID)
	if o.Status == store.StatusCancelled {
		res.Message += " (since cancelled: place it again by hand if it must ship)"
	}
	return res
}

func unknown(res RowResult, err error) RowResult {
	res.Status, res.ErrCode = StatusSubmitting, wxapi.Code(err)
	res.Message = fmt.Sprintf("submitting, will be reconciled: %v", err)
	return res
}

func (im *Importer) logResult(r RowResult) RowResult {
	im.log.Info("import row", "row", r.Row, "order_id", r.OrderID, "status", r.Status, "waybill_id", r.WaybillID, "errcode", r.ErrCode)
	return r
}
