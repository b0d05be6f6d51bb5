package orders

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"waybilldesk/store"
	"waybilldesk/wxapi"
)

// NoticeSettings is the shop's buyer-notice switch (setting "buyer_notices"):
// when on, each placed order's waybill is registered with WeChat, which then
// tells the buyer at pick-up, delivery and signing.
type NoticeSettings struct {
	Enabled bool `json:"enabled"`
	// Family is "follow" (follow_waybill, 物流消息) or "trace" (trace_waybill,
	// 物流查询插件).
	Family string `json:"family"`
	// GoodsImgURL is shown on the goods card when a goods line has no picture
	// (WeChat requires one).
	GoodsImgURL string `json:"goods_img_url"`
	// OrderDetailPath is the mini-program page the card opens; "{order_id}"
	// is replaced.
	OrderDetailPath string `json:"order_detail_path"`
}

const noticeSettingsKey = "buyer_notices"

// Notice families as stored.
const (
	FamilyFollow = "follow"
	FamilyTrace  = "trace"
)

func (n NoticeSettings) family() wxapi.NoticeFamily {
	if n.Family == FamilyTrace {
		return wxapi.NoticeTrace
	}
	return wxapi.NoticeFollow
}

// Notices returns the buyer-notice settings (off by default).
func (s *Service) Notices(ctx context.Context) (NoticeSettings, error) {
	var n NoticeSettings
	_, err := s.db.SettingJSON(ctx, noticeSettingsKey, &n)
	if n.Family == "" {
		n.Family = FamilyFollow
	}
	return n, err
}

// SetNotices stores the buyer-notice settings.
func (s *Service) SetNotices(ctx context.Context, n NoticeSettings) error {
	if n.Family != FamilyFollow && n.Family != FamilyTrace {
		return &wxapi.ValidationError{Field: "family", Reason: "must be follow or trace"}
	}
	if n.Enabled && n.GoodsImgURL == "" {
		return &wxapi.ValidationError{Field: "goods_img_url", Reason: "is required: WeChat shows a picture on every goods card"}
	}
	return s.db.SetSettingJSON(ctx, noticeSettingsKey, n)
}

// ErrNoBuyer means the order carries no buyer openid, so WeChat cannot
// notify anyone.
var ErrNoBuyer = errors.New("the order has no buyer openid")

// ErrNoTransID means the order carries no trans_id, the WeChat Pay
// transaction id of the buyer's payment, which follow_waybill and
// trace_waybill require.
var ErrNoTransID = errors.New("the order has no trans_id (the WeChat Pay transaction id the buyer paid with)")

// Follow registers an order's waybill for buyer notices and keeps the
// waybill_token. Registering twice is harmless: the stored token is reused.
func (s *Service) Follow(ctx context.Context, id string) (*store.Notice, error) {
	o, err := s.Find(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("notify buyer: %w", err)
	}
	if n, err := s.db.Notice(ctx, o.OrderID); err == nil && n.WaybillToken != "" {
		return n, nil
	}
	settings, err := s.Notices(ctx)
	if err != nil {
		return nil, err
	}
	n := store.Notice{OrderID: o.OrderID, Family: settings.Family, Status: -1}
	req, err := s.followRequest(o, settings)
	if err == nil {
		var resp *wxapi.FollowResponse
		if resp, err = s.api.Follow(ctx, settings.family(), req); err == nil {
			n.WaybillToken = resp.WaybillToken
		}
	}
	if err != nil {
		n.Error = err.Error()
	}
	if serr := s.db.SetNotice(ctx, n); serr != nil {
		return nil, serr
	}
	if err != nil {
		return &n, fmt.Errorf("notify buyer of %s: %w", o.OrderID, err)
	}
	s.audit(ctx, "notice", o.OrderID, settings.Family)
	return &n, nil
}

