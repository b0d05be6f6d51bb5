package batch

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"waybilldesk/store"
)

func TestPreviewTaobaoGBKWithTitleLine(t *testing.T) {
	e := newEnv(t)
	im := e.importer(t, nil)
	p := preview(t, im, "taobao.csv", gbk(t, taobaoCSV(t)))
	if p.Encoding != "GB18030" || p.HeaderRow != 2 {
		t.Fatalf("encoding %q header row %d", p.Encoding, p.HeaderRow)
	}
	if p.Invalid() != 0 || p.Orders() != 3 {
		t.Fatalf("plan %+v", p.Rows)
	}
	r := p.Rows[0]
	if r.Row != 3 || r.OrderID != "3012345678901234567" {
		t.Fatalf("first row %d order %q", r.Row, r.OrderID)
	}
	rc := r.Request.Receiver
	if rc.Name != "王小蒙" || rc.Mobile != "18610000000" || rc.Province != "广东省" || rc.City != "广州市" ||
		rc.Area != "天河区" || rc.Address != "天河北路233号中信广场48楼" {
		t.Fatalf("receiver %+v", rc)
	}
	if r.Request.Cargo.DetailList[0].Count != 2 || r.Request.CustomRemark != "易碎 轻放" || r.Request.Cargo.Weight != 1 {
		t.Fatalf("cargo %+v remark %q", r.Request.Cargo, r.Request.CustomRemark)
	}
	// Taobao has 联系电话 and 联系手机: the landline goes to tel.
	if rc := p.Rows[1].Request.Receiver; rc.Tel != "010-65001234" || rc.Mobile != "13912345678" || rc.City != "北京市" {
		t.Fatalf("second receiver %+v", rc)
	}
	if rc := p.Rows[2].Request.Receiver; rc.Province != "广西壮族自治区" || rc.City != "南宁市" || rc.Area != "青秀区" {
		t.Fatalf("third receiver %+v", rc)
	}
	if n := e.addOrders.Load(); n != 0 {
		t.Fatalf("the preview sent %d addOrder calls", n)
	}
}

func TestPreviewPDDWithBOMAndStreetColumn(t *testing.T) {
	e := newEnv(t)
	p := preview(t, e.importer(t, nil), "pdd.csv", pddCSV(t))
	if p.Encoding != "UTF-8 BOM" || p.Invalid() != 0 {
		t.Fatalf("encoding %q, rows %+v", p.Encoding, p.Rows)
	}
	a := p.Rows[0].Request.Receiver
	if a.Province != "浙江省" || a.Address != "文新街道文三路398号" || a.Mobile != "13800000001" {
		t.Fatalf("receiver %+v", a)
	}
	b := p.Rows[1].Request
	if b.Receiver.Province != "上海市" || b.Receiver.City != "上海市" || b.Cargo.DetailList[0].Count != 2 || b.CustomRemark != "加急" {
		t.Fatalf("second %+v", b)
	}
}

func TestPreviewDouyinXLSXMergesSubOrders(t *testing.T) {
	e := newEnv(t)
	p := preview(t, e.importer(t, nil), "douyin.xlsx", douyinXLSX(t))
	if p.Invalid() != 0 || p.Orders() != 2 || len(p.Rows) != 3 {
		t.Fatalf("plan %+v", p.Rows)
	}
	lead := p.Rows[0]
	if lead.OrderID != "6920000000000000001" || len(lead.Request.Cargo.DetailList) != 2 || lead.Merged[0] != 3 {
		t.Fatalf("lead %+v", lead)
	}
	if p.Rows[1].MergedInto != 2 || p.Rows[1].Request != nil {
		t.Fatalf("merged row %+v", p.Rows[1])
	}
	// A phone stored as a number cell keeps all its digits.
	if m := lead.Request.Receiver.Mobile; m != "13600000001" {
		t.Fatalf("mobile %q", m)
	}
	rep := run(t, e.importer(t, nil), p)
	if rep.Counts.Placed != 3 || e.addOrders.Load() != 2 {
		t.Fatalf("counts %+v, %d addOrder", rep.Counts, e.addOrders.Load())
	}
	if rep.Results[1].WaybillID == "" || rep.Results[1].WaybillID != rep.Results[0].WaybillID {
		t.Fatalf("merged row shares no waybill: %+v", rep.Results[:2])
	}
}

