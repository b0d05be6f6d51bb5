package sandbox

import "fmt"

// WeChat errcodes the sandbox answers with. The wxapi package names the ones
// its callers act on; the rest are only needed here.
const (
	codeSystemError     = -1
	codeInvalidCred     = 40001 // unknown or superseded access_token
	codeBadGrantType    = 40002
	codeInvalidOpenID   = 40003
	codeInvalidAppID    = 40013
	codeInvalidURL      = 40066
	codeInvalidSecret   = 40125
	codeTokenMissing    = 41001
	codeAppIDMissing    = 41002
	codeSecretMissing   = 41004
	codeTokenExpired    = 42001
	codeNeedPOST        = 43002
	codeEmptyBody       = 44002
	codeBadJSON         = 47001
	codeWaybillNotExist = 40199
	codeCourierFail     = 9300501
	codeNoDelivery      = 9300503
	codeHasTracking     = 9300506
	codeBadWaybillToken = 9300507
	codeBadUpdateType   = 9300517
	codeBadDelivery     = 9300520
	codeOrderRepeated   = 9300522
	codeCancelFailed    = 9300524
	codeInvalidArgs     = 9300526
	codeInvalidWaybill  = 9300528
	codeAlreadyBound    = 9300529
	codeUnbindUnknown   = 9300530
	codeWrongPassword   = 9300531
	codeBindReviewing   = 9300532
	codeInvalidShopArgs = 9300535
	codeNoticeNoWaybill = 9300559
	codeNoticeUpdates   = 9300560
	codeArgError        = 930561
	codeOrderNotExist   = 930563
	codeTransient       = 9909001 // seen once for an order WeChat had created

	// 手机号物流消息推送 (seed 003): userquery and pathnotify.
	codeCourierBadArgs      = 40097  // 参数错误
	codeCourierNoConfig     = 150004 // 运力配置不存在
	codeBackCheckSystem     = 932001 // 反查运单系统错误: the courier could not be asked
	codeBackCheckLogic      = 932002 // 反查运单逻辑错误: the courier's answer disagrees with the push
	codeBackCheckBadWaybill = 932003 // 反查运单获取到的运单数据异常: the answer is malformed
)

// errMessages are WeChat's own errmsg texts (before the " rid: ..." suffix),
// so logs and screenshots of the sandbox read like the real thing.
var errMessages = map[int]string{
	codeSystemError:     "system error",
	codeTransient:       "system error, please query the order before retrying",
	codeInvalidCred:     "invalid credential, access_token is invalid or not latest",
	codeBadGrantType:    "invalid grant_type",
	codeInvalidOpenID:   "invalid openid",
	codeInvalidAppID:    "invalid appid",
	codeInvalidURL:      "invalid url",
	codeInvalidSecret:   "invalid appsecret",
	codeTokenMissing:    "access_token missing",
	codeAppIDMissing:    "appid missing",
	codeSecretMissing:   "appsecret missing",
	codeTokenExpired:    "access_token expired",
	codeNeedPOST:        "require POST method",
	codeEmptyBody:       "empty post data",
	codeBadJSON:         "data format error",
	codeWaybillNotExist: "waybill id not exist",
	codeCourierFail:     "delivery logic fail",
	codeNoDelivery:      "delivery id not exist",
	codeHasTracking:     "waybill has path, can not cancel",
	codeBadWaybillToken: "invalid waybill_token",
	codeBadUpdateType:   "invalid update_type",
	codeBadDelivery:     "invalid delivery id",
	codeOrderRepeated:   "this orderid is repeated",
	codeCancelFailed:    "cancel order fail",
	codeInvalidArgs:     "invalid args",
	codeInvalidWaybill:  "invalid waybill_id",
	codeAlreadyBound:    "account already bound",
	codeUnbindUnknown:   "biz_id not bound",
	codeWrongPassword:   "account or password wrong",
	codeBindReviewing:   "bind submitted, waiting for review",
	codeInvalidShopArgs: "invalid shop args",
	codeNoticeNoWaybill: "waybill not exist",
	codeNoticeUpdates:   "goods update times exceed limit",
	codeArgError:        "args error",
	codeOrderNotExist:   "order not exists",

	codeCourierBadArgs:      "invalid args",
	codeCourierNoConfig:     "delivery config not exist",
	codeBackCheckSystem:     "waybill notify query system error",
	codeBackCheckLogic:      "waybill notify query logic error",
	codeBackCheckBadWaybill: "waybill notify query data error",
}

// Courier-side result codes (delivery_resultcode) seen in WeChat's answers.
const (
	courierBizIDError   = 10001 // "bizId check error"
	courierSenderError  = 20002 // 寄件人/收件人信息异常
	courierInsuredError = 20008 // SF: insured value below 100 fen
	courierCargoEmpty   = 30001 // "cargo.detailList is empty"
	courierCollected    = 30002 // cancel: already collected
	courierOrderClosed  = 30003 // cancel: order already signed / closed
	courierFreeText     = -1    // the courier's own free-text refusal
)

// apiError is a failure answered as HTTP 200 with a non-zero errcode.
type apiError struct {
	Code   int
	Detail string // extra text after WeChat's message, e.g. the bad field
	// Courier is set for 9300501: the courier system's own code and message.
	Courier *courierResult
}

// courierResult is the courier's delivery_resultcode/delivery_resultmsg.
type courierResult struct {
	Code int
	Msg  string
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("errcode %d: %s", e.Code, e.message())
	if e.Courier != nil {
		s += fmt.Sprintf(" [courier %d: %s]", e.Courier.Code, e.Courier.Msg)
	}
	return s
}

// message is the errmsg without the request id.
func (e *apiError) message() string {
	m := errMessages[e.Code]
	if m == "" {
		m = "error"
	}
	if e.Detail != "" {
		m += ": " + e.Detail
	}
	return m
}

// wxErr returns the plain WeChat error for code.
func wxErr(code int) *apiError { return &apiError{Code: code} }

// wxErrf returns the WeChat error for code with a hint naming what was wrong.
func wxErrf(code int, format string, args ...any) *apiError {
	return &apiError{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// courierErr is a 9300501 "delivery logic fail" carrying the courier's answer.
func courierErr(code int, msg string) *apiError {
	return withCourier(codeCourierFail, code, msg)
}

// withCourier is WeChat's code together with the courier's own result.
func withCourier(code, courierCode int, msg string) *apiError {
	return &apiError{Code: code, Courier: &courierResult{Code: courierCode, Msg: msg}}
}
