package sandbox

import (
	"sort"
	"time"

	"waybilldesk/wxapi"
)

// Action types of a waybill path (spec §4).
const (
	actCollected      = 100001 // 揽件成功
	actPickupFailed   = 100002 // 揽件失败
	actTransit        = 200001 // 运输中
	actOutForDelivery = 300002 // 派件中
	actSigned         = 300003 // 已签收
	actDeliveryFailed = 300004 // 派件失败
	actProxySigned    = 300007 // 代签收 (extended set; only from testUpdateOrder)
	actCancelled      = 400001 // 订单取消
	actHeld           = 400002 // 滞留
	actReturned       = 400003 // 退回
)

// pathEvent is one node of a waybill's path.
type pathEvent struct {
	Time time.Time
	Type int
	Msg  string
	// proxy marks a 300003 signed by a pickup point or a locker, which buyer
	// notices report as status 6 (代签收).
	proxy bool
}

// pathAt is the path of an order as seen at now: the simulated events that
// have happened (none for the TEST courier, which moves only through
// testUpdateOrder, and none after a cancellation) plus the stored ones
// (testUpdateOrder's, whatever their time, and a cancellation's 400001),
// sorted by time.
func pathAt(o *order, c courier, stored []pathEvent, now time.Time) []pathEvent {
	var out []pathEvent
	if c.Model != modelTest {
		cut := now
		if o.cancelled() && o.CancelledAt.Before(cut) {
			cut = o.CancelledAt
		}
		for _, e := range simulate(o, c) {
			if !e.Time.After(cut) {
				out = append(out, e)
			}
		}
	}
	out = append(out, stored...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// pathFinished reports whether nothing more will happen to the order by
// itself: it was cancelled, its simulation has run out, or (TEST) its last
// hand-made event ends a parcel's life.
func pathFinished(o *order, c courier, events []pathEvent) bool {
	if o.cancelled() {
		return true
	}
	if c.Model != modelTest {
		return len(events) >= len(simulate(o, c))
	}
	if len(events) == 0 {
		return false
	}
	switch events[len(events)-1].Type {
	case actSigned, actProxySigned, actReturned:
		return true
	}
	return false
}

// hasTracking: a parcel the courier has touched can no longer be cancelled.
// A failed pick-up alone does not count: the merchant may still cancel.
func hasTracking(events []pathEvent) bool {
	for _, e := range events {
		if e.Type != actPickupFailed {
			return true
		}
	}
	return false
}

// signed reports whether the parcel was delivered.
func signed(events []pathEvent) bool {
	for _, e := range events {
		if e.Type == actSigned || e.Type == actProxySigned {
			return true
		}
	}
	return false
}

// noticeStatus maps a path to the buyer-notice status (seeds 001/004):
// 0 not collected, 1 collected, 2 in transit, 3 out for delivery,
// 4 signed, 5 exception, 6 signed by proxy.
func noticeStatus(events []pathEvent) int {
	if len(events) == 0 {
		return wxapi.NoticeStatusNotFound
	}
	last := events[len(events)-1]
	switch last.Type {
	case actCollected:
		return wxapi.NoticeStatusCollected
	case actTransit:
		return wxapi.NoticeStatusTransit
	case actOutForDelivery:
		return wxapi.NoticeStatusDelivery
	case actSigned:
		if last.proxy {
			return wxapi.NoticeStatusProxySign
		}
		return wxapi.NoticeStatusSigned
	case actProxySigned:
		return wxapi.NoticeStatusProxySign
	case actPickupFailed, actCancelled:
		return wxapi.NoticeStatusNotFound
	case actDeliveryFailed, actHeld, actReturned:
		return wxapi.NoticeStatusException
	}
	// Codes outside the table go by their leading digits.
	switch wxapi.Stage(last.Type) {
	case "pickup":
		return wxapi.NoticeStatusCollected
	case "transit":
		return wxapi.NoticeStatusTransit
	case "delivery":
		return wxapi.NoticeStatusDelivery
	case "exception":
		return wxapi.NoticeStatusException
	}
	return wxapi.NoticeStatusNotFound
}

// orderState names where an order is, for GET /sandbox/orders.
func orderState(o *order, events []pathEvent) string {
	if o.cancelled() {
		return "cancelled"
	}
	if len(events) == 0 {
		return "placed"
	}
	switch t := events[len(events)-1].Type; t {
	case actCollected:
		return "collected"
	case actPickupFailed:
		return "pickup_failed"
	case actTransit:
		return "in_transit"
	case actHeld:
		return "held"
	case actOutForDelivery:
		return "out_for_delivery"
	case actDeliveryFailed:
		return "delivery_failed"
	case actSigned, actProxySigned:
		return "signed"
	case actReturned:
		return "returned"
	default:
		return wxapi.Stage(t)
	}
}

// pathItems is the path as getPath answers it.
func pathItems(events []pathEvent) []wxapi.PathItem {
	out := make([]wxapi.PathItem, len(events))
	for i, e := range events {
		out[i] = wxapi.PathItem{ActionTime: e.Time.Unix(), ActionType: e.Type, ActionMsg: e.Msg}
	}
	return out
}
