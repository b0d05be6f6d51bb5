package courier

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"waybilldesk/orders"
	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// The scan-to-query endpoint of 扫一扫查快递 (seed 002): WeChat's page loads
// GET QueryPath?orderid=&openid=&signature=&timestamp=&nonce=&callback= as
// a script and gets back callback(OrderInfo). Error answers are JSONP too
// (HTTP 200, non-zero err_code): a script answered with an error status is
// never run, so the page would learn nothing.

// OrderStatus values of the answer (seed 002's OrderStatus).
const (
	StatusAwaitingPickup = 0 // 待揽件
	StatusCollected      = 1 // 已揽件
	StatusInTransit      = 2 // 运输中
	StatusOutForDelivery = 3 // 派送中
	StatusSigned         = 4 // 已签收
	StatusSignException  = 5 // 签收异常
	StatusProxySigned    = 6 // 代签收
)

// StatusNames are the Chinese names of the OrderStatus values, by value.
var StatusNames = [...]string{"待揽件", "已揽件", "运输中", "派送中", "已签收", "签收异常", "代签收"}

// err_code values of scan-to-query answers; 0 is success. The seed leaves
// them to the courier.
const (
	ErrCodeNoOrderID      = 1001 // orderid missing
	ErrCodeBadSignature   = 1002 // signature does not match the token
	ErrCodeStale          = 1003 // timestamp outside the window
	ErrCodeReplayed       = 1004 // timestamp and nonce already used
	ErrCodeUnknownWaybill = 1005 // the waybill is not in the history
	ErrCodeOtherCompany   = 1006 // company_id names another company
	ErrCodeSystem         = 1500 // the history could not be read
)

// OrderInfo is the scan-to-query answer.
type OrderInfo struct {
	ErrCode int        `json:"err_code"`
	ErrMsg  string     `json:"err_msg"`
	Traces  []Trace    `json:"traces"`
	Cells   []CellInfo `json:"cells"`
	// EstimatedDeliveryTime is "yyyy-mm-dd", only while not signed for.
	EstimatedDeliveryTime string `json:"estimated_delivery_time,omitempty"`
	OrderStatus           int    `json:"order_status"`
}

// errorInfo is an error answer: no traces, cells or status to mislead.
type errorInfo struct {
	ErrCode int    `json:"err_code"`
	ErrMsg  string `json:"err_msg"`
}

// Trace is one path event of the answer.
type Trace struct {
	// AcceptTime is "yyyy-mm-dd hh:mm:ss", China time.
	AcceptTime string `json:"accept_time"`
	// AcceptAddress is "X \n Y": the stage name, then the event's text.
	AcceptAddress string `json:"accept_address"`
	// Remark is where it happened.
	Remark string `json:"remark"`
}

// chinaTime is UTC+8; China keeps no daylight saving, so a fixed zone
// needs no tzdata on Windows.
var chinaTime = time.FixedZone("CST", 8*60*60)

