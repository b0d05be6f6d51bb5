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
// off (reconcile with getOrder first), a refusal (send again) or nothing.
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
	case o.Status == store.StatusSubmitting:
		// Left by a run that was cut off: ask WeChat before sending again.
		o, err := im.reconcile(ctx, lim, row.OrderID)
		if err != nil {
			return im.logResult(unknown(res, err))
		}
		switch o.Status {
		case store.StatusPlaced:
			res.Status, res.WaybillID = StatusPlaced, o.WaybillID
			res.Message = "placed by an earlier import that was cut off; recovered with getOrder"
			return im.logResult(res)
		case store.StatusFailed:
			// WeChat never had it: send it now.
		default:
			return im.logResult(already(res, o))
		}
	}
	for attempt := 0; ; attempt++ {
		if err := lim.wait(ctx); err != nil {
			if attempt == 0 {
				res.Status, res.Message = StatusNotSent, "not sent: "+errCancelled.Error()
				return im.logResult(res)
			}
			return im.logResult(unknown(res, err))
		}
		// An order in flight is seen through even when the run is
		// cancelled: an abandoned call is an outcome nobody knows.
		o, err := im.svc.Place(context.WithoutCancel(ctx), *row.Request)
		if err == nil {
			res.Status, res.WaybillID = StatusPlaced, o.WaybillID
			return im.logResult(res)
		}
		var ve *wxapi.ValidationError
		var we *wxapi.Error
		switch {
		case errors.As(err, &ve):
			// Prepare passed at preview time; the courier list may have
			// changed since. Nothing was sent.
			res.Status, res.Message = StatusFailed, "not sent: "+ve.Error()
			return im.logResult(res)
		case errors.Is(err, orders.ErrAlreadyInHistory):
			// Another import or the window placed it meanwhile.
			if o, gerr := im.db.Order(ctx, row.OrderID); gerr == nil && o.WaybillID != "" {
				return im.logResult(already(res, o))
			}
			res.Status, res.Message = StatusSubmitting, "being placed elsewhere (another import or window); reconcile it later"
			return im.logResult(res)
		case errors.Is(err, orders.ErrUnknownOutcome) && errors.As(err, &we) && we.Retryable() && attempt < im.opts.MaxRetries:
			// Busy or over the per-minute quota: WeChat did not take the
			// order, but orders keeps it submitting to be sure. Wait, then
			// reconcile before sending it again.
			wait := im.retryDelay(we, attempt)
			if we.Code == wxapi.CodeMinuteQuota {
				lim.hold(time.Now().Add(wait))
			}
			im.log.Info("import row waits", "row", row.Row, "order_id", row.OrderID, "errcode", we.Code, "wait", wait)
			if err := sleep(ctx, wait); err != nil {
				return im.logResult(unknown(res, err))
			}
			o, rerr := im.reconcile(ctx, lim, row.OrderID)
			if rerr != nil {
				return im.logResult(unknown(res, rerr))
			}
			switch o.Status {
			case store.StatusPlaced:
				res.Status, res.WaybillID = StatusPlaced, o.WaybillID
				return im.logResult(res)
			case store.StatusFailed:
				continue
			}
			return im.logResult(unknown(res, err))
		case errors.Is(err, orders.ErrUnknownOutcome):
			// Never retried blindly: the next import or `order reconcile`
			// asks WeChat first.
			return im.logResult(unknown(res, err))
		default:
			res.Status, res.ErrCode, res.Message = StatusFailed, wxapi.Code(err), err.Error()
			return im.logResult(res)
		}
	}
}

// reconcile asks WeChat about a submitting order, waiting out busy and
// quota answers a few times.
func (im *Importer) reconcile(ctx context.Context, lim *limiter, orderID string) (*orders.Order, error) {
	for attempt := 0; ; attempt++ {
		if err := lim.wait(ctx); err != nil {
			return nil, err
		}
		o, err := im.svc.Reconcile(context.WithoutCancel(ctx), orderID)
		var we *wxapi.Error
		if err == nil || !errors.As(err, &we) || !we.Retryable() || attempt >= im.opts.MaxRetries {
			return o, err
		}
		wait := im.retryDelay(we, attempt)
		if we.Code == wxapi.CodeMinuteQuota {
			lim.hold(time.Now().Add(wait))
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// maxBackoff caps the wait after a busy answer.
const maxBackoff = 30 * time.Second

// retryDelay is how long to wait before trying again: until the next
// minute after 45011, doubling from WeChat's one second after -1.
func (im *Importer) retryDelay(we *wxapi.Error, attempt int) time.Duration {
	if im.delay != nil {
		return im.delay(we, attempt)
	}
	d := we.RetryAfter(time.Now())
	if we.Code == wxapi.CodeBusy {
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
