package sandbox

import (
	"strings"

	"waybilldesk/wxapi"
)

// noticeCouriers is the sandbox's get_delivery_list: the buyer-notice
// products know about 1,400 couriers under their own ids (YD for Yunda,
// HTKY for Best), of which these are the ones a Chinese merchant meets,
// plus the three entries of the published sample.
var noticeCouriers = []wxapi.NoticeDelivery{
	{DeliveryID: "SF", DeliveryName: "顺丰速运"},
	{DeliveryID: "YTO", DeliveryName: "圆通速递"},
	{DeliveryID: "ZTO", DeliveryName: "中通快递"},
	{DeliveryID: "STO", DeliveryName: "申通快递"},
	{DeliveryID: "YD", DeliveryName: "韵达速递"},
	{DeliveryID: "HTKY", DeliveryName: "百世快递"},
	{DeliveryID: "EMS", DeliveryName: "EMS"},
	{DeliveryID: "YZPY", DeliveryName: "邮政快递包裹"},
	{DeliveryID: "JD", DeliveryName: "京东快递"},
	{DeliveryID: "JTSD", DeliveryName: "极兔速递"},
	{DeliveryID: "DBL", DeliveryName: "德邦快递"},
	{DeliveryID: "ANE", DeliveryName: "安能物流"},
	{DeliveryID: "UC", DeliveryName: "优速快递"},
	{DeliveryID: "HHTT", DeliveryName: "天天快递"},
	{DeliveryID: "ZJS", DeliveryName: "宅急送"},
	{DeliveryID: "FWX", DeliveryName: "丰网速运"},
	{DeliveryID: "KYSY", DeliveryName: "跨越速运"},
	{DeliveryID: "ZTOKY", DeliveryName: "中通快运"},
	{DeliveryID: "YDKY", DeliveryName: "韵达快运"},
	{DeliveryID: "BTWL", DeliveryName: "百世快运"},
	{DeliveryID: "SX", DeliveryName: "顺心捷达"},
	{DeliveryID: "DNWL", DeliveryName: "丹鸟"},
	{DeliveryID: "ZYKD", DeliveryName: "众邮快递"},
	{DeliveryID: "SNWL", DeliveryName: "苏宁物流"},
	{DeliveryID: "ZTKY", DeliveryName: "中铁快运"},
	{DeliveryID: "HOAU", DeliveryName: "天地华宇"},
	{DeliveryID: "XFEX", DeliveryName: "信丰物流"},
	{DeliveryID: "GTO", DeliveryName: "国通快递"},
	{DeliveryID: "QFKD", DeliveryName: "全峰快递"},
	{DeliveryID: "LB", DeliveryName: "龙邦快递"},
	{DeliveryID: "SURE", DeliveryName: "速尔快运"},
	{DeliveryID: "UAPEX", DeliveryName: "全一快递"},
	{DeliveryID: "CND", DeliveryName: "承诺达特快"},
	{DeliveryID: "PJ", DeliveryName: "品骏快递"},
	{DeliveryID: "JGSD", DeliveryName: "京广速递"},
	{DeliveryID: "CNSD", DeliveryName: "菜鸟速递"},
	{DeliveryID: "DHL", DeliveryName: "DHL"},
	{DeliveryID: "FEDEX", DeliveryName: "FedEx联邦快递"},
	{DeliveryID: "UPS", DeliveryName: "UPS"},
	{DeliveryID: "TNT", DeliveryName: "TNT"},
	{DeliveryID: "USPS", DeliveryName: "USPS"},
	{DeliveryID: "(AU)", DeliveryName: "Interparcel"},
	{DeliveryID: "BDT", DeliveryName: "八达通"},
}

// noticeIDs maps a 物流助手 delivery_id to the buyer-notice id of the same
// courier.
var noticeIDs = map[string]string{
	"SF": "SF", "YTO": "YTO", "ZTO": "ZTO", "STO": "STO", "YUNDA": "YD", "BEST": "HTKY",
	"EMS": "EMS", "DB": "DBL", "PJ": "PJ", "OTP": "CND", "JDL": "JD", "ANE": "ANE",
	"UCE": "UC", "HHTT": "HHTT", "JTSD": "JTSD",
}

// waybillPrefixes recognise a courier from a waybill nobody named.
var waybillPrefixes = []struct{ prefix, id string }{
	{"SF", "SF"}, {"YT", "YTO"}, {"JT", "JTSD"}, {"JD", "JD"}, {"DPK", "DBL"},
}

func noticeCourier(id string) (wxapi.NoticeDelivery, bool) {
	for _, d := range noticeCouriers {
		if d.DeliveryID == id {
			return d, true
		}
	}
	return wxapi.NoticeDelivery{}, false
}

// noticeDeliveryFor names the courier of a followed waybill: the sandbox
// order's courier, else the delivery_id given at registration, else a
// guess from the waybill's prefix; zero when nothing fits.
func noticeDeliveryFor(o *order, n *notice) wxapi.NoticeDelivery {
	if o != nil {
		if d, ok := noticeCourier(noticeIDs[o.Request.DeliveryID]); ok {
			return d
		}
	}
	if d, ok := noticeCourier(n.DeliveryID); ok {
		return d
	}
	for _, p := range waybillPrefixes {
		if strings.HasPrefix(strings.ToUpper(n.WaybillID), p.prefix) {
			d, _ := noticeCourier(p.id)
			return d
		}
	}
	return wxapi.NoticeDelivery{}
}
