package batch

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"waybilldesk/internal/capped"
)

// Field is one of our template's columns: the name users see in the
// template and in --map files.
type Field string

// The import fields. docs/import.md documents each with its aliases.
const (
	FieldOrderID        Field = "order_id"
	FieldReceiverName   Field = "receiver_name"
	FieldReceiverMobile Field = "receiver_mobile"
	FieldReceiverTel    Field = "receiver_tel"
	FieldProvince       Field = "receiver_province"
	FieldCity           Field = "receiver_city"
	FieldArea           Field = "receiver_area"
	FieldStreet         Field = "receiver_street"
	FieldAddress        Field = "receiver_address"
	FieldFullAddress    Field = "receiver_full_address"
	FieldGoodsName      Field = "goods_name"
	FieldGoodsCount     Field = "goods_count"
	FieldWeight         Field = "weight_kg"
	FieldLength         Field = "length_cm"
	FieldWidth          Field = "width_cm"
	FieldHeight         Field = "height_cm"
	FieldInsured        Field = "insured_yuan"
	FieldRemark         Field = "remark"
	FieldDeliveryID     Field = "delivery_id"
	FieldServiceType    Field = "service_type"
	FieldBizID          Field = "biz_id"
	FieldPickupTime     Field = "pickup_time"
	FieldOpenID         Field = "openid"
	FieldTransID        Field = "trans_id"
)

// fieldSpec is a field with the headers that name it in shop exports, in
// order of preference: when a file has two matching headers the earlier
// alias wins, and a column is claimed by one field only (fields claim in
// the order of fieldSpecs).
type fieldSpec struct {
	Field   Field
	Aliases []string
}

// fieldSpecs is the column map. Aliases are compared after normalizeHeader
// (no spaces, half-width brackets, lower case, no trailing "*" or
// "(必填)"). Sources: the order export column names of 淘宝/天猫 (订单报表),
// 拼多多, 抖店, 有赞 and 微信小店 as merchants meet them; variants differ by
// version, which is what --map is for.
var fieldSpecs = []fieldSpec{
	// 主订单编号 before 订单编号: Douyin has both 主订单编号 and 子订单编号,
	// and one parcel ships the main order.
	{FieldOrderID, []string{"order_id", "主订单编号", "订单编号", "订单号", "订单id", "店铺订单号", "商家订单号", "外部订单号", "平台订单号"}},
	{FieldReceiverName, []string{"receiver_name", "收货人姓名", "收件人姓名", "收货人", "收件人", "收货人/提货人", "收货人名称", "收件人名称"}},
	// 联系手机 (Taobao) before 联系电话: Taobao exports both, the second
	// often a landline; receiver_tel then claims 联系电话.
	{FieldReceiverMobile, []string{"receiver_mobile", "联系手机", "收货人手机", "收货人手机号", "收件人手机号", "收件人手机",
		"收货人手机号/提货人手机号", "收货人联系方式", "收件人联系方式", "收货人电话", "收件人电话", "手机号码", "手机号", "手机", "联系电话", "电话"}},
	{FieldReceiverTel, []string{"receiver_tel", "固定电话", "收货人固话", "座机", "联系电话"}},
	{FieldProvince, []string{"receiver_province", "收货省份", "收货人省份", "收件人省份", "收件省份", "省份", "省"}},
	{FieldCity, []string{"receiver_city", "收货城市", "收货人城市", "收件人城市", "收件城市", "城市", "市"}},
	{FieldArea, []string{"receiver_area", "收货区县", "收货人地区", "收货人区县", "收件人区县", "收件区县", "区县", "区/县", "县区", "区"}},
	{FieldStreet, []string{"receiver_street", "街道", "乡镇/街道", "收件人街道", "收货人街道"}},
	{FieldAddress, []string{"receiver_address", "详细地址", "收货详细地址", "详细收货地址", "详细收货地址/提货地址",
		"收件人详细地址", "收货人详细地址"}},
	// One string "浙江省 杭州市 西湖区 文三路398号": split by SplitAddress.
	{FieldFullAddress, []string{"receiver_full_address", "收货地址", "收货人地址", "收件人地址", "收件地址", "完整地址", "地址"}},
	{FieldGoodsName, []string{"goods_name", "宝贝标题", "商品名称", "商品标题", "宝贝名称", "商品", "货品名称", "商品信息"}},
	{FieldGoodsCount, []string{"goods_count", "宝贝总数量", "商品数量", "宝贝数量", "购买数量", "数量"}},
	{FieldWeight, []string{"weight_kg", "重量(kg)", "包裹重量(kg)", "重量", "包裹重量", "商品重量"}},
	{FieldLength, []string{"length_cm", "长(cm)", "长度(cm)", "长度", "长"}},
	{FieldWidth, []string{"width_cm", "宽(cm)", "宽度(cm)", "宽度", "宽"}},
	{FieldHeight, []string{"height_cm", "高(cm)", "高度(cm)", "高度", "高"}},
	{FieldInsured, []string{"insured_yuan", "保价金额(元)", "保价金额", "保价", "声明价值"}},
	// 卖家备注 / 商家备注 are the seller's own notes; 买家留言 is not
	// mapped: a buyer's message does not belong on a parcel label.
	{FieldRemark, []string{"remark", "卖家备注", "商家备注", "商家订单备注", "订单备注", "备注"}},
	{FieldDeliveryID, []string{"delivery_id", "快递公司编码", "快递公司", "物流公司"}},
	{FieldServiceType, []string{"service_type", "服务类型", "快递服务类型"}},
	{FieldBizID, []string{"biz_id", "月结账号", "快递账号", "客户编码"}},
	{FieldPickupTime, []string{"pickup_time", "预约取件时间", "期望取件时间", "取件时间"}},
	{FieldOpenID, []string{"openid", "买家openid"}},
	// WeChat Pay's transaction id, which buyer notices need; shop exports
	// call it 支付单号 or 微信支付单号 (交易单号 / 交易号 also mean it there).
	{FieldTransID, []string{"trans_id", "微信支付单号", "支付单号", "支付交易号", "交易单号", "微信交易号"}},
}

