package batch

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// csvBytes writes records as CSV.
func csvBytes(t *testing.T, records [][]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(records); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func withBOM(b []byte) []byte { return append([]byte("\ufeff"), b...) }

func gbk(t *testing.T, b []byte) []byte {
	t.Helper()
	out, err := simplifiedchinese.GBK.NewEncoder().Bytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// templateHeader is our own template's header.
func templateHeader() []string {
	h := make([]string, len(TemplateFields))
	for i, f := range TemplateFields {
		h[i] = string(f)
	}
	return h
}

// templateRow is a valid row of our template for receiver i; edit changes
// fields by name.
func templateRow(i int, edit map[Field]string) []string {
	v := map[Field]string{
		FieldReceiverName:   fmt.Sprintf("收件人%02d", i),
		FieldReceiverMobile: fmt.Sprintf("1861000%04d", i),
		FieldProvince:       "广东省", FieldCity: "广州市", FieldArea: "天河区",
		FieldAddress:   fmt.Sprintf("天河北路%d号", 100+i),
		FieldGoodsName: "西湖龙井 250g", FieldGoodsCount: "1", FieldWeight: "1.2",
		FieldLength: "30", FieldWidth: "20", FieldHeight: "10",
	}
	for f, x := range edit {
		v[f] = x
	}
	row := make([]string, len(TemplateFields))
	for j, f := range TemplateFields {
		row[j] = v[f]
	}
	return row
}

// templateFile is our template with n valid rows.
func templateFile(t *testing.T, n int) []byte {
	recs := [][]string{templateHeader()}
	for i := 1; i <= n; i++ {
		recs = append(recs, templateRow(i, nil))
	}
	return withBOM(csvBytes(t, recs))
}

// taobaoCSV is shaped like Taobao's 订单报表: a title line above the
// header, ="…" around order numbers, a leading apostrophe on phones, the
// address as one string, and both 联系电话 and 联系手机.
func taobaoCSV(t *testing.T) []byte {
	recs := [][]string{
		{"订单报表 2026-11-01 至 2026-11-30"},
		{"订单编号", "买家会员名", "买家应付货款", "收货人姓名", "收货地址", "联系电话", "联系手机", "宝贝标题", "宝贝总数量", "订单备注", "卖家备注"},
		{`="3012345678901234567"`, "tb_buyer1", "168.00", "王小蒙", "广东省 广州市 天河区 天河北路233号中信广场48楼", "", "'18610000000", "西湖龙井 250g 明前特级", "2", "", "易碎 轻放"},
		{`="3012345678901234568"`, "tb_buyer2", "59.00", "李雷", "北京市 北京市 朝阳区 建国路88号SOHO现代城", "010-65001234", "'13912345678", "青瓷茶杯", "1", "", ""},
		{`="3012345678901234569"`, "tb_buyer3", "88.00", "韩梅梅", "广西壮族自治区 南宁市 青秀区 民族大道136号", "", "13712345678", "白茶饼", "1", "", "送小样"},
	}
	return csvBytes(t, recs)
}

// pddCSV is shaped like Pinduoduo's export: province, city, district and
// street in their own columns.
func pddCSV(t *testing.T) []byte {
	recs := [][]string{
		{"商品", "订单号", "订单状态", "商品数量", "收货人", "手机", "省", "市", "区", "街道", "详细地址", "商家备注"},
		{"龙井茶 250g", "261122-345678901234567", "待发货", "1", "张三", "13800000001", "浙江省", "杭州市", "西湖区", "文新街道", "文三路398号", ""},
		{"紫砂壶", "261122-345678901234568", "待发货", "2", "李四", "13800000002", "上海", "上海市", "浦东新区", "", "世纪大道100号", "加急"},
	}
	return withBOM(csvBytes(t, recs))
}

// xlsxBytes writes rows into a workbook; a cell value may be a string, a
// number, or an excelize.Cell.
func xlsxBytes(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		ref, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", ref, &row); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// douyinXLSX is shaped like Douyin's (抖店) export: one row per product
// (sub-order) under the main order number, phones stored as numbers.
func douyinXLSX(t *testing.T) []byte {
	return xlsxBytes(t, [][]any{
		{"主订单编号", "子订单编号", "商品名称", "商品数量", "收件人", "收件人手机号", "省", "市", "区", "街道", "详细地址", "商家备注"},
		{"6920000000000000001", "6920000000000000011", "红茶 100g", 1, "赵六", 13600000001, "四川省", "成都市", "武侯区", "", "人民南路四段1号", ""},
		{"6920000000000000001", "6920000000000000012", "茶则", 2, "赵六", 13600000001, "四川省", "成都市", "武侯区", "", "人民南路四段1号", ""},
		{"6920000000000000002", "6920000000000000021", "绿茶 100g", 1, "钱七", 13600000002, "湖北省", "武汉市", "洪山区", "珞南街道", "珞喻路1037号", "周末送"},
	})
}
