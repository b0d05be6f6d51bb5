package sandbox

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"

	"waybilldesk/wxapi"
)

// Routing data printed on a label: the sorting code (三段码 / 大头笔) and the
// bag address (集包地). Real couriers derive them from their network; the
// sandbox derives them deterministically from the address, so the same
// receiver always gets the same code and tests can pin them.

// provinces maps the short province name to the city whose hub serves it.
var provinces = []struct{ short, hub string }{
	{"北京", "北京"}, {"天津", "天津"}, {"河北", "石家庄"}, {"山西", "太原"}, {"内蒙古", "呼和浩特"},
	{"辽宁", "沈阳"}, {"吉林", "长春"}, {"黑龙江", "哈尔滨"}, {"上海", "上海"}, {"江苏", "南京"},
	{"浙江", "杭州"}, {"安徽", "合肥"}, {"福建", "福州"}, {"江西", "南昌"}, {"山东", "济南"},
	{"河南", "郑州"}, {"湖北", "武汉"}, {"湖南", "长沙"}, {"广东", "广州"}, {"广西", "南宁"},
	{"海南", "海口"}, {"重庆", "重庆"}, {"四川", "成都"}, {"贵州", "贵阳"}, {"云南", "昆明"},
	{"西藏", "拉萨"}, {"陕西", "西安"}, {"甘肃", "兰州"}, {"青海", "西宁"}, {"宁夏", "银川"},
	{"新疆", "乌鲁木齐"}, {"台湾", "台北"}, {"香港", "香港"}, {"澳门", "澳门"},
}

// ownHubs are cities big enough to have their own hub, not the provincial one.
var ownHubs = map[string]bool{
	"深圳": true, "东莞": true, "佛山": true, "苏州": true, "无锡": true, "宁波": true,
	"温州": true, "金华": true, "厦门": true, "泉州": true, "青岛": true, "大连": true,
}

// areaCodes are telephone area codes, which couriers commonly use as the
// first segment of the sorting code (SF's 755 = Shenzhen, 020 = Guangzhou).
var areaCodes = map[string]string{
	"北京": "010", "上海": "021", "天津": "022", "重庆": "023", "广州": "020", "深圳": "755",
	"东莞": "769", "佛山": "757", "珠海": "756", "杭州": "571", "宁波": "574", "温州": "577",
	"金华": "579", "南京": "025", "苏州": "512", "无锡": "510", "成都": "028", "武汉": "027",
	"长沙": "731", "西安": "029", "郑州": "371", "济南": "531", "青岛": "532", "沈阳": "024",
	"大连": "411", "哈尔滨": "451", "长春": "431", "石家庄": "311", "太原": "351", "呼和浩特": "471",
	"合肥": "551", "福州": "591", "厦门": "592", "泉州": "595", "南昌": "791", "南宁": "771",
	"海口": "898", "贵阳": "851", "昆明": "871", "拉萨": "891", "兰州": "931", "西宁": "971",
	"银川": "951", "乌鲁木齐": "991", "台北": "886", "香港": "852", "澳门": "853",
}

// hubSuffix is what each courier calls its sorting hubs.
var hubSuffix = map[string]string{
	"SF": "中转场", "ZTO": "中转部", "YUNDA": "分拨中心", "BEST": "分拨中心",
	"EMS": "邮件处理中心", "DB": "枢纽中心",
}

// sortLetters skips I and O, which sorters confuse with 1 and 0.
const sortLetters = "ABCDEFGHJKLMNPQRSTUVWXYZ"

// shortProvince returns the province's short name ("广东省" -> "广东") and
// its hub city; ok is false for a name the table does not know.
func shortProvince(p string) (short, hub string, ok bool) {
	p = strings.TrimSpace(p)
	for _, e := range provinces {
		if strings.HasPrefix(p, e.short) {
			return e.short, e.hub, true
		}
	}
	return p, "", false
}

// shortCity strips the administrative suffix: "广州市" -> "广州".
func shortCity(c string) string {
	c = strings.TrimSpace(c)
	for _, suf := range []string{"市", "地区", "自治州", "盟"} {
		if s := strings.TrimSuffix(c, suf); s != c && s != "" {
			return s
		}
	}
	return c
}