// TemplateFields are the columns of our own template, in template order.
var TemplateFields = []Field{
	FieldOrderID, FieldReceiverName, FieldReceiverMobile, FieldProvince, FieldCity, FieldArea, FieldAddress,
	FieldGoodsName, FieldGoodsCount, FieldWeight, FieldLength, FieldWidth, FieldHeight, FieldInsured,
	FieldRemark, FieldDeliveryID, FieldServiceType, FieldBizID,
}

func knownField(f Field) bool {
	for _, s := range fieldSpecs {
		if s.Field == f {
			return true
		}
	}
	return false
}

// Aliases returns the headers that a field is recognised by, our own name
// first.
func Aliases(f Field) []string {
	for _, s := range fieldSpecs {
		if s.Field == f {
			return append([]string(nil), s.Aliases...)
		}
	}
	return nil
}

// ColumnMap maps our fields to a file's header names; it overrides the
// built-in aliases for the fields it names.
type ColumnMap map[Field]string

// ReadColumnMap reads a --map file: a JSON object of our field names to the
// file's header names, e.g. {"receiver_mobile": "买家手机"}.
func ReadColumnMap(path string) (ColumnMap, error) {
	raw, err := capped.ReadFile(path, 1<<20) // a map is a few hundred bytes
	if err != nil {
		return nil, fmt.Errorf("read column map: %w", err)
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("column map %s: want a JSON object of field names to headers: %w", path, err)
	}
	out := ColumnMap{}
	var unknown []string
	for k, v := range m {
		f := Field(strings.TrimSpace(k))
		if !knownField(f) {
			unknown = append(unknown, k)
			continue
		}
		out[f] = v
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("column map %s: unknown field(s) %s (known: %s)", path, strings.Join(unknown, ", "), fieldNames())
	}
	return out, nil
}

func fieldNames() string {
	var names []string
	for _, s := range fieldSpecs {
		names = append(names, string(s.Field))
	}
	return strings.Join(names, ", ")
}
