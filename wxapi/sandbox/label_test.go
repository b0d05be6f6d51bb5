package sandbox

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"waybilldesk/wxapi"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.html from the current RenderLabel output")

// goldenTime is the fixed print time of the golden labels.
var goldenTime = time.Date(2025, 3, 14, 9, 26, 0, 0, chinaTime)

// sfTwoPart is a two-part SF label with everything filled in.
func sfTwoPart() LabelData {
	rcv := wxapi.Contact{Name: "王小蒙", Mobile: receiverMobile, Tel: receiverTel,
		Province: "广东省", City: "广州市", Area: "天河区", Address: "天河路385号太古汇一座18楼1803室"}
	return LabelData{
		DeliveryID: "SF", DeliveryName: "顺丰速运", ServiceName: "顺丰标快",
		WaybillID: "SF760123456789", OrderID: "WD20250314-000123",
		SortingCode: sortingCode("SF", rcv), BagAddr: bagAddress("SF", rcv),
		Sender: wxapi.Contact{Name: "张三", Mobile: senderMobile, Company: "深圳星河电子商行",
			Province: "广东省", City: "深圳市", Area: "南山区", Address: "科技园科苑路15号科兴科学园B栋3单元1201"},
		Receiver:   rcv,
		Goods:      []wxapi.CargoDetail{{Name: "微信气泡狗抱枕", Count: 1}, {Name: "微信气泡狗钥匙扣", Count: 2}},
		Remark:     "易碎物品，轻拿轻放",
		WeightKg:   1.2,
		InsuredFen: 10000,
		PrintTime:  goldenTime,
		PrintType:  wxapi.PrintTypeTwoPart,
	}
}

// ytoOnePart is a one-part YTO label with a landline receiver and no remark.
func ytoOnePart() LabelData {
	rcv := wxapi.Contact{Name: "李四", Tel: "010-62345678",
		Province: "北京市", City: "北京市", Area: "海淀区", Address: "中关村大街27号中关村大厦12层"}
	return LabelData{
		DeliveryID: "YTO", DeliveryName: "圆通速递", ServiceName: "普通快递",
		WaybillID: "YT7512345678901", OrderID: "WD20250314-000124",
		SortingCode: sortingCode("YTO", rcv), BagAddr: bagAddress("YTO", rcv),
		Sender: wxapi.Contact{Name: "杭州小象家居旗舰店", Mobile: "15700001234",
			Province: "浙江省", City: "杭州市", Area: "余杭区", Address: "仓前街道文一西路1500号5号仓"},
		Receiver:  rcv,
		Goods:     []wxapi.CargoDetail{{Name: "北欧风陶瓷马克杯", Count: 4}},
		WeightKg:  2.35,
		PrintTime: goldenTime,
		PrintType: wxapi.PrintTypeOnePart,
	}
}

// labelCourier is how each template family's sample label is labelled.
type labelCourier struct {
	delivery, name, service, biz, waybill string
}

// familyCouriers has one courier per template family, plus TEST.
var familyCouriers = []labelCourier{
	{"SF", "顺丰速运", "顺丰标快", "SF_CASH", "SF760123456789"},
	{"ZTO", "中通快递", "标准快件", "SANDBOX_ZTO", "73100456789012"},
	{"EMS", "中国邮政速递物流", "标准快递", "SANDBOX_EMS", "9812345678901"},
	{"DB", "德邦快递", "特准快件", "DB_CASH", "DPK123456789012"},
	{"TEST", "测试快递", "test_service_name", "test_biz_id", "TEST123456789012"},
}

// labelVariant is a print type on a label stock.
type labelVariant struct {
	name      string
	printType int
	size      LabelSize
}

var labelVariants = []labelVariant{
	{"two-part", wxapi.PrintTypeTwoPart, LabelSize100x180},
	{"one-part", wxapi.PrintTypeOnePart, LabelSize100x180},
	{"76x130", wxapi.PrintTypeTwoPart, LabelSize76x130}, // 76x130 is one part whatever print_type says
}

// familyLabel is the SF sample's content on another courier and variant.
func familyLabel(c labelCourier, v labelVariant) LabelData {
	d := sfTwoPart()
	d.DeliveryID, d.DeliveryName, d.ServiceName, d.BizID, d.WaybillID = c.delivery, c.name, c.service, c.biz, c.waybill
	d.SortingCode, d.BagAddr = sortingCode(c.delivery, d.Receiver), bagAddress(c.delivery, d.Receiver)
	d.Pieces = 2
	d.PrintType, d.Size = v.printType, v.size
	return d
}