// TestBadRowsAreReportedAndNotSent: every kind of bad value is named with
// its row and column, and nothing from those rows reaches WeChat.
func TestBadRowsAreReportedAndNotSent(t *testing.T) {
	e := newEnv(t)
	recs := [][]string{templateHeader(),
		templateRow(1, nil), // row 2
		templateRow(2, map[Field]string{FieldReceiverMobile: ""}),                  // row 3
		templateRow(3, map[Field]string{FieldReceiverMobile: "1.38123E+10"}),       // row 4
		templateRow(4, map[Field]string{FieldWeight: "abc"}),                       // row 5
		templateRow(5, map[Field]string{FieldProvince: "火星省"}),                     // row 6
		templateRow(6, map[Field]string{FieldArea: "西湖"}),                          // row 7
		templateRow(7, map[Field]string{FieldReceiverMobile: "138****5678"}),       // row 8
		templateRow(8, map[Field]string{FieldGoodsCount: "两件", FieldInsured: "x"}), // row 9
		templateRow(9, map[Field]string{FieldDeliveryID: "NOPE"}),                  // row 10
		templateRow(10, nil), // row 11
	}
	im := e.importer(t, nil)
	p := preview(t, im, "bad.csv", withBOM(csvBytes(t, recs)))
	want := map[int][]string{
		3:  {"C receiver_mobile phone number is empty"},
		4:  {"C receiver_mobile scientific notation"},
		5:  {"J weight_kg not a number"},
		6:  {"D receiver_province not a province"},
		7:  {"F receiver_area not a district"},
		8:  {"C receiver_mobile masked"},
		9:  {"I goods_count not a whole number", "N insured_yuan not an amount"},
		10: {"P delivery_id not a courier"},
	}
	for _, r := range p.Rows {
		w, bad := want[r.Row]
		if !bad {
			if !r.OK() {
				t.Errorf("row %d: unexpected errors %v", r.Row, r.Errors)
			}
			continue
		}
		if len(r.Errors) != len(w) {
			t.Errorf("row %d: errors %v, want %d", r.Row, r.Errors, len(w))
			continue
		}
		for i, e := range r.Errors {
			parts := strings.SplitN(w[i], " ", 3)
			if e.Row != r.Row || e.Column != parts[0] || e.Header != parts[1] || !strings.Contains(e.Message, parts[2]) {
				t.Errorf("row %d error %d = %+v, want column %s (%s) about %q", r.Row, i, e, parts[0], parts[1], parts[2])
			}
			if !strings.Contains(e.Error(), "row ") || !strings.Contains(e.Error(), "column "+parts[0]) {
				t.Errorf("message %q lacks row and column", e.Error())
			}
		}
	}
	rep := run(t, im, p)
	if rep.Counts.Placed != 2 || rep.Counts.Invalid != 8 || e.addOrders.Load() != 2 {
		t.Fatalf("counts %+v, addOrder calls %d", rep.Counts, e.addOrders.Load())
	}
	list, _ := e.db.ListOrders(context.Background(), store.OrderQuery{Limit: 1000})
	if len(list) != 2 {
		t.Fatalf("%d orders in the history, want 2", len(list))
	}
	if !rep.Failed() {
		t.Fatal("a report with invalid rows is not failed")
	}
}

func TestPreviewPrepareErrorsNameTheColumn(t *testing.T) {
	e := newEnv(t)
	// 600 cm is over WeChat's limit: Prepare finds it, the column is named.
	recs := [][]string{templateHeader(), templateRow(1, map[Field]string{FieldLength: "600"})}
	p := preview(t, e.importer(t, nil), "t.csv", csvBytes(t, recs))
	errs := p.Rows[0].Errors
	if len(errs) != 1 || errs[0].Column != "K" || errs[0].Header != "length_cm" || !strings.Contains(errs[0].Message, "cargo.space_x") {
		t.Fatalf("errors %+v", errs)
	}
}