// callbackName is what may be echoed as the JSONP function name: anything
// else could inject script into WeChat's page.
var callbackName = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]{0,63}$`)

// DefaultCallback is the callback name of the seed, used when none is given.
const DefaultCallback = "WxOrderCb"

func (s *Server) serveScanQuery(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "scan-to-query is GET", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	callback := q.Get("callback")
	if callback == "" {
		callback = DefaultCallback
	}
	if !callbackName.MatchString(callback) {
		// Plain text, and the name is not repeated: echoing it is the XSS.
		s.log.Warn("scan query refused: callback is not a JavaScript identifier")
		http.Error(w, "callback must be a JavaScript identifier ([A-Za-z_$][A-Za-z0-9_$]*, at most 64 characters)", http.StatusBadRequest)
		return
	}
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if err := s.scan.VerifyURL(q.Get("signature"), ts, nonce); err != nil {
		s.scanError(w, callback, ErrCodeBadSignature, "签名错误 / signature does not match the token")
		return
	}
	// Only now, the signature checked, is the nonce remembered: a forged
	// request cannot burn a genuine one's nonce.
	if err := s.guard.CheckFresh(ts, nonce); err != nil {
		switch {
		case errors.Is(err, wxapi.ErrReplayed):
			s.scanError(w, callback, ErrCodeReplayed, "重复请求 / this timestamp and nonce were already used")
		case errors.Is(err, wxapi.ErrBusy):
			s.scanError(w, callback, ErrCodeSystem, "系统繁忙 / too many requests, try again")
		case errors.Is(err, wxapi.ErrBadNonce):
			s.scanError(w, callback, ErrCodeStale, "请求无效 / nonce missing or longer than 64 characters")
		default:
			s.scanError(w, callback, ErrCodeStale, "请求已过期 / timestamp is missing or outside the accepted window of "+s.opts.Window.String())
		}
		return
	}
	if c := q.Get("company_id"); s.opts.CompanyID != "" && c != "" && c != s.opts.CompanyID {
		s.scanError(w, callback, ErrCodeOtherCompany, "快递公司编码不符 / company_id is not served here")
		return
	}
	// The seed's URL example reads "orderid==xxx": tolerate its extra "=".
	waybill := strings.TrimSpace(strings.TrimLeft(q.Get("orderid"), "="))
	if waybill == "" {
		s.scanError(w, callback, ErrCodeNoOrderID, "缺少运单号 / orderid (the waybill number) is required")
		return
	}
	ctx, cancel := s.lookupCtx(r)
	defer cancel()
	info, err := s.orderInfo(ctx, waybill)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.log.Info("scan query: unknown waybill", "waybill_id", waybill)
		s.scanError(w, callback, ErrCodeUnknownWaybill, "运单不存在 / no such waybill")
		return
	case err != nil:
		s.log.Error("scan query: history lookup failed", "waybill_id", waybill, "err", err)
		s.scanError(w, callback, ErrCodeSystem, "系统繁忙 / the history could not be read, try again")
		return
	}
	s.log.Debug("scan query answered", "waybill_id", waybill, "order_status", info.OrderStatus, "traces", len(info.Traces))
	writeJSONP(w, callback, info)
}

func (s *Server) scanError(w http.ResponseWriter, callback string, code int, msg string) {
	if code != ErrCodeUnknownWaybill && code != ErrCodeSystem {
		s.log.Warn("scan query refused", "err_code", code, "err_msg", msg)
	}
	writeJSONP(w, callback, errorInfo{ErrCode: code, ErrMsg: msg})
}

// writeJSONP answers callback(v). json.Marshal escapes <, >, & and
// U+2028/U+2029, so no value can end the script or the string early.
func writeJSONP(w http.ResponseWriter, callback string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode answer", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/javascript; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	io.WriteString(w, callback+"(")
	w.Write(body)
	io.WriteString(w, ")")
}

// orderInfo builds the answer for a waybill of the history.
func (s *Server) orderInfo(ctx context.Context, waybill string) (*OrderInfo, error) {
	o, err := s.opts.DB.OrderByWaybill(ctx, waybill)
	if err != nil {
		return nil, err
	}
	events, err := s.opts.DB.PathEvents(ctx, o.OrderID)
	if err != nil {
		return nil, err
	}
	var senderCity, receiverCity string
	var phones []string
	if req, err := orders.Request(o); err == nil {
		senderCity, receiverCity = req.Sender.City, req.Receiver.City
		phones = append(phones, req.Sender.Mobile, req.Sender.Tel, req.Receiver.Mobile, req.Receiver.Tel)
	}
	if receiverCity == "" {
		receiverCity = o.ReceiverCity
	}
	phones = append(phones, o.ReceiverPhone)

	info := &OrderInfo{ErrMsg: "ok", Traces: []Trace{}, Cells: cellInfos(s.opts.Cells)}
	status, place := StatusAwaitingPickup, senderCity
	// Oldest first, as in the seed's example answer.
	for _, e := range events {
		if a, ok := actionOf(e.ActionType); ok {
			status = a.status
		}
		place = remark(e, place, senderCity, receiverCity)
		info.Traces = append(info.Traces, Trace{
			AcceptTime: e.ActionTime.In(chinaTime).Format(time.DateTime),
			// Literally "X \n Y" as the seed writes it; the spaces around
			// the newline do not show on the page.
			// The page is public to whoever scans the label: no pickup
			// code, no full phone number, in the text or the place.
			AcceptAddress: stageName(e.ActionType, status) + " \n " + maskScanText(e.ActionMsg, phones),
			Remark:        maskScanText(place, phones),
		})
	}
	info.OrderStatus = status
	info.EstimatedDeliveryTime = estimateDelivery(o.CreatedAt, events, status, s.opts.TransitDays, s.opts.Now())
	return info, nil
}

// action is what an action_type means on the scan page.
type action struct {
	status int    // the OrderStatus the parcel is in after it
	name   string // the stage name before the trace's text
}

// actions maps seed 003's action types to seed 002's OrderStatus. Where the
// seed offers no status (cancel, held, returned) the closest one is used:
// a cancelled courier order was never collected (0), a held parcel is still
// in the network (2), a returned one will not reach the receiver (5). Their
// own name shows in the trace.
var actions = map[int]action{
	90001:  {StatusAwaitingPickup, "待揽件"}, // 网点接单
	90002:  {StatusAwaitingPickup, "待揽件"}, // 分配业务员
	90003:  {StatusAwaitingPickup, "待揽件"}, // 重新分配业务员
	90010:  {StatusAwaitingPickup, "待揽件"}, // 待支付
	90011:  {StatusAwaitingPickup, "待揽件"}, // 已支付
	100001: {StatusCollected, "已揽件"},
	100002: {StatusAwaitingPickup, "揽件失败"},
	200001: {StatusInTransit, "运输中"},
	300002: {StatusOutForDelivery, "派送中"},
	300003: {StatusSigned, "已签收"},
	300004: {StatusSignException, "签收失败"},
	300005: {StatusOutForDelivery, "派送中"}, // 第三方代收入库: waiting at a locker or station
	300006: {StatusOutForDelivery, "派送中"}, // 第三方代收快递员取出
	300007: {StatusProxySigned, "代签收"},
	400001: {StatusAwaitingPickup, "订单取消"},
	400002: {StatusInTransit, "订单滞留"},
	400003: {StatusSignException, "订单退回"},
	400004: {StatusSignException, "订单拒收"},
	400005: {StatusSignException, "问题件"},
}

// actionOf looks an action type up; codes added later fall back on their
// leading digits, and 500001 (other) changes no status.
func actionOf(actionType int) (action, bool) {
	if a, ok := actions[actionType]; ok {
		return a, true
	}
	switch wxapi.Stage(actionType) {
	case "pre-pickup":
		return action{StatusAwaitingPickup, StatusNames[StatusAwaitingPickup]}, true
	case "pickup":
		return action{StatusCollected, StatusNames[StatusCollected]}, true
	case "transit":
		return action{StatusInTransit, StatusNames[StatusInTransit]}, true
	case "delivery":
		return action{StatusOutForDelivery, StatusNames[StatusOutForDelivery]}, true
	case "exception":
		return action{StatusSignException, "异常"}, true
	}
	return action{}, false
}

// OrderStatus is the OrderStatus of a path (oldest first): that of its
// latest event that has one, 0 when none has.
func OrderStatus(events []store.PathEvent) int {
	status := StatusAwaitingPickup
	for _, e := range events {
		if a, ok := actionOf(e.ActionType); ok {
			status = a.status
		}
	}
	return status
}

// stageName is the X of "X \n Y": the event's own stage name, or for an
// unclassified event the status the parcel is still in.
func stageName(actionType, status int) string {
	if a, ok := actionOf(actionType); ok {
		return a.name
	}
	return StatusNames[status]
}

// station is the first 【...】 of an event text: couriers name the outlet or
// hub there ("快件离开 【河北永清县】 已发往 【贵阳】" happened in 河北永清县).
var station = regexp.MustCompile(`【([^【】]{1,40})】`)

// remark is where an event happened: its bracketed station, else the
// sender's city before transit, the receiver's city from delivery on, and
// the last known place in between.
func remark(e store.PathEvent, last, senderCity, receiverCity string) string {
	if m := station.FindStringSubmatch(e.ActionMsg); m != nil {
		return strings.TrimSpace(m[1])
	}
	switch wxapi.Stage(e.ActionType) {
	case "pre-pickup", "pickup":
		return senderCity
	case "delivery":
		return receiverCity
	}
	return last
}

// digitRun finds the numbers of a text, to mask the phone numbers among them.
var digitRun = regexp.MustCompile(`[0-9]+`)

// maskPhones hides the middle of every mobile number in an event text (the
// page is public to whoever scans the label), and of the order's own phone
// numbers wherever they appear. Outlet landlines stay readable unless they
// are the sender's or receiver's.
func maskPhones(msg string, phones []string) string {
	for _, p := range phones {
		if utf8.RuneCountInString(p) >= 7 {
			msg = strings.ReplaceAll(msg, p, orders.MaskPhone(p))
		}
	}
	return digitRun.ReplaceAllStringFunc(msg, func(d string) string {
		switch {
		case len(d) == 11 && d[0] == '1':
			return orders.MaskPhone(d)
		case len(d) == 13 && strings.HasPrefix(d, "861"):
			return "86" + orders.MaskPhone(d[2:])
		}
		return d
	})
}

// estimateDelivery is the estimated_delivery_time ("yyyy-mm-dd", China
// time), empty once signed for (4, and 6: signed by a proxy). Out for
// delivery, it is today; otherwise the creation day plus transitDays, moved
// to the day after the latest event when that is later, and never before
// today: a stuck parcel keeps a date ahead rather than one in the past.
func estimateDelivery(created time.Time, events []store.PathEvent, status, transitDays int, now time.Time) string {
	if status == StatusSigned || status == StatusProxySigned {
		return ""
	}
	day := func(t time.Time) time.Time {
		t = t.In(chinaTime)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, chinaTime)
	}
	today := day(now)
	est := today
	if status != StatusOutForDelivery {
		est = day(created).AddDate(0, 0, transitDays)
		if n := len(events); n > 0 {
			if next := day(events[n-1].ActionTime).AddDate(0, 0, 1); next.After(est) {
				est = next
			}
		}
	}
	if est.Before(today) {
		est = today
	}
	return est.Format(time.DateOnly)
}
