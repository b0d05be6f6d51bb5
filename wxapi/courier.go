package wxapi

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
)

// Courier side of 手机号物流消息推送 (seed 003): a courier company (or a
// merchant delivering with its own fleet) asks whether a phone number is bound
// to WeChat's express service and pushes path events for it; WeChat checks
// each push back with the waybill_notify_query event before notifying.

// Paths of the courier-side endpoints.
const (
	PathUserQuery  = "/cgi-bin/express/delivery/userquery"
	PathPathNotify = "/cgi-bin/express/delivery/pathnotify"
)

// Error codes of the courier-side endpoints.
const (
	CodeCourierBadArgs      = 40097  // 参数错误
	CodeCourierNoConfig     = 150004 // 运力配置不存在
	CodeBackCheckSystem     = 932001 // 反查运单系统错误
	CodeBackCheckLogic      = 932002 // 反查运单逻辑错误
	CodeBackCheckBadWaybill = 932003 // 反查运单获取到的运单数据异常
)

func init() {
	for code, msg := range map[int]string{
		CodeCourierBadArgs:      "参数错误 / bad arguments",
		CodeCourierNoConfig:     "运力配置不存在 / courier is not configured with WeChat",
		CodeBackCheckSystem:     "反查运单系统错误 / waybill back-check: system error",
		CodeBackCheckLogic:      "反查运单逻辑错误 / waybill back-check: logic error",
		CodeBackCheckBadWaybill: "反查运单数据异常 / waybill back-check: bad waybill data",
	} {
		messages[code] = msg
	}
}

// UserQueryRequest asks whether a phone is bound.
type UserQueryRequest struct {
	Phone string `json:"phone"`
}

// UserQueryResponse says whether it is: Exist 1 = bound.
type UserQueryResponse struct {
	Exist int `json:"exist"`
}

// NotifyParty is a sender or receiver of pathnotify (name and phone are
// required for the receiver).
type NotifyParty struct {
	Name     string `json:"name,omitempty"`
	Phone    string `json:"phone,omitempty"`
	Province string `json:"province,omitempty"`
	City     string `json:"city,omitempty"`
	Area     string `json:"area,omitempty"`
	Street   string `json:"street,omitempty"`
	Address  string `json:"address,omitempty"`
	ID       string `json:"id,omitempty"`
}

// NotifyPath is the path event pathnotify pushes, with the couriers when
// they are assigned.
type NotifyPath struct {
	ActionTime           int64  `json:"action_time"`
	ActionType           int    `json:"action_type"`
	ActionMsg            string `json:"action_msg"`
	PickupCourierName    string `json:"pickup_courier_name,omitempty"`
	PickupCourierPhone   string `json:"pickup_courier_phone,omitempty"`
	DeliveryCourierName  string `json:"delivery_courier_name,omitempty"`
	DeliveryCourierPhone string `json:"delivery_courier_phone,omitempty"`
}

// PathNotifyRequest is the body of pathnotify.
type PathNotifyRequest struct {
	Sender     NotifyParty `json:"sender"`
	Receiver   NotifyParty `json:"receiver"`
	WaybillID  string      `json:"waybill_id"`
	Path       NotifyPath  `json:"path"`
	CreateTime int64       `json:"create_time,omitempty"`
}

// Validate checks pathnotify's required fields.
func (r *PathNotifyRequest) Validate() error {
	var c checker
	c.required("waybill_id", r.WaybillID)
	c.required("receiver.name", r.Receiver.Name)
	c.required("receiver.phone", r.Receiver.Phone)
	if r.Path.ActionTime <= 0 {
		c.fail("path.action_time", "is required (Unix seconds)")
	}
	if r.Path.ActionType <= 0 {
		c.fail("path.action_type", "is required")
	}
	c.required("path.action_msg", r.Path.ActionMsg)
	return c.result()
}

