package wxapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// Buyer notices: WeChat tracks a waybill shipped with any courier and tells
// the buyer at pick-up, delivery and signing. Two families with the same
// shapes: 物流查询插件 (trace_waybill, seed 001) and 物流消息 (follow_waybill,
// seed 004).

// Paths of the buyer-notice endpoints.
const (
	PathTraceWaybill             = "/cgi-bin/express/delivery/open_msg/trace_waybill"
	PathQueryTrace               = "/cgi-bin/express/delivery/open_msg/query_trace"
	PathUpdateWaybillGoods       = "/cgi-bin/express/delivery/open_msg/update_waybill_goods"
	PathFollowWaybill            = "/cgi-bin/express/delivery/open_msg/follow_waybill"
	PathQueryFollowTrace         = "/cgi-bin/express/delivery/open_msg/query_follow_trace"
	PathUpdateFollowWaybillGoods = "/cgi-bin/express/delivery/open_msg/update_follow_waybill_goods"
	PathGetDeliveryList          = "/cgi-bin/express/delivery/open_msg/get_delivery_list"
)

// Error codes of the buyer-notice endpoints (seeds 001 and 004).
const (
	CodeNoticeWrongToken     = 9300507 // waybill_token 参数错误
	CodeNoticeCallLimit      = 9300513 // 调用次数达到上限
	CodeNoticeOpenIDMismatch = 9300534 // access_token 与 openid 不匹配
	CodeNoticeNoWaybill      = 9300559 // 运单不存在
	CodeNoticeUpdateLimit    = 9300560 // 达到修改次数上限
	CodeNoticeNoWaybillSeen  = 931023  // observed instead of 9300559
)

func init() {
	for code, msg := range map[int]string{
		CodeNoticeWrongToken:     "waybill_token 无效 / invalid waybill_token",
		CodeNoticeCallLimit:      "调用次数达到上限 / call limit reached",
		CodeNoticeOpenIDMismatch: "openid 与 access_token 不匹配 / openid does not belong to this mini program",
		CodeNoticeNoWaybill:      "运单不存在 / waybill does not exist",
		CodeNoticeUpdateLimit:    "修改次数达到上限 / too many goods updates",
		CodeNoticeNoWaybillSeen:  "运单不存在 / waybill does not exist",
	} {
		messages[code] = msg
	}
}

// NoticeGoods is one goods card of a buyer notice.
type NoticeGoods struct {
	GoodsName   string `json:"goods_name"`
	GoodsImgURL string `json:"goods_img_url"`
	GoodsDesc   string `json:"goods_desc,omitempty"`
}

// GoodsInfo wraps the goods cards.
type GoodsInfo struct {
	DetailList []NoticeGoods `json:"detail_list"`
}

// FollowRequest is the body of trace_waybill and follow_waybill.
type FollowRequest struct {
	OpenID        string    `json:"openid"`
	SenderPhone   string    `json:"sender_phone,omitempty"`
	ReceiverPhone string    `json:"receiver_phone,omitempty"`
	WaybillID     string    `json:"waybill_id"`
	GoodsInfo     GoodsInfo `json:"goods_info"`
	// TransID is the WeChat Pay transaction id of the buyer's payment
	// (交易单号, usually starting 420); both seeds mark it required.
	TransID string `json:"trans_id"`
	// DeliveryID is a courier id of get_delivery_list (not the 物流助手 ids).
	DeliveryID      string `json:"delivery_id,omitempty"`
	OrderDetailPath string `json:"order_detail_path,omitempty"`
}

// FollowResponse carries the token later queries use.
type FollowResponse struct {
	WaybillToken string `json:"waybill_token"`
}

// Waybill statuses reported by query_trace / query_follow_trace.
const (
	NoticeStatusNotFound  = 0 // 运单不存在或者未揽收
	NoticeStatusCollected = 1
	NoticeStatusTransit   = 2
	NoticeStatusDelivery  = 3
	NoticeStatusSigned    = 4
	NoticeStatusException = 5
	NoticeStatusProxySign = 6 // 代签收
)

// QueryTraceRequest is the body of query_trace and query_follow_trace.
type QueryTraceRequest struct {
	WaybillToken string `json:"waybill_token"`
	OpenID       string `json:"openid,omitempty"`
}

// QueryTraceResponse is what WeChat knows of a followed waybill.
type QueryTraceResponse struct {
	WaybillInfo struct {
		Status    int    `json:"status"`
		WaybillID string `json:"waybill_id"`
	} `json:"waybill_info"`
	ShopInfo struct {
		GoodsInfo GoodsInfo `json:"goods_info"`
	} `json:"shop_info"`
	DeliveryInfo struct {
		DeliveryID   string `json:"delivery_id"`
		DeliveryName string `json:"delivery_name"`
	} `json:"delivery_info"`
}