func TestPreviewRefusesMissingDefaults(t *testing.T) {
	e := newEnv(t)
	im := e.importer(t, func(o *Options) { o.Defaults = Defaults{} })
	_, err := im.Preview(context.Background(), "taobao.csv", taobaoCSV(t))
	for _, want := range []string{"no sender", "no courier", "no weight"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}

func TestPreviewHeaderDetectionAndMap(t *testing.T) {
	e := newEnv(t)
	recs := [][]string{{"买家", "买家手机", "寄到", "东西"}, {"王五", "13500000000", "浙江省杭州市西湖区文三路1号", "茶叶"}}
	im := e.importer(t, nil)
	if _, err := im.Preview(context.Background(), "x.csv", csvBytes(t, recs)); err == nil || !strings.Contains(err.Error(), "no header row") {
		t.Fatalf("err = %v", err)
	}
	path := filepath.Join(t.TempDir(), "map.json")
	os.WriteFile(path, []byte(`{"receiver_name":"买家","receiver_mobile":"买家手机","receiver_full_address":"寄到","goods_name":"东西"}`), 0o600)
	m, err := ReadColumnMap(path)
	if err != nil {
		t.Fatal(err)
	}
	im = e.importer(t, func(o *Options) { o.Map = m })
	p := preview(t, im, "x.csv", csvBytes(t, recs))
	if p.Invalid() != 0 || p.Rows[0].Request.Receiver.Area != "西湖区" {
		t.Fatalf("rows %+v", p.Rows)
	}
	os.WriteFile(path, []byte(`{"receiver_phone":"买家手机"}`), 0o600)
	if _, err := ReadColumnMap(path); err == nil || !strings.Contains(err.Error(), "unknown field") {
		t.Fatalf("unknown field accepted: %v", err)
	}
}

func TestPreviewXLSXNumbersAndDates(t *testing.T) {
	e := newEnv(t)
	f := excelize.NewFile()
	defer f.Close()
	header := []any{"订单编号", "收货人姓名", "联系手机", "收货地址", "宝贝标题", "预约取件时间"}
	f.SetSheetRow("Sheet1", "A1", &header)
	later := time.Now().Add(48 * time.Hour).Truncate(time.Minute)
	rows := [][]any{
		{"A-1", "甲", 13800000001, "浙江省杭州市西湖区文三路1号", "茶", later},
		// A 19-digit order number kept as a number has lost digits.
		{3012345678901234567, "乙", 13800000002, "浙江省杭州市西湖区文三路2号", "茶", nil},
		// A phone in scientific notation typed as text.
		{"A-3", "丙", "1.38E+10", "浙江省杭州市西湖区文三路3号", "茶", nil},
		{"A-4", "丁", 13800000004, "浙江省杭州市西湖区文三路4号", "茶", "明天"},
	}
	for i, r := range rows {
		ref, _ := excelize.CoordinatesToCellName(1, i+2)
		f.SetSheetRow("Sheet1", ref, &r)
	}
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 22})
	f.SetCellStyle("Sheet1", "F2", "F2", dateStyle)
	var buf strings.Builder
	f.Write(&buf)
	im := e.importer(t, func(o *Options) { o.Location = time.Local })
	p := preview(t, im, "x.xlsx", []byte(buf.String()))
	if r := p.Rows[0]; !r.OK() || r.Request.ExpectTime != later.Unix() || r.Request.Receiver.Mobile != "13800000001" {
		t.Fatalf("row 2 %+v (expect_time want %d)", r, later.Unix())
	}
	check := func(i int, col, want string) {
		t.Helper()
		errs := p.Rows[i].Errors
		if len(errs) == 0 || errs[0].Column != col || !strings.Contains(errs[0].Message, want) {
			t.Errorf("row %d errors %+v, want column %s about %q", p.Rows[i].Row, errs, col, want)
		}
	}
	check(1, "A", "digits")
	check(2, "C", "scientific notation")
	check(3, "F", "not a date")
}

// TestBuyerColumnsReachTheOrder: the buyer's openid and WeChat Pay
// transaction id columns travel with the order, so its buyer notice can be
// registered (follow_waybill needs both).
func TestBuyerColumnsReachTheOrder(t *testing.T) {
	e := newEnv(t)
	recs := [][]string{
		{"order_id", "receiver_name", "receiver_mobile", "receiver_province", "receiver_city", "receiver_area", "receiver_address", "goods_name", "买家openid", "微信支付单号"},
		{"BUY-1", "王五", "13500000000", "浙江省", "杭州市", "西湖区", "文三路1号", "茶叶", "oBUYER01", "4200001234202503140000000001"},
	}
	p := preview(t, e.importer(t, nil), "buyers.csv", csvBytes(t, recs))
	if p.Invalid() != 0 {
		t.Fatalf("rows %+v", p.Rows)
	}
	if r := p.Rows[0].Request; r.OpenID != "oBUYER01" || r.TransID != "4200001234202503140000000001" {
		t.Fatalf("openid %q trans_id %q", r.OpenID, r.TransID)
	}
}
