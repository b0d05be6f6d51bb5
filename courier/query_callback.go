package courier

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"strings"

	"waybilldesk/orders"
	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// The waybill_notify_query back-check (seed 003, 4.2): after a pathnotify
// push WeChat POSTs this event to the mini program's message-push URL and
// notifies the user only if the answer's path agrees with the push. The
// request is checked like every push (timestamp window, body size,
// signature, safe-mode decryption, then the nonce memory, through
// wxapi.PushHandler); the answer is the whole path of the waybill, sealed
// in safe mode, where a plaintext request is refused unless the gateway
// runs in compatible mode.

// ResultCode values of the back-check answer; the seed leaves non-zero
// codes to the courier.
const (
	ResultOK             = 0
	ResultUnknownWaybill = 1 // the waybill is not in the history
	ResultPhoneMismatch  = 2 // a phone of the query is neither the sender's nor the receiver's
	ResultSystem         = 3 // the history could not be read
)

// sealedXML is a sealed answer in XML, under WeChat's <xml> root.
type sealedXML struct {
	XMLName xml.Name `xml:"xml"`
	wxapi.SealedReply
}

func (s *Server) serveNotifyQuery(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		// The echostr check WeChat makes when the URL is configured.
		s.guard.ServeHTTP(w, r)
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "GET or POST", http.StatusMethodNotAllowed)
		return
	}
	// The guard refuses a plaintext request in safe mode (unless Compat)
	// and a sealed one without a key, so the answer goes out sealed exactly
	// when the request came in sealed.
	sealed := r.URL.Query().Get("encrypt_type") == "aes"
	body, status, err := s.guard.OpenRequest(r)
	if err != nil {
		s.log.Warn("back-check refused", "err", err)
		http.Error(w, err.Error(), status)
		return
	}
	ev, err := wxapi.ParseNotifyQuery(body)
	if err != nil {
		s.log.Warn("back-check refused", "err", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := s.lookupCtx(r)
	defer cancel()
	reply := s.backCheck(ctx, ev)

	asXML := s.opts.Format == FormatXML || s.opts.Format == FormatAuto && wxapi.IsXML(body)
	out, err := encodeReply(reply, asXML)
	if err == nil && sealed {
		var box *wxapi.SealedReply
		if box, err = s.push.Seal(out, s.opts.Now().Unix(), r.URL.Query().Get("nonce")); err == nil {
			out, err = encodeReply(sealedXML{SealedReply: *box}, asXML)
		}
	}
	if err != nil {
		s.log.Error("back-check: encode answer", "waybill_id", ev.WaybillID, "err", err)
		http.Error(w, "encode answer", http.StatusInternalServerError)
		return
	}
	if asXML {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.Write(out)
}

// encodeReply writes an answer as XML or as JSON (the JSON of sealedXML is
// the sealed reply's own fields).
func encodeReply(v any, asXML bool) ([]byte, error) {
	if asXML {
		return xml.Marshal(v)
	}
	if s, ok := v.(sealedXML); ok {
		v = s.SealedReply
	}
	return wxapi.MarshalJSON(v)
}

// backCheck answers one waybill_notify_query from the history.
func (s *Server) backCheck(ctx context.Context, ev *wxapi.NotifyQueryEvent) *wxapi.NotifyQueryReply {
	reply := &wxapi.NotifyQueryReply{ToUserName: ev.FromUserName, FromUserName: ev.ToUserName,
		CreateTime: s.opts.Now().Unix(), MsgType: "event", Event: wxapi.EventWaybillNotifyQuery,
		ResultMsg: "OK", Path: []wxapi.NotifyQueryPath{}}
	fail := func(code int, msg string) *wxapi.NotifyQueryReply {
		reply.ResultCode, reply.ResultMsg = code, msg
		return reply
	}
	log := s.log.With("waybill_id", ev.WaybillID, "sender_phone", orders.MaskPhone(ev.SenderPhone),
		"receiver_phone", orders.MaskPhone(ev.ReceiverPhone))
	o, err := s.opts.DB.OrderByWaybill(ctx, ev.WaybillID)
	if errors.Is(err, store.ErrNotFound) {
		log.Info("back-check: unknown waybill")
		return fail(ResultUnknownWaybill, "运单不存在 / no such waybill")
	}
	if err != nil {
		log.Error("back-check: history lookup failed", "err", err)
		return fail(ResultSystem, "系统繁忙 / the history could not be read")
	}
	if !phonesMatch(o, ev.SenderPhone, ev.ReceiverPhone) {
		log.Warn("back-check: phones do not match the order", "order_id", o.OrderID)
		return fail(ResultPhoneMismatch, "手机号与运单不符 / the phones do not match the waybill")
	}
	events, err := s.opts.DB.PathEvents(ctx, o.OrderID)
	if err != nil {
		log.Error("back-check: history lookup failed", "err", err)
		return fail(ResultSystem, "系统繁忙 / the history could not be read")
	}
	// Newest first, as in the seed's example answer.
	for i := len(events) - 1; i >= 0; i-- {
		reply.Path = append(reply.Path, PathOf(events[i]))
	}
	reply.WaybillCreateTime = o.CreatedAt.Unix()
	log.Info("back-check answered", "order_id", o.OrderID, "path", len(reply.Path))
	return reply
}

// phonesMatch reports whether the query names the order: at least one
// phone, and each phone given is the sender's or the receiver's (mobile or
// landline). Which field holds which is not trusted: the seed's own example
// repeats one number in both.
func phonesMatch(o *store.Order, phones ...string) bool {
	known := map[string]bool{}
	add := func(p string) {
		if n := normalizePhone(p); n != "" {
			known[n] = true
		}
	}
	add(o.ReceiverPhone)
	if req, err := orders.Request(o); err == nil {
		add(req.Sender.Mobile)
		add(req.Sender.Tel)
		add(req.Receiver.Mobile)
		add(req.Receiver.Tel)
	}
	given := 0
	for _, p := range phones {
		if strings.TrimSpace(p) == "" {
			continue
		}
		given++
		if !known[normalizePhone(p)] {
			return false
		}
	}
	return given > 0
}

// normalizePhone keeps the digits of a phone and drops China's +86 prefix,
// so "+86 138-0013-8000" and "13800138000" are one number.
func normalizePhone(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	if len(d) == 13 && strings.HasPrefix(d, "861") {
		d = d[2:]
	}
	return d
}