// UpdateGoodsRequest is the body of update_waybill_goods and update_follow_waybill_goods.
type UpdateGoodsRequest struct {
	WaybillToken string    `json:"waybill_token"`
	OpenID       string    `json:"openid,omitempty"`
	GoodsInfo    GoodsInfo `json:"goods_info"`
}

// NoticeDelivery is a courier of get_delivery_list.
type NoticeDelivery struct {
	DeliveryID   string `json:"delivery_id"`
	DeliveryName string `json:"delivery_name"`
}

// GetDeliveryListResponse is the answer of get_delivery_list.
type GetDeliveryListResponse struct {
	DeliveryList []NoticeDelivery `json:"delivery_list"`
	Count        int              `json:"count"`
}

// NoticeFamily picks the endpoint family of a buyer notice.
type NoticeFamily int

// The two families.
const (
	NoticeFollow NoticeFamily = iota // follow_waybill (物流消息)
	NoticeTrace                      // trace_waybill (物流查询插件)
)

func (f NoticeFamily) paths() (register, query, update string) {
	if f == NoticeTrace {
		return PathTraceWaybill, PathQueryTrace, PathUpdateWaybillGoods
	}
	return PathFollowWaybill, PathQueryFollowTrace, PathUpdateFollowWaybillGoods
}

func (f NoticeFamily) name() string {
	if f == NoticeTrace {
		return "trace"
	}
	return "follow"
}

// Validate checks a follow/trace registration.
func (r *FollowRequest) Validate() error {
	var c checker
	c.required("openid", r.OpenID)
	c.required("waybill_id", r.WaybillID)
	if strings.TrimSpace(r.TransID) == "" {
		c.fail("trans_id", "is required: the WeChat Pay transaction id (交易单号) the buyer paid with")
	}
	c.goods(r.GoodsInfo)
	return c.result()
}

func (c *checker) goods(g GoodsInfo) {
	if len(g.DetailList) == 0 {
		c.fail("goods_info.detail_list", "needs at least one goods card")
	}
	for i, d := range g.DetailList {
		f := fmt.Sprintf("goods_info.detail_list[%d]", i)
		c.required(f+".goods_name", d.GoodsName)
		c.maxRunes(f+".goods_name", d.GoodsName, 40)
		c.required(f+".goods_img_url", d.GoodsImgURL)
		c.maxRunes(f+".goods_desc", d.GoodsDesc, 40)
	}
}

// Follow registers a waybill for buyer notices and returns its waybill_token.
//
// WeChat: POST /cgi-bin/express/delivery/open_msg/follow_waybill (api_follow_waybill)
// or trace_waybill (api_trace_waybill).
func (c *Client) Follow(ctx context.Context, family NoticeFamily, req *FollowRequest) (*FollowResponse, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	path, _, _ := family.paths()
	var out FollowResponse
	if err := c.call(ctx, family.name()+"_waybill", http.MethodPost, path, req, &out); err != nil {
		return nil, err
	}
	if out.WaybillToken == "" {
		return nil, fmt.Errorf("wechat %s_waybill: answer has no waybill_token", family.name())
	}
	return &out, nil
}

// QueryTrace asks what WeChat knows of a followed waybill.
//
// WeChat: POST .../open_msg/query_follow_trace or query_trace.
func (c *Client) QueryTrace(ctx context.Context, family NoticeFamily, req *QueryTraceRequest) (*QueryTraceResponse, error) {
	var ch checker
	ch.required("waybill_token", req.WaybillToken)
	if ch.err != nil {
		return nil, ch.err
	}
	_, path, _ := family.paths()
	var out QueryTraceResponse
	if err := c.read(ctx, "query_"+family.name()+"_trace", http.MethodPost, path, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateGoods replaces the goods cards of a followed waybill.
//
// WeChat: POST .../open_msg/update_follow_waybill_goods or update_waybill_goods.
func (c *Client) UpdateGoods(ctx context.Context, family NoticeFamily, req *UpdateGoodsRequest) error {
	var ch checker
	ch.required("waybill_token", req.WaybillToken)
	ch.goods(req.GoodsInfo)
	if ch.err != nil {
		return ch.err
	}
	_, _, path := family.paths()
	return c.call(ctx, "update_"+family.name()+"_goods", http.MethodPost, path, req, nil)
}

// GetDeliveryList lists the ~1,400 couriers buyer notices know (their ids
// differ from 物流助手's, e.g. YD for Yunda).
//
// WeChat: POST /cgi-bin/express/delivery/open_msg/get_delivery_list.
func (c *Client) GetDeliveryList(ctx context.Context) (*GetDeliveryListResponse, error) {
	var out GetDeliveryListResponse
	if err := c.read(ctx, "get_delivery_list", http.MethodPost, PathGetDeliveryList, struct{}{}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