// UserQuery asks whether a phone number is bound to WeChat's express service.
//
// WeChat: POST /cgi-bin/express/delivery/userquery (api_deliveryuserquery).
func (c *Client) UserQuery(ctx context.Context, phone string) (bool, error) {
	var ch checker
	ch.required("phone", phone)
	if ch.err != nil {
		return false, ch.err
	}
	var out UserQueryResponse
	if err := c.read(ctx, "userquery", http.MethodPost, PathUserQuery, UserQueryRequest{Phone: phone}, &out); err != nil {
		return false, err
	}
	return out.Exist == 1, nil
}

// PathNotify pushes a path event for a bound phone; WeChat then checks it
// back through the waybill_notify_query event.
//
// WeChat: POST /cgi-bin/express/delivery/pathnotify (api_deliverypathnotify).
func (c *Client) PathNotify(ctx context.Context, req *PathNotifyRequest) (bool, error) {
	if err := req.Validate(); err != nil {
		return false, err
	}
	var out UserQueryResponse
	if err := c.call(ctx, "pathnotify", http.MethodPost, PathPathNotify, req, &out); err != nil {
		return false, err
	}
	return out.Exist == 1, nil
}

// EventWaybillNotifyQuery is WeChat's back-check of a pathnotify push.
const EventWaybillNotifyQuery = "waybill_notify_query"

// NotifyQueryEvent is the waybill_notify_query event WeChat sends the courier.
type NotifyQueryEvent struct {
	EventHeader
	WaybillID     string `json:"WaybillId" xml:"WaybillId"`
	SenderPhone   string `json:"SenderPhone" xml:"SenderPhone"`
	ReceiverPhone string `json:"ReceiverPhone" xml:"ReceiverPhone"`
}

// ParseNotifyQuery decodes a waybill_notify_query event (JSON or XML; the
// event name is case-insensitive per the seed).
func ParseNotifyQuery(body []byte) (*NotifyQueryEvent, error) {
	var ev NotifyQueryEvent
	if err := decodeBody(body, &ev); err != nil {
		return nil, fmt.Errorf("waybill_notify_query: %w", err)
	}
	if !strings.EqualFold(ev.Event, EventWaybillNotifyQuery) {
		return nil, fmt.Errorf("waybill_notify_query: event is %q", ev.Event)
	}
	if ev.WaybillID == "" {
		return nil, fmt.Errorf("waybill_notify_query: no WaybillId")
	}
	return &ev, nil
}

// NotifyQueryPath is one path item of the back-check answer.
type NotifyQueryPath struct {
	ActionTime           int64  `json:"ActionTime" xml:"ActionTime"`
	ActionType           int    `json:"ActionType" xml:"ActionType"`
	ActionMsg            string `json:"ActionMsg" xml:"ActionMsg"`
	PickupCourierName    string `json:"PickupCourierName,omitempty" xml:"PickupCourierName,omitempty"`
	PickupCourierPhone   string `json:"PickupCourierPhone,omitempty" xml:"PickupCourierPhone,omitempty"`
	DeliveryCourierName  string `json:"DeliveryCourierName,omitempty" xml:"DeliveryCourierName,omitempty"`
	DeliveryCourierPhone string `json:"DeliveryCourierPhone,omitempty" xml:"DeliveryCourierPhone,omitempty"`
}

// NotifyQueryReply is the courier's answer to waybill_notify_query: the
// whole path of the waybill.
type NotifyQueryReply struct {
	XMLName           xml.Name          `json:"-" xml:"xml"`
	ToUserName        string            `json:"ToUserName" xml:"ToUserName"`
	FromUserName      string            `json:"FromUserName" xml:"FromUserName"`
	CreateTime        int64             `json:"CreateTime" xml:"CreateTime"`
	MsgType           string            `json:"MsgType" xml:"MsgType"`
	Event             string            `json:"Event" xml:"Event"`
	ResultCode        int               `json:"ResultCode" xml:"ResultCode"`
	ResultMsg         string            `json:"ResultMsg" xml:"ResultMsg"`
	WaybillCreateTime int64             `json:"WaybillCreateTime" xml:"WaybillCreateTime"`
	Path              []NotifyQueryPath `json:"Path" xml:"Path"`
}
