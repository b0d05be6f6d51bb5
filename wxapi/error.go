package wxapi

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Error is a failure WeChat reported with a non-zero errcode. It keeps the
// code so callers can switch on it; errmsg carries a request id and is never
// compared.
type Error struct {
	Endpoint string // e.g. "addOrder"
	Code     int    // errcode
	Msg      string // errmsg
	// DeliveryResultCode and DeliveryResultMsg are the courier system's own
	// answer, meaningful when Code is 9300501.
	DeliveryResultCode int
	DeliveryResultMsg  string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("wechat %s: errcode %d", e.Endpoint, e.Code)
	if m := Message(e.Code); m != "" {
		s += " (" + m + ")"
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.DeliveryResultCode != 0 || e.DeliveryResultMsg != "" {
		s += fmt.Sprintf(" [courier %d: %s]", e.DeliveryResultCode, e.DeliveryResultMsg)
	}
	return s
}

// TokenInvalid reports whether the access_token was rejected as stale or
// wrong, so one refresh and one retry may help.
func (e *Error) TokenInvalid() bool {
	switch e.Code {
	case CodeInvalidCredential, CodeInvalidToken, CodeTokenExpired:
		return true
	}
	return false
}

// Retryable reports whether the same request may succeed later unchanged.
func (e *Error) Retryable() bool {
	switch e.Code {
	case CodeBusy, CodeMinuteQuota:
		return true
	}
	return false
}

// notCreated are the addOrder answers that mean WeChat did not create the
// order: the request was turned away at the door (token, AppID, IP
// whitelist, authorisation, rate limits), could not be read, or was refused
// for its content (bad arguments, an unknown courier, a courier that
// refused the account, the sender or the goods). Every other answer -1,
// 9909001, a code this list does not know, a lost connection - leaves the
// outcome unknown: the order may exist, and getOrder settles it.
var notCreated = map[int]bool{
	CodeInvalidCredential: true, // the client already refreshed once and tried again
	CodeInvalidToken:      true,
	CodeTokenExpired:      true,
	CodeTokenMissing:      true,
	CodeInvalidAppID:      true,
	CodeInvalidSecret:     true,
	40164:                 true, // caller IP not in the whitelist
	48001:                 true, // API not authorised
	CodeDailyQuota:        true, // quotas turn the call away before it runs
	CodeMinuteQuota:       true,
	43002:                 true, // POST required
	44002:                 true, // empty body
	CodeBadJSON:           true,
	40003:                 true, // invalid openid
	CodeCourierFailure:    true, // the courier refused: account, sender, goods, insured value
	9300503:               true, // delivery_id does not exist
	CodeInvalidDelivery:   true,
	9300526:               true, // malformed request
	CodeInvalidShop:       true,
	930561:                true, // argument error
}

// NotCreated reports whether an addOrder answer with this errcode means
// WeChat did not create the order, so the order may be marked refused.
// 9300522 (order_id already used) is not in the list: the order may be
// ours from a run that lost the answer, and getOrder tells.
func (e *Error) NotCreated() bool { return notCreated[e.Code] }

// NotCreatedCodes lists the codes NotCreated accepts, in ascending order,
// for documentation and tests.
func NotCreatedCodes() []int {
	out := make([]int, 0, len(notCreated))
	for c := range notCreated {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// OrderNotFound reports whether a getOrder answer says WeChat has no order
// with that order_id (for that courier).
func (e *Error) OrderNotFound() bool {
	return e.Code == CodeInvalidWaybill || e.Code == CodeOrderNotFound
}

// Codes that callers act on.
const (
	CodeBusy              = -1
	CodeInvalidCredential = 40001
	CodeInvalidAppID      = 40013
	CodeInvalidToken      = 40014
	CodeInvalidSecret     = 40125
	CodeTokenMissing      = 41001
	CodeTokenExpired      = 42001
	CodeBadJSON           = 47001
	CodeDailyQuota        = 45009
	CodeMinuteQuota       = 45011
	CodeCourierFailure    = 9300501
	CodeInvalidDelivery   = 9300520
	CodeOrderRepeated     = 9300522
	CodeInvalidWaybill    = 9300528
	CodeInvalidShop       = 9300535
	CodeOrderNotFound     = 930563
	CodeCancelFailed      = 9300524
	CodeTransient         = 9909001
)

// Code returns the WeChat errcode carried by err, or 0 when err is not (or
// does not wrap) an *Error.
func Code(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// messages gives a short Chinese and English text for the codes an
// operator meets; the full table grows with the client.
var messages = map[int]string{
	CodeBusy:              "系统繁忙 / system busy, try again",
	CodeInvalidCredential: "AppSecret 错误或 access_token 无效 / wrong AppSecret or invalid token",
	40003:                 "openid 无效 / invalid openid",
	CodeInvalidAppID:      "AppID 无效 / invalid AppID",
	CodeInvalidToken:      "access_token 无效 / invalid access_token",
	CodeInvalidSecret:     "AppSecret 无效 / invalid AppSecret",
	40164:                 "调用 IP 不在白名单 / caller IP not in the whitelist",
	CodeTokenMissing:      "缺少 access_token / access_token missing",
	CodeTokenExpired:      "access_token 已过期 / access_token expired",
	CodeDailyQuota:        "今日接口调用次数已用完 / daily API quota used up",
	CodeMinuteQuota:       "每分钟调用次数超限 / per-minute API quota used up",
	CodeBadJSON:           "请求格式错误 / request body could not be parsed",
	48001:                 "接口未授权 / API not authorised for this account",
	CodeCourierFailure:    "快递公司系统返回错误 / the courier's system refused",
	9300503:               "快递公司 ID 不存在 / delivery_id does not exist",
	9300506:               "运单已有轨迹，不能取消 / parcel already has tracking, cannot cancel",
	CodeInvalidDelivery:   "快递公司 ID 无效 / invalid delivery_id",
	CodeOrderRepeated:     "订单号已使用 / order_id already used",
	CodeCancelFailed:      "取消失败 / cancel failed",
	9300526:               "请求参数错误 / malformed request",
	CodeInvalidWaybill:    "运单号无效 / invalid waybill_id",
	9300529:               "账号已绑定 / account already bound",
	9300531:               "账号或密码错误 / account or password wrong",
	CodeInvalidShop:       "shop 参数无效 / invalid shop arguments",
	40199:                 "运单号不存在 / waybill does not exist",
	40002:                 "grant_type 必须是 client_credential / grant_type must be client_credential",
	41002:                 "缺少 AppID / appid missing",
	41004:                 "缺少 AppSecret / secret missing",
	43002:                 "需要 POST 请求 / POST required",
	44002:                 "POST 数据为空 / empty POST body",
	40033:                 "请求含非法 \\uxxxx 字符 / request contains illegal \\uxxxx characters",
	40066:                 "接口地址无效 / invalid API url",
	9300517:               "update_type 无效 / invalid update_type",
	9300530:               "要解绑的账号不存在 / the account to unbind does not exist",
	9300532:               "绑定已提交，审核中 / bind submitted, under review",
	CodeTransient:         "系统临时故障，请先查询订单再重试 / transient failure: look the order up before retrying",
	930561:                "参数错误 / argument error",
	CodeOrderNotFound:     "订单不存在 / order does not exist",
}

// Message returns the operator-facing text for an errcode, or "" when the
// code is not known.
func Message(code int) string { return messages[code] }

// RetryAfter is how long to wait before the same request may succeed: until
// the next minute for the per-minute quota, a moment for a busy system, and
// 0 (never) for everything else, including the daily quota.
func (e *Error) RetryAfter(now time.Time) time.Duration {
	switch e.Code {
	case CodeMinuteQuota:
		return now.Truncate(time.Minute).Add(time.Minute).Sub(now)
	case CodeBusy:
		return time.Second
	}
	return 0
}