func TestRenderLabelGolden(t *testing.T) {
	cases := []struct {
		file string
		data LabelData
	}{
		{"yto-one-part.golden.html", ytoOnePart()},
	}
	for _, c := range familyCouriers {
		for _, v := range labelVariants {
			cases = append(cases, struct {
				file string
				data LabelData
			}{fmt.Sprintf("%s-%s-%s.golden.html", labelFamily(c.delivery), strings.ToLower(c.delivery), v.name), familyLabel(c, v)})
		}
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			got, err := RenderLabel(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.file)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				bad := filepath.Join(t.TempDir(), tc.file)
				os.WriteFile(bad, []byte(got), 0o644)
				t.Errorf("RenderLabel differs from %s; got written to %s (run go test -update if the change is intended)", path, bad)
			}
		})
	}
}

// Every family and variant prints what a courier and a receiver need, and
// nothing that leaks a phone number or fetches a resource.
func TestRenderLabelContent(t *testing.T) {
	for _, c := range familyCouriers {
		for _, v := range labelVariants {
			t.Run(c.delivery+"/"+v.name, func(t *testing.T) {
				d := familyLabel(c, v)
				html, err := RenderLabel(d)
				if err != nil {
					t.Fatal(err)
				}
				checkLabelHTML(t, html, d)
			})
		}
	}
	t.Run("family marks", func(t *testing.T) {
		for _, tc := range []struct {
			delivery string
			want     []string
		}{
			{"SF", []string{"目的地", "产品类型", "月结卡号", "丰密", "95338"}},
			{"ZTO", []string{"集包地", "中转部", "95311"}},
			{"EMS", []string{"邮件处理中心", "邮编 510", "11183", "内件"}},
			{"DB", []string{"目的站", "分拣码", "1/2", "95353"}},
		} {
			var c labelCourier
			for _, fc := range familyCouriers {
				if fc.delivery == tc.delivery {
					c = fc
				}
			}
			html, err := RenderLabel(familyLabel(c, labelVariants[0]))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if tc.delivery == "SF" && w == "月结卡号" {
					continue // SF_CASH pays cash: no 月结 card
				}
				if !strings.Contains(html, w) {
					t.Errorf("%s label lacks %q", tc.delivery, w)
				}
			}
		}
	})
}

// checkLabelHTML is what every label must satisfy.
func checkLabelHTML(t *testing.T, html string, d LabelData) {
	t.Helper()
	if !strings.HasPrefix(html, "<!doctype html>\n<html") {
		t.Errorf("not a complete HTML document: %.40q", html)
	}
	page := "@page { size: 100mm 180mm; margin: 0 }"
	box := "width: 100mm; height: 180mm"
	if d.Size == LabelSize76x130 {
		page, box = "@page { size: 76mm 130mm; margin: 0 }", "width: 76mm; height: 130mm"
	}
	for _, want := range []string{
		page, box, `"Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif`,
		d.DeliveryName, d.ServiceName, d.WaybillID, d.SortingCode, "138****5678", "186****6666", "2025-03-14 09:26",
		"王小蒙", "易碎物品", "1.2kg", "¥100.00", `shape-rendering="crispEdges"`, "签收",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("label lacks %q", want)
		}
	}
	for _, full := range []string{receiverMobile, senderMobile, receiverTel, "88888888"} {
		if strings.Contains(html, full) {
			t.Errorf("label shows the full phone %s", full)
		}
	}
	// Nothing is fetched: no scripts, links, images, url() or imports; the
	// only URL is the SVG namespace.
	for _, banned := range []string{"<script", "<link", "<img", "url(", "@import", "src=", "@font-face"} {
		if strings.Contains(strings.ToLower(html), banned) {
			t.Errorf("label contains %q", banned)
		}
	}
	if n, m := strings.Count(html, "http"), strings.Count(html, `xmlns="http://www.w3.org/2000/svg"`); n != m {
		t.Errorf("label has %d URLs besides the SVG namespace", n-m)
	}
	twoPart := d.PrintType == wxapi.PrintTypeTwoPart && d.Size != LabelSize76x130
	if got := strings.Contains(html, "收件人联"); got != twoPart {
		t.Errorf("customer copy present = %v, want %v", got, twoPart)
	}
	// Barcode and QR, plus the copy's barcode and QR on a two-part label;
	// SF also prints its 丰密 QR on the delivery part.
	want := 2
	if twoPart {
		want = 4
		if d.DeliveryID != "SF" {
			want = 3
		}
	}
	if c := codeSVGs(html); c != want {
		t.Errorf("label has %d barcode and QR SVGs, want %d", c, want)
	}
	// The sandbox mark: the band and one stamp, on every label it serves.
	if !strings.Contains(html, `<div class="sbx-band"><span>沙箱 · 不可发货</span><span>SANDBOX · NOT FOR SHIPPING</span></div>`) ||
		strings.Count(html, `<svg class="sbx-stamp"`) != 1 {
		t.Errorf("label lacks the sandbox mark")
	}
}

// codeSVGs counts the SVGs that are codes (barcodes, QR codes), not the
// sandbox stamp.
func codeSVGs(html string) int {
	return strings.Count(html, "<svg") - strings.Count(html, `<svg class="sbx-stamp"`)
}

