package sandbox

import (
	"context"
	"strings"

	"waybilldesk/wxapi"
)

// The courier's side of 手机号物流消息推送 (seed 003): userquery (is this
// phone bound to WeChat's express service?) and pathnotify (tell its owner
// about a path event). A pathnotify for a bound receiver is checked back
// with the courier's gateway (waybill_notify_query, gateway_backcheck.go)
// and recorded only when the gateway confirms it.

// courierRoutes registers userquery and pathnotify; like every business
// endpoint they need an access_token (41001/40001/42001 from the router).
func (s *Sandbox) courierRoutes(t map[string]route) {
	t[wxapi.PathUserQuery] = route{post: true, token: true, handle: s.handleUserQuery}
	t[wxapi.PathPathNotify] = route{post: true, token: true, handle: s.handlePathNotify}
}

// existReply is both endpoints' answer: exist 1 = bound.
type existReply struct {
	status
	Exist int `json:"exist"`
}

func existOf(bound bool) int {
	if bound {
		return 1
	}
	return 0
}

func (s *Sandbox) handleUserQuery(ctx context.Context, c *call) (any, error) {
	var req wxapi.UserQueryRequest
	if err := decodeBody(c, &req, codeCourierBadArgs); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.Phone) == "" {
		return nil, wxErrf(codeCourierBadArgs, "phone is required")
	}
	digits, err := normalizePhone(req.Phone)
	if err != nil {
		return nil, wxErrf(codeCourierBadArgs, "phone: %v", err)
	}
	bound, err := s.db.phoneBound(ctx, digits)
	if err != nil {
		return nil, err
	}
	s.log.Debug("sandbox userquery", "phone", maskPhone(digits), "exist", existOf(bound))
	return existReply{statusOK, existOf(bound)}, nil
}

// handlePathNotify checks a push like WeChat: the arguments (40097), a
// gateway courier for the waybill (150004), the receiver's binding (an
// unbound receiver is answered exist 0 and nothing happens), then the
// back-check (932001/932002/932003); a confirmed push is recorded as a
// notice to the receiver and answered exist 1.
func (s *Sandbox) handlePathNotify(ctx context.Context, c *call) (any, error) {
	var req wxapi.PathNotifyRequest
	if err := decodeBody(c, &req, codeCourierBadArgs); err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, wxErrf(codeCourierBadArgs, "%v", err) // e.g. "receiver.phone: is required"
	}
	digits, err := normalizePhone(req.Receiver.Phone)
	if err != nil {
		return nil, wxErrf(codeCourierBadArgs, "receiver.phone: %v", err)
	}
	if req.Sender.Phone != "" {
		if _, err := normalizePhone(req.Sender.Phone); err != nil {
			return nil, wxErrf(codeCourierBadArgs, "sender.phone: %v", err)
		}
	}
	phone := maskPhone(digits)
	log := s.log.With("waybill_id", req.WaybillID, "phone", phone, "action_type", req.Path.ActionType)
	g := s.gateways.byWaybill(req.WaybillID)
	if g == nil {
		log.Warn("sandbox pathnotify refused: no gateway courier serves the waybill")
		return nil, wxErrf(codeCourierNoConfig, "no gateway courier serves waybill %s (register one with --gateway or POST /sandbox/gateways)", req.WaybillID)
	}
	log = log.With("delivery_id", g.opts.DeliveryID)
	bound, err := s.db.phoneBound(ctx, digits)
	if err != nil {
		return nil, err
	}
	if !bound {
		// Nobody to tell: WeChat answers 0 (seed 003, 测试流程) and does not
		// ask the courier.
		log.Info("sandbox pathnotify: receiver not bound, nothing sent")
		return existReply{statusOK, 0}, nil
	}
	if e := g.backCheck(ctx, &req, s.Now(), s.wall()); e != nil {
		log.Warn("sandbox pathnotify refused by the back-check", "errcode", e.Code, "err", e.message())
		return nil, e
	}
	n := &CourierNotice{DeliveryID: g.opts.DeliveryID, WaybillID: req.WaybillID, Phone: phone,
		ActionTime: req.Path.ActionTime, ActionType: req.Path.ActionType, ActionMsg: req.Path.ActionMsg,
		Result: noticePathUpdated, CreateTime: s.Now().Unix()}
	if n.ActionType == actOutForDelivery || n.ActionType == actSigned {
		n.Result = noticeMessageSent
	}
	added, err := s.db.addCourierNotice(ctx, n)
	if err != nil {
		return nil, err
	}
	log.Info("sandbox pathnotify accepted", "result", n.Result, "repeated", !added)
	return existReply{statusOK, 1}, nil
}
