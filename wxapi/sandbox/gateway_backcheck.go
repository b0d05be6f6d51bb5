package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"waybilldesk/wxapi"
)

// The waybill_notify_query back-check (seed 003, 4.2) WeChat makes before
// it tells a user about a pathnotify push: the event is POSTed to the
// courier's message-push URL, signed with its Token (and in safe mode
// encrypted for its AppID), and the answer must carry ResultCode 0, the
// pushed path event and the waybill's creation time.

// wechatTeamOpenID is the FromUserName of WeChat's back-check, "微信团队的
// OpenID (固定值)"; the seed's example shows this one.
const wechatTeamOpenID = "oHt_80DRclK4qjKfdYnPg6RxxsNI"

// xmlNotifyQuery puts the event's own tags inside WeChat's <xml> root.
type xmlNotifyQuery struct {
	XMLName xml.Name `xml:"xml"`
	*wxapi.NotifyQueryEvent
}

// backCheck asks the gateway about a push and compares its answer: 932001
// when the gateway cannot be reached or refuses the request (non-200),
// 932003 when its answer cannot be opened or read, 932002 when it
// disagrees with the push; nil when the push is confirmed.
func (g *gateway) backCheck(ctx context.Context, push *wxapi.PathNotifyRequest, now, wall time.Time) *apiError {
	ev := &wxapi.NotifyQueryEvent{
		EventHeader: wxapi.EventHeader{ToUserName: g.opts.ToUserName, FromUserName: wechatTeamOpenID,
			CreateTime: now.Unix(), MsgType: "event", Event: wxapi.EventWaybillNotifyQuery},
		WaybillID: push.WaybillID, SenderPhone: push.Sender.Phone, ReceiverPhone: push.Receiver.Phone,
	}
	reply, err := g.askNotifyQuery(ctx, ev, wall)
	if err != nil {
		if isMalformed(err) {
			return wxErrf(codeBackCheckBadWaybill, "%v", err)
		}
		return wxErrf(codeBackCheckSystem, "%v", err)
	}
	if !strings.EqualFold(reply.Event, wxapi.EventWaybillNotifyQuery) || reply.ToUserName != ev.FromUserName ||
		reply.FromUserName != ev.ToUserName {
		return wxErrf(codeBackCheckBadWaybill, "the answer of %s is not a waybill_notify_query reply to this request (Event %q, ToUserName %q, FromUserName %q)",
			redactURL(g.notifyURL), reply.Event, reply.ToUserName, reply.FromUserName)
	}
	if reply.ResultCode != 0 {
		return wxErrf(codeBackCheckLogic, "courier %s answered ResultCode %d: %.80s", g.opts.DeliveryID, reply.ResultCode, reply.ResultMsg)
	}
	if push.CreateTime != 0 && reply.WaybillCreateTime != push.CreateTime {
		return wxErrf(codeBackCheckLogic, "courier %s says waybill %s was created at %d, the push says %d",
			g.opts.DeliveryID, push.WaybillID, reply.WaybillCreateTime, push.CreateTime)
	}
	if !pathConfirms(reply.Path, push.Path) {
		return wxErrf(codeBackCheckLogic, "courier %s's path of %s (%d events) lacks the pushed %d at %d",
			g.opts.DeliveryID, push.WaybillID, len(reply.Path), push.Path.ActionType, push.Path.ActionTime)
	}
	return nil
}

// pathConfirms reports whether the answered path holds the pushed event:
// same time, type and text, and the couriers the push names (the answer
// may name couriers the push left out).
func pathConfirms(path []wxapi.NotifyQueryPath, p wxapi.NotifyPath) bool {
	same := func(pushed, answered string) bool { return pushed == "" || pushed == answered }
	for _, q := range path {
		if q.ActionTime == p.ActionTime && q.ActionType == p.ActionType && q.ActionMsg == p.ActionMsg &&
			same(p.PickupCourierName, q.PickupCourierName) && same(p.PickupCourierPhone, q.PickupCourierPhone) &&
			same(p.DeliveryCourierName, q.DeliveryCourierName) && same(p.DeliveryCourierPhone, q.DeliveryCourierPhone) {
			return true
		}
	}
	return false
}

// askNotifyQuery POSTs the event with WeChat's query (timestamp, nonce,
// signature; in safe mode encrypt_type and msg_signature over an
// {ToUserName, Encrypt} envelope) and opens and decodes the answer. The
// timestamp is wall time: the gateway checks it against its own clock.
func (g *gateway) askNotifyQuery(ctx context.Context, ev *wxapi.NotifyQueryEvent, wall time.Time) (*wxapi.NotifyQueryReply, error) {
	body, err := g.encode(xmlNotifyQuery{NotifyQueryEvent: ev}, ev)
	if err != nil {
		return nil, fmt.Errorf("encode waybill_notify_query: %w", err)
	}
	u, err := url.Parse(g.notifyURL)
	if err != nil {
		return nil, fmt.Errorf("notify URL: %w", err)
	}
	ts := strconv.FormatInt(wall.Unix(), 10)
	nonce, err := pushNonce()
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	q.Set("signature", wxapi.Signature(g.opts.Token, ts, nonce))
	if g.crypto != nil {
		enc, err := g.crypto.Encrypt(body)
		if err != nil {
			return nil, fmt.Errorf("encrypt waybill_notify_query: %w", err)
		}
		envelope := xmlEnvelope{ToUserName: cdata{ev.ToUserName}, Encrypt: cdata{enc}}
		if body, err = g.encode(envelope, map[string]string{"ToUserName": ev.ToUserName, "Encrypt": enc}); err != nil {
			return nil, fmt.Errorf("encode envelope: %w", err)
		}
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", wxapi.Signature(g.opts.Token, ts, nonce, enc))
	}
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, g.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("waybill_notify_query request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if g.opts.Format == GatewayXML {
		req.Header.Set("Content-Type", "text/xml")
	}
	req.Header.Set("User-Agent", "Mozilla/4.0 (WeChat sandbox waybill_notify_query)")
	raw, err := g.do(req, g.notifyURL)
	if err != nil {
		return nil, err
	}
	if g.crypto != nil {
		if raw, err = g.crypto.OpenReply(raw); err != nil {
			return nil, malformed("the answer of %s: %v", redactURL(g.notifyURL), err)
		}
	}
	var reply wxapi.NotifyQueryReply
	trimmed := bytes.TrimSpace(raw)
	if bytes.HasPrefix(trimmed, []byte("<")) {
		err = xml.Unmarshal(trimmed, &reply)
	} else {
		err = json.Unmarshal(trimmed, &reply)
	}
	if err != nil {
		return nil, malformed("the answer of %s is neither a JSON nor an XML reply: %v", redactURL(g.notifyURL), err)
	}
	return &reply, nil
}

// encode is asXML in XML or asJSON in JSON, per the gateway's format.
func (g *gateway) encode(asXML, asJSON any) ([]byte, error) {
	if g.opts.Format == GatewayXML {
		return xml.Marshal(asXML)
	}
	return wxapi.MarshalJSON(asJSON)
}
