package sandbox

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"waybilldesk/wxapi"
)

// Buyer notices (物流查询插件 trace_waybill and 物流消息 follow_waybill,
// seeds 001 and 004): WeChat follows a waybill of any courier and reports
// its status. A waybill of a gateway courier (gateway.go: the registration
// names its delivery_id, or names no courier and the waybill matches its
// pattern) reports what the courier's scan-to-query endpoint says; a
// waybill the sandbox issued reports its simulated path; any other
// plausible waybill stays at status 0 (not collected yet).

// noticeFamily is one of the two endpoint families; their tokens are not
// interchangeable.
type noticeFamily struct {
	name                   string // "trace" or "follow", as stored
	register, query, goods string // paths
}

var noticeFamilies = []noticeFamily{
	{"trace", wxapi.PathTraceWaybill, wxapi.PathQueryTrace, wxapi.PathUpdateWaybillGoods},
	{"follow", wxapi.PathFollowWaybill, wxapi.PathQueryFollowTrace, wxapi.PathUpdateFollowWaybillGoods},
}

// noticeRoutes registers both families and get_delivery_list.
func (s *Sandbox) noticeRoutes(t map[string]route) {
	for _, f := range noticeFamilies {
		t[f.register] = route{post: true, token: true, handle: s.handleFollow(f)}
		t[f.query] = route{post: true, token: true, handle: s.handleQueryTrace(f)}
		t[f.goods] = route{post: true, token: true, handle: s.handleUpdateGoods(f)}
	}
	// The client POSTs {}; WeChat's GET-style endpoints take either.
	t[wxapi.PathGetDeliveryList] = route{token: true, handle: s.handleGetDeliveryList}
}

// waybillShape is what any courier's waybill number looks like; anything
// else cannot be followed (9300559).
var waybillShape = regexp.MustCompile(`^[A-Za-z0-9-]{6,32}$`)

type followReply struct {
	status
	wxapi.FollowResponse
}

func (s *Sandbox) handleFollow(f noticeFamily) handlerFunc {
	return func(ctx context.Context, c *call) (any, error) {
		var req wxapi.FollowRequest
		if err := decodeBody(c, &req, codeBadJSON); err != nil {
			return nil, err
		}
		if strings.TrimSpace(req.OpenID) == "" {
			return nil, wxErrf(codeInvalidOpenID, "openid is required")
		}
		// Both seeds mark trans_id required; a missing required field is
		// WeChat's generic 47001, as for the goods cards below.
		if e := requireFields(codeBadJSON, "trans_id", req.TransID); e != nil {
			return nil, e
		}
		if !waybillShape.MatchString(req.WaybillID) {
			return nil, wxErrf(codeNoticeNoWaybill, "%q", req.WaybillID)
		}
		if e := checkGoods(req.GoodsInfo); e != nil {
			return nil, e
		}
		token, err := s.db.registerNotice(ctx, f.name, &req)
		if err != nil {
			return nil, err
		}
		s.log.Info("sandbox waybill followed", "family", f.name, "waybill_id", req.WaybillID)
		return followReply{statusOK, wxapi.FollowResponse{WaybillToken: token}}, nil
	}
}

type queryTraceReply struct {
	status
	wxapi.QueryTraceResponse
}

func (s *Sandbox) handleQueryTrace(f noticeFamily) handlerFunc {
	return func(ctx context.Context, c *call) (any, error) {
		var req wxapi.QueryTraceRequest
		if err := decodeBody(c, &req, codeBadJSON); err != nil {
			return nil, err
		}
		if strings.TrimSpace(req.WaybillToken) == "" {
			return nil, wxErrf(codeBadWaybillToken, "waybill_token is required")
		}
		n, err := s.db.notice(ctx, f.name, req.WaybillToken)
		if err != nil {
			return nil, err
		}
		var out wxapi.QueryTraceResponse
		out.WaybillInfo.WaybillID = n.WaybillID
		out.ShopInfo.GoodsInfo = n.Goods
		o, ok, err := s.db.orderByWaybill(ctx, n.WaybillID)
		if err != nil {
			return nil, err
		}
		if g := s.gateways.forNotice(n.DeliveryID, n.WaybillID, ok); g != nil {
			// A gateway courier's waybill: its status comes from the
			// courier's scan-to-query endpoint (gateway_scan.go).
			if out.WaybillInfo.Status, err = s.gatewayStatus(ctx, g, n); err != nil {
				return nil, err
			}
			out.DeliveryInfo.DeliveryID, out.DeliveryInfo.DeliveryName = g.opts.DeliveryID, g.name
			return queryTraceReply{statusOK, out}, nil
		}
		if ok {
			cr, _, err := s.db.courier(ctx, o.Request.DeliveryID)
			if err != nil {
				return nil, err
			}
			events, err := s.db.orderPath(ctx, o, cr)
			if err != nil {
				return nil, err
			}
			out.WaybillInfo.Status = noticeStatus(events)
		} else {
			o = nil
		}
		d := noticeDeliveryFor(o, n)
		out.DeliveryInfo.DeliveryID, out.DeliveryInfo.DeliveryName = d.DeliveryID, d.DeliveryName
		return queryTraceReply{statusOK, out}, nil
	}
}

func (s *Sandbox) handleUpdateGoods(f noticeFamily) handlerFunc {
	return func(ctx context.Context, c *call) (any, error) {
		var req wxapi.UpdateGoodsRequest
		if err := decodeBody(c, &req, codeBadJSON); err != nil {
			return nil, err
		}
		if strings.TrimSpace(req.WaybillToken) == "" {
			return nil, wxErrf(codeBadWaybillToken, "waybill_token is required")
		}
		if e := checkGoods(req.GoodsInfo); e != nil {
			return nil, e
		}
		if err := s.db.updateNoticeGoods(ctx, f.name, req.WaybillToken, req.GoodsInfo); err != nil {
			return nil, err
		}
		return statusOK, nil
	}
}

// checkGoods: the notice card needs a name and a picture per goods line.
// The seeds list no code for it, so it is WeChat's generic 47001.
func checkGoods(g wxapi.GoodsInfo) *apiError {
	if len(g.DetailList) == 0 {
		return wxErrf(codeBadJSON, "goods_info.detail_list is required")
	}
	for i, d := range g.DetailList {
		field := fmt.Sprintf("goods_info.detail_list[%d]", i)
		if e := requireFields(codeBadJSON, field+".goods_name", d.GoodsName, field+".goods_img_url", d.GoodsImgURL); e != nil {
			return e
		}
	}
	return nil
}

type deliveryListReply struct {
	status
	wxapi.GetDeliveryListResponse
}

// handleGetDeliveryList serves .../open_msg/get_delivery_list: the
// catalogue, then the gateway couriers it lacks.
func (s *Sandbox) handleGetDeliveryList(context.Context, *call) (any, error) {
	list := append([]wxapi.NoticeDelivery(nil), noticeCouriers...)
	for _, g := range s.gateways.all() {
		if _, ok := noticeCourier(g.opts.DeliveryID); !ok {
			list = append(list, wxapi.NoticeDelivery{DeliveryID: g.opts.DeliveryID, DeliveryName: g.name})
		}
	}
	return deliveryListReply{statusOK, wxapi.GetDeliveryListResponse{DeliveryList: list, Count: len(list)}}, nil
}