func TestOnePartLandline(t *testing.T) {
	one, err := RenderLabel(ytoOnePart())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(one, "收件人联") || codeSVGs(one) != 2 {
		t.Errorf("one-part label has a customer copy")
	}
	if !strings.Contains(one, "010-****5678") || strings.Contains(one, "62345678") {
		t.Errorf("one-part label: landline not masked")
	}
}

func TestRenderLabelEscapes(t *testing.T) {
	d := sfTwoPart()
	d.Receiver.Address = `<script>alert("x")</script>&<b>`
	d.Receiver.Name = `"><img src=x onerror=alert(1)>`
	d.Remark = "</style><script>alert(2)</script>"
	d.Goods = []wxapi.CargoDetail{{Name: "<i>杯子</i>", Count: 1}}
	html, err := RenderLabel(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "<img", "<i>", "</style><"} {
		if strings.Contains(html, bad) {
			t.Errorf("user text reached the HTML unescaped: %q", bad)
		}
	}
	if !strings.Contains(html, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;&lt;b&gt;") {
		t.Errorf("address not rendered as text")
	}
}

func TestRenderLabelRejects(t *testing.T) {
	d := sfTwoPart()
	d.WaybillID = ""
	if _, err := RenderLabel(d); err == nil {
		t.Error("no waybill id accepted")
	}
	d = sfTwoPart()
	d.PrintType = 2
	if _, err := RenderLabel(d); err == nil {
		t.Error("print type 2 accepted")
	}
	d = sfTwoPart()
	d.WaybillID = "顺丰123"
	if _, err := RenderLabel(d); err == nil {
		t.Error("a waybill id Code128 cannot encode was accepted")
	}
	d = sfTwoPart()
	d.Size = "100x150"
	if _, err := RenderLabel(d); err == nil {
		t.Error("a label size without a template was accepted")
	}
}

func TestMaskPhone(t *testing.T) {
	cases := []struct{ in, want string }{
		{"13812345678", "138****5678"},
		{"+86 138 1234 5678", "138****5678"},
		{"8613812345678", "138****5678"},
		{"020-88888888", "020-****8888"},
		{"0755-1234567", "0755-****4567"},
		{"0755-12345678-808", "0755-****5678"},
		{"88888888", "888****8888"},
		{"95338", "****5338"},
		{"110", "****"},
		{"", ""},
	}
	for _, tc := range cases {
		got := maskPhone(tc.in)
		if got != tc.want {
			t.Errorf("maskPhone(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if digits := nonDigit.ReplaceAllString(tc.in, ""); len(digits) >= 4 && strings.Contains(nonDigit.ReplaceAllString(got, ""), digits) {
			t.Errorf("maskPhone(%q) = %q keeps every digit", tc.in, got)
		}
	}
}

func TestSortingCode(t *testing.T) {
	re := regexp.MustCompile(`^\d{3}[A-HJ-NP-Z]-[A-HJ-NP-Z]\d{2} \d{3}$`)
	sz := wxapi.Contact{Province: "广东省", City: "深圳市", Area: "南山区", Address: "科苑路15号"}
	cases := []struct {
		c       wxapi.Contact
		prefix  string
		bagCity string
	}{
		{sz, "755", "深圳"},
		{wxapi.Contact{Province: "广东省", City: "广州市", Area: "天河区", Address: "天河路385号"}, "020", "广州"},
		{wxapi.Contact{Province: "广东省", City: "韶关市", Area: "浈江区", Address: "解放路1号"}, "020", "广州"},
		{wxapi.Contact{Province: "北京市", City: "北京市", Area: "海淀区", Address: "中关村大街27号"}, "010", "北京"},
		{wxapi.Contact{Province: "新疆维吾尔自治区", City: "喀什地区", Area: "喀什市", Address: "人民路1号"}, "991", "乌鲁木齐"},
		{wxapi.Contact{Province: "火星", City: "奥林匹斯", Area: "一区", Address: "1号"}, "9", "奥林匹斯"},
	}
	for _, tc := range cases {
		code := sortingCode("ZTO", tc.c)
		if !re.MatchString(code) || !strings.HasPrefix(code, tc.prefix) {
			t.Errorf("sortingCode(%s%s) = %q, want %s… in the form 755W-K01 021", tc.c.Province, tc.c.City, code, tc.prefix)
		}
		if again := sortingCode("ZTO", tc.c); again != code {
			t.Errorf("sortingCode not deterministic: %q then %q", code, again)
		}
		if bag := bagAddress("ZTO", tc.c); bag != tc.bagCity+"中转部" {
			t.Errorf("bagAddress(%s%s) = %q, want %s中转部", tc.c.Province, tc.c.City, bag, tc.bagCity)
		}
	}
	if bagAddress("SF", sz) != "深圳中转场" || bagAddress("YTO", sz) != "深圳转运中心" {
		t.Errorf("courier hub names: %s, %s", bagAddress("SF", sz), bagAddress("YTO", sz))
	}
}