func (s *Service) followRequest(o *Order, settings NoticeSettings) (*wxapi.FollowRequest, error) {
	if o.Status != StatusPlaced {
		return nil, fmt.Errorf("the order is %s, it has no waybill", o.Status)
	}
	r, err := Request(o)
	if err != nil {
		return nil, err
	}
	if r.OpenID == "" {
		return nil, ErrNoBuyer
	}
	// The payment id comes with the order, beside openid (see
	// wxapi.AddOrderRequest.TransID): without it WeChat refuses, so
	// nothing is sent and the notice records why.
	if strings.TrimSpace(r.TransID) == "" {
		return nil, ErrNoTransID
	}
	req := &wxapi.FollowRequest{OpenID: r.OpenID, WaybillID: o.WaybillID, ReceiverPhone: r.Receiver.Phone(),
		SenderPhone: r.Sender.Phone(), TransID: strings.TrimSpace(r.TransID)}
	if settings.OrderDetailPath != "" {
		req.OrderDetailPath = replaceOrderID(settings.OrderDetailPath, o.OrderID)
	}
	for _, g := range r.Shop.DetailList {
		img := g.GoodsImgURL
		if img == "" {
			img = settings.GoodsImgURL
		}
		req.GoodsInfo.DetailList = append(req.GoodsInfo.DetailList, wxapi.NoticeGoods{
			GoodsName: truncateRunes(g.GoodsName, 40), GoodsImgURL: img, GoodsDesc: truncateRunes(g.GoodsDesc, 40)})
	}
	if len(req.GoodsInfo.DetailList) == 0 {
		for _, d := range r.Cargo.DetailList {
			req.GoodsInfo.DetailList = append(req.GoodsInfo.DetailList, wxapi.NoticeGoods{
				GoodsName: truncateRunes(d.Name, 40), GoodsImgURL: settings.GoodsImgURL})
		}
	}
	return req, req.Validate()
}

// NoticeStatus asks WeChat what it told the buyer so far and stores it.
func (s *Service) NoticeStatus(ctx context.Context, id string) (*store.Notice, error) {
	o, err := s.Find(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("buyer notice: %w", err)
	}
	n, err := s.db.Notice(ctx, o.OrderID)
	if err != nil {
		return nil, fmt.Errorf("buyer notice of %s: not registered: %w", o.OrderID, err)
	}
	if n.WaybillToken == "" {
		return n, fmt.Errorf("buyer notice of %s: registration failed: %s", o.OrderID, n.Error)
	}
	fam := NoticeSettings{Family: n.Family}.family()
	resp, err := s.api.QueryTrace(ctx, fam, &wxapi.QueryTraceRequest{WaybillToken: n.WaybillToken})
	if err != nil {
		return n, fmt.Errorf("buyer notice of %s: %w", o.OrderID, err)
	}
	n.Status, n.Error, n.UpdatedAt = resp.WaybillInfo.Status, "", s.now()
	return n, s.db.SetNotice(ctx, *n)
}

// Notice returns an order's stored buyer-notice state.
func (s *Service) Notice(ctx context.Context, orderID string) (*store.Notice, error) {
	return s.db.Notice(ctx, orderID)
}

// afterPlaced runs what follows a new waybill when the shop turned it on;
// failures are recorded, never fatal to the order.
func (s *Service) afterPlaced(ctx context.Context, orderID string) {
	settings, err := s.Notices(ctx)
	if err != nil || !settings.Enabled {
		return
	}
	if _, err := s.Follow(ctx, orderID); err != nil {
		s.log.Warn("buyer notice not registered", "order_id", orderID, "err", err)
	}
}

// UpdateNoticeGoods replaces the goods cards WeChat shows the buyer of an
// order registered for notices (after the shop changed what it ships).
func (s *Service) UpdateNoticeGoods(ctx context.Context, id string, goods wxapi.GoodsInfo) error {
	o, err := s.Find(ctx, id)
	if err != nil {
		return fmt.Errorf("update buyer goods: %w", err)
	}
	n, err := s.db.Notice(ctx, o.OrderID)
	if err != nil || n.WaybillToken == "" {
		return fmt.Errorf("update buyer goods of %s: the waybill is not registered for buyer notices", o.OrderID)
	}
	fam := NoticeSettings{Family: n.Family}.family()
	if err := s.api.UpdateGoods(ctx, fam, &wxapi.UpdateGoodsRequest{WaybillToken: n.WaybillToken, GoodsInfo: goods}); err != nil {
		return fmt.Errorf("update buyer goods of %s: %w", o.OrderID, err)
	}
	s.audit(ctx, "notice-goods", o.OrderID, fmt.Sprintf("%d goods", len(goods.DetailList)))
	return nil
}