// hubCity is the city whose hub receives parcels for the contact's address.
func hubCity(c wxapi.Contact) string {
	city := shortCity(c.City)
	if ownHubs[city] {
		return city
	}
	if _, hub, ok := shortProvince(c.Province); ok {
		return hub
	}
	if city != "" {
		return city
	}
	return "全国"
}

// hubName names a courier's hub in a city, e.g. "广州中转场" for SF.
func hubName(deliveryID, city string) string {
	suf, ok := hubSuffix[deliveryID]
	if !ok {
		suf = "转运中心"
	}
	return city + suf
}

// bagAddress is the 集包地: the destination hub the parcel is bagged for.
func bagAddress(deliveryID string, receiver wxapi.Contact) string {
	return hubName(deliveryID, hubCity(receiver))
}

// originCenter is the hub that collects the parcel on the sender's side.
func originCenter(deliveryID string, sender wxapi.Contact) string {
	return hubName(deliveryID, hubCity(sender))
}

// sortingCode builds a three-segment code like "755W-K01 021": the
// destination city's area code and a route letter, the delivery outlet
// (from the district) and the courier's route number (from the street).
func sortingCode(deliveryID string, receiver wxapi.Contact) string {
	city := shortCity(receiver.City)
	code, ok := areaCodes[city]
	if !ok {
		_, hub, known := shortProvince(receiver.Province)
		code, ok = areaCodes[hub]
		if !known || !ok {
			code = fmt.Sprintf("9%02d", hash(receiver.Province, city)%100)
		}
	}
	h1 := hash(deliveryID, receiver.Province, city)
	h2 := hash(deliveryID, city, receiver.Area)
	h3 := hash(deliveryID, receiver.Area, receiver.Address)
	return fmt.Sprintf("%s%c-%c%02d %03d", code,
		sortLetters[h1%uint32(len(sortLetters))],
		sortLetters[h2%uint32(len(sortLetters))], h2/7%99+1,
		h3%999+1)
}

func hash(parts ...string) uint32 {
	h := fnv.New32a()
	for _, p := range parts {
		h.Write([]byte(strings.TrimSpace(p)))
		h.Write([]byte{0})
	}
	return h.Sum32()
}

// postCodes are the postal codes of hub cities (EMS prints the receiver's
// and the sender's); a city not listed takes its province capital's.
var postCodes = map[string]string{
	"北京": "100000", "上海": "200000", "天津": "300000", "重庆": "400000", "广州": "510000", "深圳": "518000",
	"东莞": "523000", "佛山": "528000", "珠海": "519000", "杭州": "310000", "宁波": "315000", "温州": "325000",
	"金华": "321000", "南京": "210000", "苏州": "215000", "无锡": "214000", "成都": "610000", "武汉": "430000",
	"长沙": "410000", "西安": "710000", "郑州": "450000", "济南": "250000", "青岛": "266000", "沈阳": "110000",
	"大连": "116000", "哈尔滨": "150000", "长春": "130000", "石家庄": "050000", "太原": "030000",
	"呼和浩特": "010000", "合肥": "230000", "福州": "350000", "厦门": "361000", "泉州": "362000", "南昌": "330000",
	"南宁": "530000", "海口": "570000", "贵阳": "550000", "昆明": "650000", "拉萨": "850000", "兰州": "730000",
	"西宁": "810000", "银川": "750000", "乌鲁木齐": "830000",
}

var sixDigits = regexp.MustCompile(`^\d{6}$`)

// postCode is the contact's post_code when it is a mainland one, else the
// code of the city's hub with the district folded into the last digits so
// neighbouring districts differ, as real codes do.
func postCode(c wxapi.Contact) string {
	if pc := strings.TrimSpace(c.PostCode); sixDigits.MatchString(pc) {
		return pc
	}
	code, ok := postCodes[shortCity(c.City)]
	if !ok {
		code, ok = postCodes[hubCity(c)]
	}
	if !ok {
		return ""
	}
	return code[:4] + fmt.Sprintf("%02d", hash(c.Area)%60)
}
