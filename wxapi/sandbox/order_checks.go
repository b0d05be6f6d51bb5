package sandbox

import (
	"fmt"
	"math"
	"strings"

	"waybilldesk/wxapi"
)

// The addOrder checks come in two layers, as on WeChat: the platform's own
// argument checks (their own errcodes), and the courier's checks, which
// WeChat wraps as 9300501 "delivery logic fail" with the courier's
// delivery_resultcode / delivery_resultmsg.

// checkOrderArgs is the platform layer that needs no database.
func checkOrderArgs(req *wxapi.AddOrderRequest) *apiError {
	if strings.TrimSpace(req.OrderID) == "" {
		return wxErrf(codeInvalidArgs, "order_id is required")
	}
	if len(req.OrderID) > wxapi.MaxOrderIDBytes {
		return wxErrf(codeInvalidArgs, "order_id is longer than %d bytes", wxapi.MaxOrderIDBytes)
	}
	if w := req.Cargo.Weight; math.IsNaN(w) || w <= 0 {
		// WeChat's 9300526 was observed for malformed requests; a weightless
		// parcel is one.
		return wxErrf(codeInvalidArgs, "cargo.weight must be greater than 0")
	}
	return checkShop(req.Shop)
}

// checkShop: the shop card is shown in the buyer's WeChat notice, so WeChat
// itself insists on a page path and on either goods cards or the legacy
// goods_name/img_url/goods_count triple.
func checkShop(sh wxapi.Shop) *apiError {
	if strings.TrimSpace(sh.WxaPath) == "" {
		return wxErrf(codeInvalidShopArgs, "shop.wxa_path is empty")
	}
	if len(sh.DetailList) == 0 {
		if strings.TrimSpace(sh.GoodsName) == "" || strings.TrimSpace(sh.ImgURL) == "" || sh.GoodsCount <= 0 {
			return wxErrf(codeInvalidShopArgs, "shop needs detail_list or goods_name, img_url and goods_count")
		}
		return nil
	}
	for i, g := range sh.DetailList {
		if strings.TrimSpace(g.GoodsName) == "" {
			return wxErrf(codeInvalidShopArgs, "shop.detail_list[%d].goods_name is empty", i)
		}
	}
	return nil
}

// checkForCourier is the courier layer. acct is the bound account matching
// (delivery_id, biz_id), or nil.
func checkForCourier(req *wxapi.AddOrderRequest, c courier, acct *wxapi.Account) *apiError {
	bizOK := (acct != nil && acct.StatusCode == wxapi.AccountBound) ||
		(c.CanUseCash == 1 && c.CashBizID != "" && req.BizID == c.CashBizID)
	if !bizOK {
		return courierErr(courierBizIDError, "bizId check error")
	}
	if _, ok := c.service(req.Service.ServiceType); !ok {
		return courierErr(courierFreeText, fmt.Sprintf("服务类型 %d 不存在，%s可用的服务类型：%s",
			req.Service.ServiceType, c.DeliveryName, serviceList(c)))
	}
	if len(req.Cargo.DetailList) == 0 {
		return courierErr(courierCargoEmpty, "cargo.detailList is empty")
	}
	if !contactComplete(req.Sender) {
		return courierErr(courierSenderError, "寄件人信息异常")
	}
	if !contactComplete(req.Receiver) {
		return courierErr(courierSenderError, "收件人信息异常")
	}
	if c.DeliveryID == "SF" && req.Insured.UseInsured == 1 && req.Insured.InsuredValue < 100 {
		return courierErr(courierInsuredError, "can not less then 100 cents")
	}
	if c.Model == modelFranchise && acct != nil && acct.QuotaNum <= 0 {
		return courierErr(courierFreeText, fmt.Sprintf("电子面单余额不足（%s %s 剩余 %d 单），请联系网点充值",
			c.DeliveryName, acct.BizID, acct.QuotaNum))
	}
	return nil
}

// contactComplete: a courier needs a name, a phone (mobile or landline) and
// the four address parts to collect or deliver.
func contactComplete(p wxapi.Contact) bool {
	blank := func(s string) bool { return strings.TrimSpace(s) == "" }
	if blank(p.Name) || (blank(p.Tel) && blank(p.Mobile)) {
		return false
	}
	return !blank(p.Province) && !blank(p.City) && !blank(p.Area) && !blank(p.Address)
}

func serviceList(c courier) string {
	parts := make([]string, len(c.ServiceType))
	for i, s := range c.ServiceType {
		parts[i] = fmt.Sprintf("%d %s", s.ServiceType, s.ServiceName)
	}
	return strings.Join(parts, "、")
}
