package batch

import "strings"

// province is a provincial-level division: its full name, the short name
// people type, and whether it is a municipality (直辖市), whose city level
// is the municipality itself.
type province struct {
	full, short  string
	municipality bool
}

// provinces are the 34 provincial-level divisions.
var provinces = []province{
	{"北京市", "北京", true}, {"天津市", "天津", true}, {"上海市", "上海", true}, {"重庆市", "重庆", true},
	{"河北省", "河北", false}, {"山西省", "山西", false}, {"辽宁省", "辽宁", false}, {"吉林省", "吉林", false},
	{"黑龙江省", "黑龙江", false}, {"江苏省", "江苏", false}, {"浙江省", "浙江", false}, {"安徽省", "安徽", false},
	{"福建省", "福建", false}, {"江西省", "江西", false}, {"山东省", "山东", false}, {"河南省", "河南", false},
	{"湖北省", "湖北", false}, {"湖南省", "湖南", false}, {"广东省", "广东", false}, {"海南省", "海南", false},
	{"四川省", "四川", false}, {"贵州省", "贵州", false}, {"云南省", "云南", false}, {"陕西省", "陕西", false},
	{"甘肃省", "甘肃", false}, {"青海省", "青海", false}, {"台湾省", "台湾", false},
	{"内蒙古自治区", "内蒙古", false}, {"广西壮族自治区", "广西", false}, {"西藏自治区", "西藏", false},
	{"宁夏回族自治区", "宁夏", false}, {"新疆维吾尔自治区", "新疆", false},
	{"香港特别行政区", "香港", false}, {"澳门特别行政区", "澳门", false},
}

// noDistrictCities are the cities with no district level: the county-level
// cities and counties governed directly by their province (省直辖县级行政区)
// and the prefecture-level cities without districts (不设区的地级市). An
// address there goes province, city, town: it has no 区/县 for WeChat's
// area field.
var noDistrictCities = map[string][]string{
	"湖北省":      {"仙桃市", "潜江市", "天门市", "神农架林区"},
	"河南省":      {"济源市"},
	"广东省":      {"东莞市", "中山市"},
	"甘肃省":      {"嘉峪关市"},
	"海南省":      {"儋州市", "五指山市", "琼海市", "文昌市", "万宁市", "东方市", "定安县", "屯昌县", "澄迈县", "临高县", "白沙黎族自治县", "昌江黎族自治县", "乐东黎族自治县", "陵水黎族自治县", "保亭黎族苗族自治县", "琼中黎族苗族自治县"},
	"新疆维吾尔自治区": {"石河子市", "阿拉尔市", "图木舒克市", "五家渠市", "北屯市", "铁门关市", "双河市", "可克达拉市", "昆玉市", "胡杨河市", "新星市", "白杨市"},
}

// NormalizeProvince returns the full name of a province given by its full
// or short name ("浙江" is 浙江省, "广西" is 广西壮族自治区).
func NormalizeProvince(s string) (string, bool) {
	p, ok := findProvince(strings.TrimSpace(s))
	return p.full, ok
}

func findProvince(s string) (province, bool) {
	for _, p := range provinces {
		if s == p.full || s == p.short {
			return p, true
		}
	}
	// Other spellings of the autonomous regions: "广西自治区", "新疆自治区".
	for _, p := range provinces {
		if strings.HasSuffix(p.full, "自治区") && s == p.short+"自治区" {
			return p, true
		}
	}
	return province{}, false
}

// provincePrefix finds the province a string starts with, the longest name
// first so that 内蒙古自治区 is not read as 内蒙古 plus 自治区.
func provincePrefix(s string) (province, string, bool) {
	var best province
	bestLen := 0
	for _, p := range provinces {
		for _, name := range []string{p.full, p.short + "自治区", p.short + "省", p.short} {
			if len(name) > bestLen && strings.HasPrefix(s, name) {
				best, bestLen = p, len(name)
			}
		}
	}
	if bestLen == 0 {
		return province{}, s, false
	}
	return best, s[bestLen:], true
}

func isNoDistrictCity(prov, city string) bool {
	for _, c := range noDistrictCities[prov] {
		if c == city {
			return true
		}
	}
	return false
}

// municipalityCity normalises the city given for a municipality: exports
// write 北京, 北京市, 市辖区 or 县 (Chongqing's counties); WeChat wants 北京市.
func municipalityCity(p province, city string) string {
	switch strings.TrimSpace(city) {
	case "", p.full, p.short, "市辖区", "县", "城区", "郊县":
		return p.full
	}
	return city
}
